/* PCI bus 0 behind a host bridge, configured through ports 0xCF8/0xCFC
 * (configuration mechanism #1). Devices own a 256-byte config space; the
 * bus applies writes through each device's write mask, so read-only fields
 * stay read-only whatever the guest writes.
 *
 * The bus also owns what every real device needs: 32-bit memory BARs
 * (pre-assigned in the PCI hole, since there is no firmware to do it, and
 * moved on vm->mmio when the guest reprograms them), the capability list,
 * MSI-X (table and PBA in a BAR of their own, vectors routed with
 * KVM_SET_GSI_ROUTING and fired through irqfds) and INTx on the GSI the
 * DSDT's _PRT gives the slot. */
#ifndef VMD_DEVICES_PCI_H
#define VMD_DEVICES_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus.h"

#define PCI_MAX_SLOTS 32
#define PCI_CFG_SIZE 256
#define PCI_NUM_BARS 6
#define PCI_MSIX_MAX_VECTORS 128

#define PCI_CAP_ID_VNDR 0x09
#define PCI_CAP_ID_MSIX 0x11

struct vm;
struct pci;
struct pci_device;
struct pci_msix;

struct pci_device_ops {
	/* After a config write landed. Optional. */
	void (*config_written)(struct pci_device *dev, uint32_t offset,
			       uint32_t len);
	/* A BAR appeared at addr (mapped) or went away (!mapped), on the
	 * vCPU thread that wrote the config, with the bus lock held. The
	 * device moves what hangs off the address (ioeventfds). Optional. */
	void (*bar_mapped)(struct pci_device *dev, unsigned bar, uint64_t addr,
			   bool mapped);
};

struct pci_bar {
	uint64_t size; /* power of two, >= 4 KiB; 0: the BAR is unused */
	bus_io_fn fn;
	void *opaque;
	uint64_t addr; /* where it is mapped on vm->mmio, when mapped */
	bool mapped;
};

struct pci_device {
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE]; /* 1 bits are guest-writable */
	const struct pci_device_ops *ops;
	void *opaque;
	const char *name;
	struct pci *bus;
	int slot;
	struct pci_bar bars[PCI_NUM_BARS];
	uint8_t cap_next; /* where the next capability goes */
	uint8_t cap_last; /* offset of the last one, 0: none yet */
	struct pci_msix *msix;
	bool intx_level;
};

struct pci {
	struct vm *vm;
	pthread_mutex_t lock; /* config cycles from several vCPUs */
	uint32_t address;     /* 0xCF8 */
	struct pci_device *slots[PCI_MAX_SLOTS];
	struct pci_device host_bridge;
	uint64_t mmio_next; /* BAR allocator in the 32-bit window */
	/* All MSI-X state (tables, pending bits, the GSI routing table that
	 * KVM replaces as a whole): the vCPU threads write tables, the I/O
	 * threads fire vectors. */
	pthread_mutex_t msix_lock;
	uint32_t next_gsi;
	bool no_irqfd; /* fall back to KVM_SIGNAL_MSI */
	/* Devices asserting each INTx GSI 16-23: slots 8 apart share one,
	 * and the line is the OR of them. Under msix_lock. */
	unsigned intx_count[8];
};

/* Creates the bus with a host bridge at 00.0 and registers its ports. */
int pci_init(struct pci *pci, struct vm *vm);
void pci_destroy(struct pci *pci);
/* Puts dev in the first free slot and gives its BARs their addresses;
 * returns the slot or a negative errno. Declare BARs and capabilities
 * first. */
int pci_add_device(struct pci *pci, struct pci_device *dev);
/* Fills the identity fields of a type-0 header. */
void pci_device_init(struct pci_device *dev, uint16_t vendor, uint16_t device,
		     uint32_t class_code, const char *name);
void pci_device_set_subsystem(struct pci_device *dev, uint16_t vendor,
			      uint16_t id);
/* A 32-bit memory BAR of size bytes (power of two) served by fn. */
int pci_device_set_bar(struct pci_device *dev, unsigned bar, uint64_t size,
		       bus_io_fn fn, void *opaque);
/* Appends a capability of len bytes (id and next pointer included) and
 * returns its config offset, or 0 when config space is full. The caller
 * fills the body and its write mask. */
uint8_t pci_device_add_cap(struct pci_device *dev, uint8_t id, uint8_t len);

/* MSI-X with nvec vectors, table and PBA in BAR bar (which this claims).
 * Call before pci_add_device(); the vectors get GSIs and irqfds there. */
int pci_msix_init(struct pci_device *dev, unsigned bar, unsigned nvec);
bool pci_msix_enabled(struct pci_device *dev);
/* Fires vector (or marks it pending while masked). Returns false when
 * MSI-X is off, so the device falls back to INTx. Any thread. */
bool pci_msix_notify(struct pci_device *dev, unsigned vector);
/* Sets the level of the device's INTA# line (level-triggered, on the GSI
 * of the slot's _PRT entry). Any thread. */
void pci_intx_set(struct pci_device *dev, bool level);

#endif
