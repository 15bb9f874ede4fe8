#include "pci.h"

#include <errno.h>
#include <string.h>

#include "log.h"
#include "vm.h"

#define PCI_CONFIG_ADDRESS 0xCF8
#define PCI_CONFIG_DATA    0xCFC
#define PCI_ADDR_ENABLE    0x80000000u
/* 0xCF9, inside the address register's range, is the PC's reset control
 * register; the FADT names it as the ACPI reset register. */
#define PCI_RESET_CONTROL_OFF 1
#define PCI_RESET_CPU         0x04

#define PCI_VENDOR_REDHAT        0x1b36
#define PCI_DEVICE_HOST_BRIDGE   0x0008
#define PCI_CLASS_HOST_BRIDGE    0x060000

static void
pci_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

void
pci_device_init(struct pci_device *dev, uint16_t vendor, uint16_t device,
		uint32_t class_code, const char *name)
{
	memset(dev->cfg, 0, sizeof(dev->cfg));
	memset(dev->wmask, 0, sizeof(dev->wmask));
	pci_put16(&dev->cfg[0x00], vendor);
	pci_put16(&dev->cfg[0x02], device);
	dev->cfg[0x09] = (uint8_t)class_code;         /* prog-if */
	dev->cfg[0x0a] = (uint8_t)(class_code >> 8);  /* subclass */
	dev->cfg[0x0b] = (uint8_t)(class_code >> 16); /* class */
	/* Command: I/O, memory, bus master, INTx disable are the guest's. */
	dev->wmask[0x04] = 0x07;
	dev->wmask[0x05] = 0x04;
	dev->wmask[0x0c] = 0xff; /* cache line size */
	dev->wmask[0x0d] = 0xff; /* latency timer */
	dev->wmask[0x3c] = 0xff; /* interrupt line */
	dev->name = name;
}

/* The device addressed by the last write to 0xCF8, or NULL. Bus 0 only,
 * function 0 only: every device we model is single-function. */
static struct pci_device *
pci_selected(struct pci *pci, uint32_t *offset)
{
	uint32_t a = pci->address;
	unsigned bus = (a >> 16) & 0xff, slot = (a >> 11) & 0x1f;
	unsigned fn = (a >> 8) & 0x7;

	if (!(a & PCI_ADDR_ENABLE) || bus || fn)
		return NULL;
	*offset = a & 0xfc;
	return pci->slots[slot];
}

static void
pci_address_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
	       bool is_write)
{
	struct pci *pci = opaque;
	uint32_t shift = (uint32_t)off * 8, mask;

	if (off + len > 4)
		return;
	if (is_write && len == 1 && off == PCI_RESET_CONTROL_OFF) {
		if (data[0] & PCI_RESET_CPU)
			vm_request_exit(pci->vm, VM_EXIT_REBOOT,
					"guest reset via 0xCF9");
		return;
	}
	mask = len == 4 ? 0xffffffffu : ((1u << (len * 8)) - 1) << shift;
	pthread_mutex_lock(&pci->lock);
	if (is_write) {
		uint32_t v = 0;

		memcpy(&v, data, len);
		pci->address = (pci->address & ~mask) | ((v << shift) & mask);
	} else {
		uint32_t v = (pci->address & mask) >> shift;

		memcpy(data, &v, len);
	}
	pthread_mutex_unlock(&pci->lock);
}

static void
pci_data_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
	    bool is_write)
{
	struct pci *pci = opaque;
	struct pci_device *dev;
	uint32_t base, reg, i;

	pthread_mutex_lock(&pci->lock);
	dev = pci_selected(pci, &base);
	reg = base + (uint32_t)off;
	if (!dev || reg + len > PCI_CFG_SIZE) {
		if (!is_write)
			memset(data, 0xff, len);
		pthread_mutex_unlock(&pci->lock);
		return;
	}
	if (is_write) {
		for (i = 0; i < len; i++) {
			uint8_t m = dev->wmask[reg + i];

			dev->cfg[reg + i] = (uint8_t)((dev->cfg[reg + i] & ~m) |
						      (data[i] & m));
		}
		if (dev->ops && dev->ops->config_written)
			dev->ops->config_written(dev, reg, len);
	} else {
		memcpy(data, &dev->cfg[reg], len);
	}
	pthread_mutex_unlock(&pci->lock);
}

int
pci_add_device(struct pci *pci, struct pci_device *dev)
{
	int slot, ret = -ENOSPC;

	pthread_mutex_lock(&pci->lock);
	for (slot = 0; slot < PCI_MAX_SLOTS; slot++) {
		if (!pci->slots[slot]) {
			pci->slots[slot] = dev;
			ret = slot;
			break;
		}
	}
	pthread_mutex_unlock(&pci->lock);
	return ret;
}

int
pci_init(struct pci *pci, struct vm *vm)
{
	int ret;

	memset(pci, 0, sizeof(*pci));
	pci->vm = vm;
	pthread_mutex_init(&pci->lock, NULL);
	pci_device_init(&pci->host_bridge, PCI_VENDOR_REDHAT,
			PCI_DEVICE_HOST_BRIDGE, PCI_CLASS_HOST_BRIDGE,
			"host-bridge");
	pci->slots[0] = &pci->host_bridge;
	ret = bus_register(&vm->pio, PCI_CONFIG_ADDRESS, 4, pci_address_io,
			   pci, "pci-address");
	if (!ret)
		ret = bus_register(&vm->pio, PCI_CONFIG_DATA, 4, pci_data_io,
				   pci, "pci-data");
	return ret;
}
