/* PCI bus 0 behind a host bridge, configured through ports 0xCF8/0xCFC
 * (configuration mechanism #1). Devices own a 256-byte config space; the
 * bus applies writes through each device's write mask, so read-only fields
 * stay read-only whatever the guest writes. */
#ifndef VMD_DEVICES_PCI_H
#define VMD_DEVICES_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define PCI_MAX_SLOTS 32
#define PCI_CFG_SIZE 256

struct vm;
struct pci_device;

struct pci_device_ops {
	/* After a config write landed (e.g. the command register or a BAR
	 * changed): the device maps or unmaps its BARs. Optional. */
	void (*config_written)(struct pci_device *dev, uint32_t offset,
			       uint32_t len);
};

struct pci_device {
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE]; /* 1 bits are guest-writable */
	const struct pci_device_ops *ops;
	void *opaque;
	const char *name;
};

struct pci {
	struct vm *vm;
	pthread_mutex_t lock; /* config cycles from several vCPUs */
	uint32_t address;     /* 0xCF8 */
	struct pci_device *slots[PCI_MAX_SLOTS];
	struct pci_device host_bridge;
};

/* Creates the bus with a host bridge at 00.0 and registers its ports. */
int pci_init(struct pci *pci, struct vm *vm);
/* Puts dev in the first free slot; returns the slot or -ENOSPC. */
int pci_add_device(struct pci *pci, struct pci_device *dev);
/* Fills the identity fields of a type-0 header. */
void pci_device_init(struct pci_device *dev, uint16_t vendor, uint16_t device,
		     uint32_t class_code, const char *name);

#endif
