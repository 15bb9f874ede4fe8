#include "platform.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi.h"
#include "bochs_vga.h"
#include "chardev.h"
#include "i8042.h"
#include "log.h"
#include "options.h"
#include "rtc.h"
#include "serial.h"
#include "spice_console.h"
#include "virtio/devices.h"
#include "vm.h"

#define COM1_BASE 0x3f8

/* Port 0x80 (POST codes) and 0xED are where Linux and firmware write to
 * waste a microsecond; they need no device, only silence. */
static void
platform_sink_io(void *dev, uint64_t off, uint8_t *data, uint32_t len,
		 bool is_write)
{
	(void)dev;
	(void)off;
	if (!is_write)
		memset(data, 0xff, len);
}

static int
platform_add_virtio(struct vm_devices *d, struct virtio_dev *vd)
{
	if (!vd)
		return -EINVAL;
	if (d->nvirtio == PLATFORM_MAX_VIRTIO)
		return -ENOSPC;
	d->virtio[d->nvirtio++] = vd;
	return 0;
}

/* virtio devices in a fixed order, so each gets the same PCI slot every
 * boot: rng, disks, console, net, balloon, then the SPICE keyboard and
 * tablet (last, so adding a display moves no other device). */
static int
platform_create_virtio(struct vm *vm, const struct vm_config *cfg, char *err,
		       unsigned errlen)
{
	struct vm_devices *d = vm->devs;
	struct pci *pci = &d->pci;
	unsigned i;
	int ret = 0;

	if (cfg->rng)
		ret = platform_add_virtio(d, virtio_rng_create(vm, pci, vm->base,
							       err, errlen));
	for (i = 0; !ret && i < cfg->ndisks; i++)
		ret = platform_add_virtio(d, virtio_blk_create(vm, pci,
					  &cfg->disks[i], err, errlen));
	if (!ret && cfg->console) {
		char *cd_err = NULL;

		d->console_cd = chardev_open(cfg->console, vm->base, &cd_err);
		if (!d->console_cd) {
			snprintf(err, errlen, "--console %s: %s", cfg->console,
				 cd_err ? cd_err : "cannot open");
			free(cd_err);
			return -EINVAL;
		}
		ret = platform_add_virtio(d, virtio_console_create(vm, pci,
					  vm->base, d->console_cd, err, errlen));
	}
	if (!ret && cfg->net.mode != VM_NET_NONE)
		ret = platform_add_virtio(d, virtio_net_create(vm, pci, vm->base,
					  &cfg->net, err, errlen));
	if (!ret && cfg->balloon) {
		d->balloon = virtio_balloon_create(vm, pci, vm->base, err, errlen);
		ret = platform_add_virtio(d, d->balloon);
	}
	if (!ret && cfg->spice.enabled) {
		d->keyboard = virtio_input_create(vm, pci, vm->base,
						  VIRTIO_INPUT_KEYBOARD, err,
						  errlen);
		ret = platform_add_virtio(d, d->keyboard);
		if (!ret) {
			d->tablet = virtio_input_create(vm, pci, vm->base,
							VIRTIO_INPUT_TABLET,
							err, errlen);
			ret = platform_add_virtio(d, d->tablet);
		}
	}
	return ret;
}

/* The display adapter, then the SPICE server that shows it and feeds
 * the input devices. */
static int
platform_create_display(struct vm *vm, const struct vm_config *cfg, char *err,
			unsigned errlen)
{
	struct vm_devices *d = vm->devs;

	if (cfg->vga == VM_VGA_BOCHS) {
		d->vga = bochs_vga_create(vm, &d->pci, err, errlen);
		if (!d->vga)
			return -EINVAL;
	}
	if (cfg->spice.enabled) {
		d->spice = spice_console_create(vm->base, &cfg->spice,
						cfg->name, d->vga, d->keyboard,
						d->tablet, err, errlen);
		if (!d->spice)
			return -EINVAL;
	}
	return 0;
}

int
platform_create(struct vm *vm, const struct vm_config *cfg, char *err,
		unsigned errlen)
{
	struct vm_devices *d;
	char *cd_err = NULL;
	int64_t rsdp;
	int ret;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	vm->devs = d;

	d->serial_cd = chardev_open(cfg->serial, vm->base, &cd_err);
	if (!d->serial_cd) {
		snprintf(err, errlen, "--serial %s: %s", cfg->serial,
			 cd_err ? cd_err : "cannot open");
		free(cd_err);
		return -EINVAL;
	}
	d->com1 = serial_create(vm, COM1_BASE, VM_IRQ_COM1, d->serial_cd);
	d->kbd = i8042_create(vm);
	d->rtc = rtc_create(vm);
	d->pm = acpi_pm_create(vm);
	if (!d->com1 || !d->kbd || !d->rtc || !d->pm) {
		snprintf(err, errlen, "cannot create the platform devices");
		return -ENOMEM;
	}
	ret = pci_init(&d->pci, vm);
	if (!ret)
		ret = bus_register(&vm->pio, 0x80, 1, platform_sink_io, NULL,
				   "post");
	if (!ret)
		ret = bus_register(&vm->pio, 0xed, 1, platform_sink_io, NULL,
				   "io-delay");
	if (ret) {
		snprintf(err, errlen, "cannot register platform ports: %s",
			 strerror(-ret));
		return ret;
	}
	ret = platform_create_virtio(vm, cfg, err, errlen);
	if (!ret)
		ret = platform_create_display(vm, cfg, err, errlen);
	if (ret)
		return ret;
	rsdp = acpi_tables_build(vm);
	if (rsdp < 0) {
		snprintf(err, errlen, "cannot build ACPI tables: %s",
			 strerror((int)-rsdp));
		return (int)rsdp;
	}
	d->rsdp = (uint64_t)rsdp;
	return 0;
}

void
platform_destroy(struct vm *vm)
{
	struct vm_devices *d = vm->devs;
	unsigned i;

	if (!d)
		return;
	/* SPICE first: it reads the framebuffer and feeds the input
	 * devices. Then stop the I/O threads, then the bus (irqfds, BARs),
	 * then free. */
	spice_console_destroy(d->spice);
	d->spice = NULL;
	for (i = d->nvirtio; i-- > 0;)
		virtio_dev_destroy(d->virtio[i]);
	pci_destroy(&d->pci);
	bochs_vga_destroy(d->vga);
	d->vga = NULL;
	for (i = d->nvirtio; i-- > 0;)
		virtio_dev_free(d->virtio[i]);
	d->nvirtio = 0;
	d->balloon = NULL;
	d->keyboard = d->tablet = NULL;
	if (d->console_cd)
		chardev_close(d->console_cd);
	if (d->pm)
		acpi_pm_destroy(d->pm);
	if (d->rtc)
		rtc_destroy(d->rtc);
	if (d->kbd)
		i8042_destroy(d->kbd);
	if (d->com1)
		serial_destroy(d->com1);
	if (d->serial_cd)
		chardev_close(d->serial_cd);
	free(d);
	vm->devs = NULL;
}
