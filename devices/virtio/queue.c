#include "virtio/queue.h"

#include <errno.h>
#include <linux/virtio_ring.h>
#include <string.h>

#include "vm.h"

/* The guest changes its rings while we read them: every shared field is
 * read once, into a local, before it is checked and used. */
#define VIRTQ_READ(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

static int
virtq_fail(struct virtq *q, const char *why)
{
	q->broken = true;
	q->error = why;
	return -EIO;
}

void
virtq_reset(struct virtq *q)
{
	uint16_t max = q->max_size;

	memset(q, 0, sizeof(*q));
	q->max_size = max;
	q->size = max;
	q->msix_vector = 0xffff;
}

int
virtq_start(struct virtq *q, struct vm *vm, bool event_idx, bool indirect)
{
	uint64_t n = q->size;

	q->vm = vm;
	q->event_idx = event_idx;
	q->indirect = indirect;
	q->last_avail = q->used_idx = q->signalled_used = 0;
	q->signalled_valid = false;
	q->broken = false;
	q->error = NULL;
	if (!n || n > q->max_size || (n & (n - 1))) {
		q->desc = NULL;
		return virtq_fail(q, "queue size is not a power of two within the maximum");
	}
	/* Alignment (2.7): descriptors 16, avail 2, used 4. */
	if ((q->desc_gpa & 15) || (q->avail_gpa & 1) || (q->used_gpa & 3))
		return virtq_fail(q, "misaligned ring address");
	q->desc = vm_gpa_to_hva(vm, q->desc_gpa, 16 * n);
	q->avail = vm_gpa_to_hva(vm, q->avail_gpa, 6 + 2 * n);
	q->used = vm_gpa_to_hva(vm, q->used_gpa, 6 + 8 * n);
	if (!q->desc || !q->avail || !q->used)
		return virtq_fail(q, "ring outside guest RAM");
	return 0;
}

bool
virtq_has_work(struct virtq *q)
{
	if (q->broken || !q->avail)
		return false;
	return __atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE) !=
	       q->last_avail;
}

/* Adds one buffer to e after checking it lies in guest RAM. */
static int
virtq_add_buf(struct virtq *q, struct virtq_elem *e, uint64_t addr,
	      uint32_t len, bool writable)
{
	void *hva;

	if (!len)
		return 0;
	if (!writable && e->nin)
		return virtq_fail(q, "readable buffer after a writable one");
	if (e->nout + e->nin >= VIRTQ_MAX_SEGS)
		return virtq_fail(q, "too many buffers in one chain");
	if (e->out_len + e->in_len + len > VIRTQ_MAX_TOTAL)
		return virtq_fail(q, "chain longer than 256 MiB");
	hva = vm_gpa_to_hva(q->vm, addr, len);
	if (!hva)
		return virtq_fail(q, "buffer outside guest RAM");
	e->iov[e->nout + e->nin].iov_base = hva;
	e->iov[e->nout + e->nin].iov_len = len;
	if (writable) {
		e->nin++;
		e->in_len += len;
	} else {
		e->nout++;
		e->out_len += len;
	}
	return 0;
}

/* Walks one chain from head: direct descriptors, or one level of indirect
 * table. Every next index is checked against the table it indexes, and a
 * chain may visit at most as many descriptors as the table has, so a loop
 * ends as an error. */
static int
virtq_walk(struct virtq *q, struct virtq_elem *e, uint16_t head)
{
	/* Bytes, not descriptors: an indirect table may sit at any address
	 * the driver likes, aligned or not. */
	const uint8_t *table = (const uint8_t *)q->desc;
	unsigned max = q->size, count = 0, i = head;
	bool in_indirect = false;

	for (;;) {
		struct vring_desc d;

		if (i >= max)
			return virtq_fail(q, "descriptor index out of range");
		if (count++ >= max)
			return virtq_fail(q, "descriptor chain loops");
		/* One copy: the driver may rewrite it while we look. */
		memcpy(&d, table + (size_t)i * sizeof(d), sizeof(d));
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (!q->indirect)
				return virtq_fail(q, "indirect descriptor not negotiated");
			if (in_indirect)
				return virtq_fail(q, "nested indirect table");
			if (d.flags & VRING_DESC_F_NEXT)
				return virtq_fail(q, "indirect descriptor with NEXT");
			if (!d.len || d.len % sizeof(struct vring_desc) ||
			    d.len / sizeof(struct vring_desc) > VIRTQ_MAX_INDIRECT)
				return virtq_fail(q, "bad indirect table length");
			table = vm_gpa_to_hva(q->vm, d.addr, d.len);
			if (!table)
				return virtq_fail(q, "indirect table outside guest RAM");
			max = d.len / sizeof(struct vring_desc);
			in_indirect = true;
			count = 0;
			i = 0;
			continue;
		}
		if (virtq_add_buf(q, e, d.addr, d.len,
				  d.flags & VRING_DESC_F_WRITE))
			return -EIO;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		i = d.next;
	}
}

