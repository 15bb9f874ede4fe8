/* A minimal virtio driver over fake guest RAM: see virtq_driver.h. */
#include "virtq_driver.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

struct vm vqd_vm;

/* The devices raise no interrupt without PCI; the hooks only link. */
int
vm_irq_line(struct vm *vm, uint32_t gsi, int level)
{
	(void)vm;
	(void)gsi;
	(void)level;
	return 0;
}

void
vm_request_exit(struct vm *vm, enum vm_exit_status status, const char *reason)
{
	(void)vm;
	(void)status;
	(void)reason;
	fail_msg("a device asked the VM to exit");
}

void
vqd_vm_init(void)
{
	vqd_vm.ram = calloc(1, VQD_RAM_SIZE);
	assert_non_null(vqd_vm.ram);
	vqd_vm.ram_size = vqd_vm.low_ram = VQD_RAM_SIZE;
}

void
vqd_vm_free(void)
{
	free(vqd_vm.ram);
	vqd_vm.ram = NULL;
}

void
vqd_write(struct virtio_dev *vd, uint32_t off, uint32_t val, uint32_t len)
{
	virtio_pci_bar_io(vd, off, (uint8_t *)&val, len, true);
}

uint32_t
vqd_read(struct virtio_dev *vd, uint32_t off, uint32_t len)
{
	uint32_t val = 0;

	virtio_pci_bar_io(vd, off, (uint8_t *)&val, len, false);
	return val;
}

void
vqd_driver_init(struct virtio_dev *vd, unsigned nq)
{
	uint32_t lo, hi;
	unsigned q;

	for (q = 0; q < nq; q++)
		memset(vqd_vm.ram + VQD_RING(q), 0, 0x4000);
	vqd_write(vd, VIRTIO_PCI_COMMON_STATUS, 0, 1);
	vqd_write(vd, VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
		  VIRTIO_CONFIG_S_DRIVER, 1);
	vqd_write(vd, VIRTIO_PCI_COMMON_DFSELECT, 0, 4);
	lo = vqd_read(vd, VIRTIO_PCI_COMMON_DF, 4);
	vqd_write(vd, VIRTIO_PCI_COMMON_DFSELECT, 1, 4);
	hi = vqd_read(vd, VIRTIO_PCI_COMMON_DF, 4);
	assert_true(hi & 1); /* VIRTIO_F_VERSION_1: a modern device */
	vqd_write(vd, VIRTIO_PCI_COMMON_GFSELECT, 0, 4);
	vqd_write(vd, VIRTIO_PCI_COMMON_GF, lo, 4);
	vqd_write(vd, VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
	vqd_write(vd, VIRTIO_PCI_COMMON_GF, hi, 4);
	vqd_write(vd, VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
		  VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK, 1);
	assert_true(vqd_read(vd, VIRTIO_PCI_COMMON_STATUS, 1) &
		    VIRTIO_CONFIG_S_FEATURES_OK);
	for (q = 0; q < nq; q++) {
		vqd_write(vd, VIRTIO_PCI_COMMON_Q_SELECT, q, 2);
		vqd_write(vd, VIRTIO_PCI_COMMON_Q_SIZE, VQD_QSIZE, 2);
		vqd_write(vd, VIRTIO_PCI_COMMON_Q_DESCLO, VQD_RING(q), 4);
		vqd_write(vd, VIRTIO_PCI_COMMON_Q_AVAILLO, VQD_RING(q) + 0x1000,
			  4);
		vqd_write(vd, VIRTIO_PCI_COMMON_Q_USEDLO, VQD_RING(q) + 0x2000,
			  4);
		vqd_write(vd, VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	}
	vqd_write(vd, VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
		  VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |
		  VIRTIO_CONFIG_S_DRIVER_OK, 1);
	assert_false(vqd_needs_reset(vd));
}

bool
vqd_needs_reset(struct virtio_dev *vd)
{
	return vqd_read(vd, VIRTIO_PCI_COMMON_STATUS, 1) &
	       VIRTIO_CONFIG_S_NEEDS_RESET;
}

void
vqd_post(unsigned q, unsigned slot, uint64_t gpa, uint32_t len, bool writable)
{
	struct vring_desc *d = (struct vring_desc *)(vqd_vm.ram + VQD_RING(q)) +
			       slot % VQD_QSIZE;
	struct vring_avail *a = (struct vring_avail *)(vqd_vm.ram +
						       VQD_RING(q) + 0x1000);

	d->addr = gpa;
	d->len = len;
	d->flags = writable ? VRING_DESC_F_WRITE : 0;
	d->next = 0;
	a->ring[a->idx % VQD_QSIZE] = (uint16_t)(slot % VQD_QSIZE);
	__atomic_store_n(&a->idx, (uint16_t)(a->idx + 1), __ATOMIC_RELEASE);
}

uint16_t
vqd_used_idx(unsigned q)
{
	struct vring_used *u = (struct vring_used *)(vqd_vm.ram + VQD_RING(q) +
						     0x2000);

	return __atomic_load_n(&u->idx, __ATOMIC_ACQUIRE);
}

void
vqd_used(unsigned q, uint16_t i, uint32_t *id, uint32_t *len)
{
	struct vring_used *u = (struct vring_used *)(vqd_vm.ram + VQD_RING(q) +
						     0x2000);

	*id = u->ring[i % VQD_QSIZE].id;
	*len = u->ring[i % VQD_QSIZE].len;
}

void
vqd_refill(struct virtio_dev *vd, struct vqd_reader *r, unsigned n,
	   uint32_t len)
{
	unsigned i;

	for (i = 0; i < n; i++, r->posted++) {
		unsigned slot = r->posted % VQD_QSIZE;

		vqd_post(r->q, slot, VQD_BUF(r->q) + slot * VQD_BUF_SIZE, len,
			 true);
	}
	virtio_dev_kick(vd, r->q);
}

unsigned
vqd_pending(const struct vqd_reader *r)
{
	return (uint16_t)(vqd_used_idx(r->q) - r->seen);
}

const void *
vqd_next(struct vqd_reader *r, uint32_t *len)
{
	uint32_t id;

	assert_true(vqd_pending(r) > 0);
	vqd_used(r->q, r->seen++, &id, len);
	assert_true(id < VQD_QSIZE);
	return vqd_vm.ram + VQD_BUF(r->q) + id * VQD_BUF_SIZE;
}
