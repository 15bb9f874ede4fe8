/* A minimal virtio driver for device unit tests: it drives a bare device
 * (created with pci NULL) through the real transport registers over a
 * fake guest RAM, as Linux would: reset, feature negotiation, queue
 * set-up, buffers posted on the avail ring, used entries read back.
 *
 * Layout of the fake RAM: queue q's descriptors at VQD_RING(q), its avail
 * ring 0x1000 further, its used ring 0x2000 further; VQD_BUF(q) is where
 * its buffers go, VQD_BUF_SIZE bytes per descriptor slot. */
#ifndef VMD_TESTS_VIRTQ_DRIVER_H
#define VMD_TESTS_VIRTQ_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio/devices.h"
#include "vm.h"

#define VQD_RAM_SIZE (1u << 20)
#define VQD_QSIZE 16
#define VQD_RING(q) (0x10000u + 0x4000u * (q))
#define VQD_BUF(q) (0x40000u + 0x10000u * (q))
#define VQD_BUF_SIZE 0x100

/* The fake VM every test device lives in (RAM allocated by vqd_vm_init). */
extern struct vm vqd_vm;

void vqd_vm_init(void);
void vqd_vm_free(void);

void vqd_write(struct virtio_dev *vd, uint32_t off, uint32_t val,
	       uint32_t len);
uint32_t vqd_read(struct virtio_dev *vd, uint32_t off, uint32_t len);

/* Reset, negotiate everything offered, set up the first nq queues
 * (VQD_QSIZE entries each, empty rings) and set DRIVER_OK. */
void vqd_driver_init(struct virtio_dev *vd, unsigned nq);
bool vqd_needs_reset(struct virtio_dev *vd);

/* Posts one buffer of len bytes at gpa on queue q (device-writable when
 * writable), as descriptor slot `slot`. Does not kick. */
void vqd_post(unsigned q, unsigned slot, uint64_t gpa, uint32_t len,
	      bool writable);
/* Used entries the device returned on queue q so far. */
uint16_t vqd_used_idx(unsigned q);
/* The i-th used entry of queue q: its descriptor id and length. */
void vqd_used(unsigned q, uint16_t i, uint32_t *id, uint32_t *len);

/* A device-to-driver queue as a driver reads it: refill with writable
 * buffers (slot i at VQD_BUF(q) + i * VQD_BUF_SIZE), take used ones in
 * order. */
struct vqd_reader {
	unsigned q;
	unsigned posted;
	uint16_t seen;
};
/* Posts n buffers of len bytes and kicks the device. */
void vqd_refill(struct virtio_dev *vd, struct vqd_reader *r, unsigned n,
		uint32_t len);
/* Used buffers not taken yet. */
unsigned vqd_pending(const struct vqd_reader *r);
/* The next used buffer and the length the device wrote (fails the test
 * when there is none). */
const void *vqd_next(struct vqd_reader *r, uint32_t *len);

#endif
