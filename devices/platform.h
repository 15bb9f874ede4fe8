/* The PC platform around the vCPUs: COM1, i8042, RTC, ACPI PM, PCI host
 * bridge. Created in a fixed order and torn down in reverse. */
#ifndef VMD_DEVICES_PLATFORM_H
#define VMD_DEVICES_PLATFORM_H

#include "pci.h"

#define PLATFORM_MAX_VIRTIO 16

struct vm;
struct vm_config;
struct chardev;
struct virtio_dev;
struct bochs_vga;
struct spice_console;

struct vm_devices {
	struct pci pci;
	struct chardev *serial_cd;
	struct serial *com1;
	struct i8042 *kbd;
	struct rtc *rtc;
	struct acpi_pm *pm;
	uint64_t rsdp;
	/* virtio devices, in creation order (torn down in reverse) */
	struct virtio_dev *virtio[PLATFORM_MAX_VIRTIO];
	unsigned nvirtio;
	struct virtio_dev *balloon;
	struct chardev *console_cd;
	struct bochs_vga *vga;         /* --vga bochs */
	struct virtio_dev *keyboard;   /* virtio-input, with --spice */
	struct virtio_dev *tablet;
	struct spice_console *spice;   /* --spice */
};

int platform_create(struct vm *vm, const struct vm_config *cfg, char *err,
		    unsigned errlen);
void platform_destroy(struct vm *vm);

#endif
