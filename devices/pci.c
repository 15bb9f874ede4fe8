#include "pci.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "vm.h"

#define PCI_CONFIG_ADDRESS 0xCF8
#define PCI_CONFIG_DATA    0xCFC
#define PCI_ADDR_ENABLE    0x80000000u
/* 0xCF9, inside the address register's range, is the PC's reset control
 * register; the FADT names it as the ACPI reset register. */
#define PCI_RESET_CONTROL_OFF 1
#define PCI_RESET_CPU         0x04

#define PCI_COMMAND        0x04
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_STATUS         0x06
#define PCI_STATUS_CAP     0x0010
#define PCI_BAR0           0x10
#define PCI_SUBSYS_VENDOR  0x2c
#define PCI_CAP_PTR        0x34
#define PCI_INT_LINE       0x3c
#define PCI_INT_PIN        0x3d
#define PCI_CAP_START      0x40

/* MSI-X capability: id, next, message control, table and PBA pointers. */
#define PCI_MSIX_CAP_LEN     12
#define PCI_MSIX_CTRL_ENABLE 0x8000
#define PCI_MSIX_CTRL_MASK   0x4000
#define PCI_MSIX_ENTRY_SIZE  16
#define PCI_MSIX_PBA_OFF     0x800 /* table: 128 entries of 16 bytes */
#define PCI_MSIX_BAR_SIZE    0x1000
#define PCI_MSIX_VEC_MASKED  1u

/* GSIs 0-23 are the IOAPIC's pins (0-15 also the PICs'); MSI routes
 * start above them. */
#define PCI_IOAPIC_PINS 24
#define PCI_FIRST_MSI_GSI 24
/* The bridge's 32-bit memory window, as the DSDT's _CRS declares it. */
#define PCI_MMIO_START VM_PCI_HOLE_START
#define PCI_MMIO_END   VM_IOAPIC_BASE

#define PCI_VENDOR_REDHAT        0x1b36
#define PCI_DEVICE_HOST_BRIDGE   0x0008
#define PCI_CLASS_HOST_BRIDGE    0x060000

struct pci_msix_vec {
	uint32_t addr_lo, addr_hi, data, ctrl;
	uint32_t gsi;
	int efd; /* irqfd on gsi; -1 without irqfd */
	bool pending;
};

struct pci_msix {
	uint8_t cap; /* config offset of the capability */
	unsigned bar;
	unsigned nvec;
	struct pci_msix_vec vec[PCI_MSIX_MAX_VECTORS];
};

static void
pci_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
pci_put32(uint8_t *p, uint32_t v)
{
	pci_put16(p, (uint16_t)v);
	pci_put16(p + 2, (uint16_t)(v >> 16));
}

static uint16_t
pci_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
pci_get32(const uint8_t *p)
{
	return pci_get16(p) | (uint32_t)pci_get16(p + 2) << 16;
}

void
pci_device_init(struct pci_device *dev, uint16_t vendor, uint16_t device,
		uint32_t class_code, const char *name)
{
	memset(dev, 0, sizeof(*dev));
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
	dev->slot = -1;
	dev->cap_next = PCI_CAP_START;
}

void
pci_device_set_subsystem(struct pci_device *dev, uint16_t vendor, uint16_t id)
{
	pci_put16(&dev->cfg[PCI_SUBSYS_VENDOR], vendor);
	pci_put16(&dev->cfg[PCI_SUBSYS_VENDOR + 2], id);
}

int
pci_device_set_bar(struct pci_device *dev, unsigned bar, uint64_t size,
		   bus_io_fn fn, void *opaque)
{
	uint32_t mask;

	if (bar >= PCI_NUM_BARS || size < 4096 || (size & (size - 1)) ||
	    size > (1ull << 30) || dev->bars[bar].size)
		return -EINVAL;
	dev->bars[bar] = (struct pci_bar){ .size = size, .fn = fn,
					   .opaque = opaque };
	/* The sizing protocol: writing all-ones reads back ~(size-1) with
	 * the type bits (0: 32-bit, non-prefetchable memory). */
	mask = (uint32_t)~(size - 1);
	pci_put32(&dev->wmask[PCI_BAR0 + 4 * bar], mask);
	return 0;
}

uint8_t
pci_device_add_cap(struct pci_device *dev, uint8_t id, uint8_t len)
{
	uint8_t off = (uint8_t)ALIGN_UP(dev->cap_next, 4u);

	if (len < 2 || off < PCI_CAP_START || off + len > PCI_CFG_SIZE)
		return 0;
	dev->cfg[off] = id;
	dev->cfg[off + 1] = 0;
	if (dev->cap_last)
		dev->cfg[dev->cap_last + 1] = off;
	else
		dev->cfg[PCI_CAP_PTR] = off;
	dev->cfg[PCI_STATUS] |= PCI_STATUS_CAP;
	dev->cap_last = off;
	dev->cap_next = (uint8_t)MIN(off + len, 0xff);
	return off;
}

