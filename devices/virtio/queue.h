/* Split virtqueues (virtio 1.x, 2.7): the guest's descriptor table, avail
 * and used rings, walked with every index, address, length and chain
 * checked against guest RAM and the queue size. A queue that breaks a rule
 * is marked broken; the device then asks for a reset (NEEDS_RESET) and
 * never touches it again until the driver resets it.
 *
 * Only depends on vm_gpa_to_hva(), so unit tests and fuzzers run it over a
 * fake guest memory. Not thread-safe: the device serialises access. */
#ifndef VMD_DEVICES_VIRTIO_QUEUE_H
#define VMD_DEVICES_VIRTIO_QUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#define VIRTQ_MAX_SIZE 1024      /* largest queue a device offers */
#define VIRTQ_MAX_SEGS 1024      /* buffers in one chain */
#define VIRTQ_MAX_INDIRECT 1024  /* descriptors in one indirect table */
/* No request of ours needs more; a bigger chain is a guest bug or an
 * attack and must not make us touch that much memory. */
#define VIRTQ_MAX_TOTAL (256u << 20)

struct vm;
struct vring_desc;
struct vring_avail;
struct vring_used;

struct virtq {
	/* Programmed by the driver through the transport. */
	uint16_t size;
	uint16_t max_size;
	bool enabled;
	uint16_t msix_vector;
	uint64_t desc_gpa, avail_gpa, used_gpa;

	/* Set by virtq_start(). */
	struct vm *vm;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	bool event_idx;
	bool indirect;
	uint16_t last_avail;     /* next avail entry we take */
	uint16_t used_idx;       /* our copy of used->idx */
	uint16_t signalled_used; /* used_idx at the last interrupt */
	bool signalled_valid;
	bool broken;
	const char *error; /* why it broke, for the device's one log line */
};

/* One request: iov[0..nout) are the driver's buffers (device reads),
 * iov[nout..nout+nin) the device's (device writes). */
struct virtq_elem {
	uint16_t head;
	unsigned nout, nin;
	uint64_t out_len, in_len;
	struct iovec iov[VIRTQ_MAX_SEGS];
};

/* Forgets everything but max_size (device reset). */
void virtq_reset(struct virtq *q);
/* Maps the rings the driver programmed. -EIO (q->error set) when the
 * size or an address is bad. */
int virtq_start(struct virtq *q, struct vm *vm, bool event_idx,
		bool indirect);
/* Takes the next request: 1 when e is filled, 0 when the queue is empty,
 * -EIO when the queue broke (q->error says why). */
int virtq_pop(struct virtq *q, struct virtq_elem *e);
/* Hands a request back with len bytes written into its in-buffers. */
void virtq_push(struct virtq *q, const struct virtq_elem *e, uint32_t len);
/* After pushes: whether the driver wants an interrupt now. */
bool virtq_should_notify(struct virtq *q);
/* Before sleeping on an empty queue: ask for a kick at the next request.
 * Returns true if requests arrived meanwhile (pop again). */
bool virtq_arm(struct virtq *q);
/* Requests waiting (avail idx moved past what we took). */
bool virtq_has_work(struct virtq *q);

/* Copies between a request's buffers and flat memory. */
uint64_t virtq_iov_read(const struct iovec *iov, unsigned n, uint64_t off,
			void *dst, uint64_t len);
uint64_t virtq_iov_write(const struct iovec *iov, unsigned n, uint64_t off,
			 const void *src, uint64_t len);

#endif