int
virtq_pop(struct virtq *q, struct virtq_elem *e)
{
	uint16_t avail_idx, head;

	if (q->broken || !q->desc)
		return q->broken ? -EIO : 0;
	avail_idx = __atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE);
	if ((uint16_t)(avail_idx - q->last_avail) > q->size)
		return virtq_fail(q, "avail index moved by more than the queue size");
	if (avail_idx == q->last_avail)
		return 0;
	head = VIRTQ_READ(q->avail->ring[q->last_avail & (q->size - 1)]);
	e->head = head;
	e->nout = e->nin = 0;
	e->out_len = e->in_len = 0;
	if (virtq_walk(q, e, head))
		return -EIO;
	q->last_avail++;
	return 1;
}

void
virtq_push(struct virtq *q, const struct virtq_elem *e, uint32_t len)
{
	struct vring_used_elem *u;

	if (q->broken || !q->used)
		return;
	u = &q->used->ring[q->used_idx & (q->size - 1)];
	__atomic_store_n(&u->id, e->head, __ATOMIC_RELAXED);
	__atomic_store_n(&u->len, len, __ATOMIC_RELAXED);
	q->used_idx++;
	/* The entry is visible before the index that publishes it. */
	__atomic_store_n(&q->used->idx, q->used_idx, __ATOMIC_RELEASE);
}

bool
virtq_should_notify(struct virtq *q)
{
	uint16_t old, event;
	bool valid;

	if (q->broken || !q->used)
		return false;
	/* Our used->idx store must be seen before we read the driver's
	 * flags or used_event (the driver orders the other way round). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!q->event_idx)
		return !(VIRTQ_READ(q->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
	old = q->signalled_used;
	valid = q->signalled_valid;
	q->signalled_used = q->used_idx;
	q->signalled_valid = true;
	/* used_event sits after the avail ring. */
	event = VIRTQ_READ(q->avail->ring[q->size]);
	return !valid || vring_need_event(event, q->used_idx, old);
}

bool
virtq_arm(struct virtq *q)
{
	if (q->broken || !q->used)
		return false;
	if (q->event_idx)
		__atomic_store_n((uint16_t *)&q->used->ring[q->size],
				 q->last_avail, __ATOMIC_RELAXED);
	/* Publish avail_event before looking at avail->idx again. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return virtq_has_work(q);
}

/* Copies between a flat buffer and the part of a scatter list that starts
 * off bytes in; to_iov says which way. Returns the bytes copied. */
static uint64_t
virtq_iov_copy(const struct iovec *iov, unsigned n, uint64_t off, void *buf,
	       uint64_t len, bool to_iov)
{
	uint64_t done = 0;
	unsigned i;

	for (i = 0; i < n && done < len; i++) {
		uint64_t l = iov[i].iov_len, c;
		uint8_t *p;

		if (off >= l) {
			off -= l;
			continue;
		}
		p = (uint8_t *)iov[i].iov_base + off;
		c = l - off < len - done ? l - off : len - done;
		if (to_iov)
			memcpy(p, (const uint8_t *)buf + done, c);
		else
			memcpy((uint8_t *)buf + done, p, c);
		done += c;
		off = 0;
	}
	return done;
}

uint64_t
virtq_iov_read(const struct iovec *iov, unsigned n, uint64_t off, void *dst,
	       uint64_t len)
{
	return virtq_iov_copy(iov, n, off, dst, len, false);
}

uint64_t
virtq_iov_write(const struct iovec *iov, unsigned n, uint64_t off,
		const void *src, uint64_t len)
{
	return virtq_iov_copy(iov, n, off, (void *)src, len, true);
}