/* Maps or unmaps each memory BAR so vm->mmio matches what the guest
 * programmed: memory decoding on and a non-zero address inside 4 GiB.
 * Called with pci->lock held. */
static void
pci_update_bars(struct pci_device *dev)
{
	struct vm *vm = dev->bus->vm;
	bool decode = pci_get16(&dev->cfg[PCI_COMMAND]) & PCI_COMMAND_MEMORY;
	unsigned i;

	for (i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *b = &dev->bars[i];
		uint64_t addr;
		bool want;
		int ret;

		if (!b->size)
			continue;
		addr = pci_get32(&dev->cfg[PCI_BAR0 + 4 * i]) & ~0xfull;
		/* All-ones is the sizing probe, not a place to decode. */
		want = decode && addr && addr != (uint32_t)~(b->size - 1) &&
		       addr + b->size <= VM_IOAPIC_BASE;
		if (b->mapped && (!want || addr != b->addr)) {
			bus_unregister(&vm->mmio, b->addr);
			b->mapped = false;
			if (dev->ops && dev->ops->bar_mapped)
				dev->ops->bar_mapped(dev, i, b->addr, false);
		}
		if (!want || b->mapped)
			continue;
		ret = bus_register(&vm->mmio, addr, b->size, b->fn, b->opaque,
				   dev->name);
		if (ret) {
			log_once(LOG_LVL_WARN,
				 "pci %s: BAR%u at 0x%llx overlaps another range: not mapped",
				 dev->name, i, (unsigned long long)addr);
			continue;
		}
		b->addr = addr;
		b->mapped = true;
		if (dev->ops && dev->ops->bar_mapped)
			dev->ops->bar_mapped(dev, i, addr, true);
	}
}

/* ------------------------------------------------------------- MSI-X --- */

static bool
pci_msix_vec_masked(const struct pci_device *dev, const struct pci_msix_vec *v)
{
	uint16_t ctrl = pci_get16(&dev->cfg[dev->msix->cap + 2]);

	return !(ctrl & PCI_MSIX_CTRL_ENABLE) || (ctrl & PCI_MSIX_CTRL_MASK) ||
	       (v->ctrl & PCI_MSIX_VEC_MASKED);
}

static void
pci_msix_fire(struct pci *pci, struct pci_msix_vec *v)
{
	struct kvm_msi msi = { .address_lo = v->addr_lo,
			       .address_hi = v->addr_hi, .data = v->data };
	uint64_t one = 1;

	if (v->efd >= 0) {
		if (write(v->efd, &one, sizeof(one)) < 0)
			log_once(LOG_LVL_WARN, "msi-x irqfd write: %s",
				 strerror(errno));
		return;
	}
	if (ioctl(pci->vm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0)
		log_once(LOG_LVL_WARN, "KVM_SIGNAL_MSI: %s", strerror(errno));
}

/* KVM_SET_GSI_ROUTING replaces the whole table, so it is rebuilt from
 * scratch: the default IOAPIC/PIC routes of GSIs 0-23, then one MSI
 * route per programmed vector of every device. msix_lock held. */
static void
pci_msix_commit_routes(struct pci *pci)
{
	struct kvm_irq_routing *r;
	unsigned n = 0, cap = PCI_IOAPIC_PINS + 16, s, i;

	for (s = 0; s < PCI_MAX_SLOTS; s++)
		if (pci->slots[s] && pci->slots[s]->msix)
			cap += pci->slots[s]->msix->nvec;
	r = calloc(1, sizeof(*r) + cap * sizeof(r->entries[0]));
	if (!r) {
		log_once(LOG_LVL_WARN, "msi-x: no memory for the routing table");
		return;
	}
	for (i = 0; i < PCI_IOAPIC_PINS; i++) {
		r->entries[n].gsi = i;
		r->entries[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		r->entries[n].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		r->entries[n++].u.irqchip.pin = i;
		if (i >= 16)
			continue;
		r->entries[n].gsi = i;
		r->entries[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		r->entries[n].u.irqchip.irqchip = i < 8 ?
			KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
		r->entries[n++].u.irqchip.pin = i % 8;
	}
	for (s = 0; s < PCI_MAX_SLOTS; s++) {
		struct pci_device *dev = pci->slots[s];

		if (!dev || !dev->msix)
			continue;
		for (i = 0; i < dev->msix->nvec; i++) {
			struct pci_msix_vec *v = &dev->msix->vec[i];

			if (!v->addr_lo && !v->addr_hi)
				continue;
			r->entries[n].gsi = v->gsi;
			r->entries[n].type = KVM_IRQ_ROUTING_MSI;
			r->entries[n].u.msi.address_lo = v->addr_lo;
			r->entries[n].u.msi.address_hi = v->addr_hi;
			r->entries[n++].u.msi.data = v->data;
		}
	}
	r->nr = n;
	if (ioctl(pci->vm->vm_fd, KVM_SET_GSI_ROUTING, r) < 0) {
		log_once(LOG_LVL_WARN,
			 "KVM_SET_GSI_ROUTING: %s; MSI-X goes through KVM_SIGNAL_MSI",
			 strerror(errno));
		pci->no_irqfd = true;
	}
	free(r);
}

/* Vectors that became unmasked deliver what they kept pending. */
static void
pci_msix_flush_pending(struct pci_device *dev)
{
	unsigned i;

	for (i = 0; i < dev->msix->nvec; i++) {
		struct pci_msix_vec *v = &dev->msix->vec[i];

		if (v->pending && !pci_msix_vec_masked(dev, v)) {
			v->pending = false;
			pci_msix_fire(dev->bus, v);
		}
	}
}

static void
pci_msix_table_rw(struct pci_device *dev, uint32_t off, uint32_t *val,
		  bool is_write)
{
	struct pci_msix *m = dev->msix;
	struct pci_msix_vec *v;
	uint32_t *field, old;

	if (off >= PCI_MSIX_PBA_OFF) {
		uint32_t word = (off - PCI_MSIX_PBA_OFF) / 4, i;

		if (is_write)
			return;
		*val = 0;
		for (i = 0; i < 32; i++) {
			unsigned n = word * 32 + i;

			if (n < m->nvec && m->vec[n].pending)
				*val |= 1u << i;
		}
		return;
	}
	if (off / PCI_MSIX_ENTRY_SIZE >= m->nvec) {
		if (!is_write)
			*val = 0;
		return;
	}
	v = &m->vec[off / PCI_MSIX_ENTRY_SIZE];
	switch (off % PCI_MSIX_ENTRY_SIZE) {
	case 0: field = &v->addr_lo; break;
	case 4: field = &v->addr_hi; break;
	case 8: field = &v->data; break;
	default: field = &v->ctrl; break;
	}
	if (!is_write) {
		*val = *field;
		return;
	}
	old = *field;
	*field = field == &v->ctrl ? (*val & PCI_MSIX_VEC_MASKED) : *val;
	if (field != &v->ctrl && old != *field && v->efd >= 0)
		pci_msix_commit_routes(dev->bus);
	if (field == &v->ctrl)
		pci_msix_flush_pending(dev);
}

/* The MSI-X BAR: the table, then the PBA. Dword accesses (a qword is two);
 * anything else is ignored, as the spec allows. */
static void
pci_msix_bar_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
		bool is_write)
{
	struct pci_device *dev = opaque;
	struct pci *pci = dev->bus;
	uint32_t i, val;

	if ((len != 4 && len != 8) || (off & 3)) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	pthread_mutex_lock(&pci->msix_lock);
	for (i = 0; i < len; i += 4) {
		if (is_write) {
			memcpy(&val, data + i, 4);
			pci_msix_table_rw(dev, (uint32_t)off + i, &val, true);
		} else {
			pci_msix_table_rw(dev, (uint32_t)off + i, &val, false);
			memcpy(data + i, &val, 4);
		}
	}
	pthread_mutex_unlock(&pci->msix_lock);
}

int
pci_msix_init(struct pci_device *dev, unsigned bar, unsigned nvec)
{
	struct pci_msix *m;
	uint8_t cap;
	int ret;

	if (!nvec || nvec > PCI_MSIX_MAX_VECTORS || dev->msix)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	ret = pci_device_set_bar(dev, bar, PCI_MSIX_BAR_SIZE, pci_msix_bar_io,
				 dev);
	cap = ret ? 0 : pci_device_add_cap(dev, PCI_CAP_ID_MSIX,
					   PCI_MSIX_CAP_LEN);
	if (!cap) {
		free(m);
		return ret ? ret : -ENOSPC;
	}
	m->cap = cap;
	m->bar = bar;
	m->nvec = nvec;
	pci_put16(&dev->cfg[cap + 2], (uint16_t)(nvec - 1));
	dev->wmask[cap + 3] = 0xc0; /* enable, function mask */
	pci_put32(&dev->cfg[cap + 4], 0 | bar);
	pci_put32(&dev->cfg[cap + 8], PCI_MSIX_PBA_OFF | bar);
	dev->msix = m;
	return 0;
}

/* Each vector gets a GSI and an irqfd on it: the I/O thread fires a
 * vector with one write(), without a trip through the vCPU or a lock in
 * the kernel's irqchip. */
static void
pci_msix_attach(struct pci *pci, struct pci_device *dev)
{
	struct pci_msix *m = dev->msix;
	unsigned i;

	for (i = 0; i < m->nvec; i++) {
		struct pci_msix_vec *v = &m->vec[i];
		struct kvm_irqfd irqfd = { 0 };

		v->ctrl = PCI_MSIX_VEC_MASKED;
		v->gsi = pci->next_gsi++;
		v->efd = -1;
		if (pci->no_irqfd)
			continue;
		v->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		irqfd.fd = (uint32_t)v->efd;
		irqfd.gsi = v->gsi;
		if (v->efd < 0 || ioctl(pci->vm->vm_fd, KVM_IRQFD, &irqfd) < 0) {
			log_warn("pci %s: no irqfd (%s): MSI-X goes through KVM_SIGNAL_MSI",
				 dev->name, strerror(errno));
			if (v->efd >= 0)
				close(v->efd);
			v->efd = -1;
			pci->no_irqfd = true;
		}
	}
}

static void
pci_msix_detach(struct pci *pci, struct pci_device *dev)
{
	unsigned i;

	for (i = 0; i < dev->msix->nvec; i++) {
		struct pci_msix_vec *v = &dev->msix->vec[i];
		struct kvm_irqfd irqfd = { .fd = (uint32_t)v->efd, .gsi = v->gsi,
					   .flags = KVM_IRQFD_FLAG_DEASSIGN };

		if (v->efd < 0)
			continue;
		ioctl(pci->vm->vm_fd, KVM_IRQFD, &irqfd);
		close(v->efd);
		v->efd = -1;
	}
	free(dev->msix);
	dev->msix = NULL;
}

bool
pci_msix_enabled(struct pci_device *dev)
{
	bool on;

	if (!dev->msix)
		return false;
	pthread_mutex_lock(&dev->bus->msix_lock);
	on = pci_get16(&dev->cfg[dev->msix->cap + 2]) & PCI_MSIX_CTRL_ENABLE;
	pthread_mutex_unlock(&dev->bus->msix_lock);
	return on;
}

bool
pci_msix_notify(struct pci_device *dev, unsigned vector)
{
	struct pci *pci = dev->bus;
	struct pci_msix_vec *v;
	uint16_t ctrl;

	if (!dev->msix)
		return false;
	pthread_mutex_lock(&pci->msix_lock);
	ctrl = pci_get16(&dev->cfg[dev->msix->cap + 2]);
	if (!(ctrl & PCI_MSIX_CTRL_ENABLE)) {
		pthread_mutex_unlock(&pci->msix_lock);
		return false;
	}
	if (vector < dev->msix->nvec) {
		v = &dev->msix->vec[vector];
		if (pci_msix_vec_masked(dev, v))
			v->pending = true;
		else
			pci_msix_fire(pci, v);
	}
	pthread_mutex_unlock(&pci->msix_lock);
	return true;
}

void
pci_intx_set(struct pci_device *dev, bool level)
{
	/* Slot s's INTA# is GSI 16 + (s & 7): the DSDT's _PRT says so. */
	unsigned line = (unsigned)dev->slot & 7u;
	struct pci *pci = dev->bus;

	pthread_mutex_lock(&pci->msix_lock);
	if (dev->intx_level != level) {
		dev->intx_level = level;
		if (level && pci->intx_count[line]++ == 0)
			vm_irq_line(pci->vm, 16 + line, 1);
		else if (!level && --pci->intx_count[line] == 0)
			vm_irq_line(pci->vm, 16 + line, 0);
	}
	pthread_mutex_unlock(&pci->msix_lock);
}

/* -------------------------------------------------- config mechanism --- */

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


static bool
pci_overlaps(uint32_t reg, uint32_t len, uint32_t start, uint32_t end)
{
	return reg < end && reg + len > start;
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
	if (!is_write) {
		/* msix_lock: the message control word is read by I/O threads. */
		pthread_mutex_lock(&pci->msix_lock);
		memcpy(data, &dev->cfg[reg], len);
		pthread_mutex_unlock(&pci->msix_lock);
		pthread_mutex_unlock(&pci->lock);
		return;
	}
	pthread_mutex_lock(&pci->msix_lock);
	for (i = 0; i < len; i++) {
		uint8_t m = dev->wmask[reg + i];

		dev->cfg[reg + i] = (uint8_t)((dev->cfg[reg + i] & ~m) |
					      (data[i] & m));
	}
	if (dev->msix && pci_overlaps(reg, len, dev->msix->cap + 2u,
				      dev->msix->cap + 4u))
		pci_msix_flush_pending(dev);
	pthread_mutex_unlock(&pci->msix_lock);
	if (pci_overlaps(reg, len, PCI_COMMAND, PCI_COMMAND + 2) ||
	    pci_overlaps(reg, len, PCI_BAR0, PCI_BAR0 + 4 * PCI_NUM_BARS))
		pci_update_bars(dev);
	if (dev->ops && dev->ops->config_written)
		dev->ops->config_written(dev, reg, len);
	pthread_mutex_unlock(&pci->lock);
}

int
pci_add_device(struct pci *pci, struct pci_device *dev)
{
	uint64_t next;
	int slot, ret = -ENOSPC;
	unsigned i;

	pthread_mutex_lock(&pci->lock);
	for (slot = 0; slot < PCI_MAX_SLOTS; slot++)
		if (!pci->slots[slot])
			break;
	if (slot == PCI_MAX_SLOTS)
		goto out;
	/* No firmware assigns BARs here, so we do, as firmware would: each
	 * naturally aligned in the bridge's window, decoding on. Linux
	 * claims such assignments as they are when they sit inside _CRS. */
	next = pci->mmio_next;
	for (i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *b = &dev->bars[i];

		if (!b->size)
			continue;
		next = ALIGN_UP(next, b->size);
		if (next + b->size > PCI_MMIO_END) {
			ret = -ENOSPC;
			goto out;
		}
		pci_put32(&dev->cfg[PCI_BAR0 + 4 * i], (uint32_t)next);
		next += b->size;
	}
	pci->mmio_next = next;
	dev->bus = pci;
	dev->slot = slot;
	dev->cfg[PCI_INT_PIN] = 1; /* INTA# */
	dev->cfg[PCI_INT_LINE] = (uint8_t)(16 + (slot & 7));
	pci_put16(&dev->cfg[PCI_COMMAND], PCI_COMMAND_MEMORY);
	pthread_mutex_lock(&pci->msix_lock);
	pci->slots[slot] = dev;
	if (dev->msix)
		pci_msix_attach(pci, dev);
	pthread_mutex_unlock(&pci->msix_lock);
	pci_update_bars(dev);
	ret = slot;
out:
	pthread_mutex_unlock(&pci->lock);
	return ret;
}

int
pci_init(struct pci *pci, struct vm *vm)
{
	int ret;

	memset(pci, 0, sizeof(*pci));
	pci->vm = vm;
	pci->mmio_next = PCI_MMIO_START;
	pci->next_gsi = PCI_FIRST_MSI_GSI;
	pthread_mutex_init(&pci->lock, NULL);
	pthread_mutex_init(&pci->msix_lock, NULL);
	pci_device_init(&pci->host_bridge, PCI_VENDOR_REDHAT,
			PCI_DEVICE_HOST_BRIDGE, PCI_CLASS_HOST_BRIDGE,
			"host-bridge");
	pci->host_bridge.bus = pci;
	pci->host_bridge.slot = 0;
	pci->slots[0] = &pci->host_bridge;
	ret = bus_register(&vm->pio, PCI_CONFIG_ADDRESS, 4, pci_address_io,
			   pci, "pci-address");
	if (!ret)
		ret = bus_register(&vm->pio, PCI_CONFIG_DATA, 4, pci_data_io,
				   pci, "pci-data");
	return ret;
}

/* After the devices stopped: their irqfds go, their BARs leave the bus. */
void
pci_destroy(struct pci *pci)
{
	unsigned s, i;

	if (!pci->vm)
		return;
	for (s = 0; s < PCI_MAX_SLOTS; s++) {
		struct pci_device *dev = pci->slots[s];

		if (!dev)
			continue;
		for (i = 0; i < PCI_NUM_BARS; i++)
			if (dev->bars[i].mapped) {
				bus_unregister(&pci->vm->mmio, dev->bars[i].addr);
				dev->bars[i].mapped = false;
			}
		if (dev->msix)
			pci_msix_detach(pci, dev);
		pci->slots[s] = NULL;
	}
	pthread_mutex_destroy(&pci->msix_lock);
	pthread_mutex_destroy(&pci->lock);
	pci->vm = NULL;
}
