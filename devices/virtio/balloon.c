/* virtio-balloon (virtio 1.x, 5.5): the host asks the guest to give back
 * memory (num_pages); the guest lists the pages it gave up on the inflate
 * queue and we drop them from the monitor (MADV_DONTNEED), so the host
 * gets the memory back. The stats queue reports the guest's view of its
 * memory. Runs on the monitor's I/O loop with the control socket. */
#include "virtio/devices.h"

#include <errno.h>
#include <json-c/json.h>
#include <linux/virtio_balloon.h>
#include <linux/virtio_ids.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "log.h"
#include "util.h"
#include "vm.h"

#define VIRTIO_BALLOON_QUEUE_SIZE 128
#define VIRTIO_BALLOON_INFLATE 0
#define VIRTIO_BALLOON_DEFLATE 1
#define VIRTIO_BALLOON_STATS   2
#define VIRTIO_BALLOON_PAGE    4096u

struct virtio_balloon {
	struct virtio_dev vd;
	uint32_t num_pages; /* target: pages the guest should give */
	uint32_t actual;    /* pages the guest says it gave */
	uint64_t inflated, deflated; /* pages seen on each queue */
	uint64_t stats[VIRTIO_BALLOON_S_NR];
	uint32_t stats_valid; /* bit per tag the guest reported */
	bool stats_held;      /* we hold the driver's stats buffer */
	uint16_t stats_head;
	struct virtq_elem elem;
};

struct virtio_balloon_stat_le {
	uint16_t tag;
	uint64_t val;
} __attribute__((packed));

static void
virtio_balloon_get_config(struct virtio_dev *vd, uint8_t *cfg)
{
	struct virtio_balloon *b = vd->priv;
	struct virtio_balloon_config c = { .num_pages = b->num_pages,
					   .actual = b->actual };

	memcpy(cfg, &c, sizeof(c));
}

static void
virtio_balloon_set_config(struct virtio_dev *vd, uint32_t off,
			  const uint8_t *data, uint32_t len)
{
	struct virtio_balloon *b = vd->priv;
	uint32_t at = offsetof(struct virtio_balloon_config, actual);

	/* Only "actual" is the driver's to write. */
	if (off == at && len == 4)
		memcpy(&b->actual, data, 4);
}

/* The PFNs of one request: drop the pages behind them (inflate), or just
 * count them (deflate: the guest touches them again and they come back as
 * zero pages). */
static void
virtio_balloon_pages(struct virtio_balloon *b, unsigned q)
{
	struct virtio_dev *vd = &b->vd;
	struct virtq_elem *e = &b->elem;
	int r;

	for (;;) {
		uint64_t off;

		r = virtio_pop(vd, q, e);
		if (r == 0 && virtq_arm(&vd->vqs[q]))
			continue;
		if (r <= 0)
			break;
		for (off = 0; off + 4 <= e->out_len; off += 4) {
			uint32_t pfn;
			void *hva;

			virtq_iov_read(e->iov, e->nout, off, &pfn, 4);
			if (q == VIRTIO_BALLOON_DEFLATE) {
				b->deflated++;
				continue;
			}
			hva = vm_gpa_to_hva(vd->vm,
					    (uint64_t)pfn << VIRTIO_BALLOON_PFN_SHIFT,
					    VIRTIO_BALLOON_PAGE);
			if (!hva) {
				log_once(LOG_LVL_WARN,
					 "virtio-balloon: page 0x%x is not guest RAM",
					 pfn);
				continue;
			}
			if (madvise(hva, VIRTIO_BALLOON_PAGE, MADV_DONTNEED) < 0)
				log_once(LOG_LVL_WARN, "virtio-balloon: madvise: %s",
					 strerror(errno));
			b->inflated++;
		}
		virtq_push(&vd->vqs[q], e, 0);
	}
	virtio_queue_notify(vd, q);
}

/* The driver hands its stats buffer over; we read it and keep it until
 * we want fresh numbers (then giving it back asks for them). */
static void
virtio_balloon_stats_kick(struct virtio_balloon *b)
{
	struct virtio_dev *vd = &b->vd;
	struct virtq_elem *e = &b->elem;
	uint64_t off;
	int r;

	while ((r = virtio_pop(vd, VIRTIO_BALLOON_STATS, e)) > 0) {
		if (b->stats_held) {
			/* A second buffer: give the older one back. */
			struct virtq_elem old = { .head = b->stats_head };

			virtq_push(&vd->vqs[VIRTIO_BALLOON_STATS], &old, 0);
		}
		for (off = 0; off + sizeof(struct virtio_balloon_stat_le) <=
			      e->out_len;
		     off += sizeof(struct virtio_balloon_stat_le)) {
			struct virtio_balloon_stat_le s;

			virtq_iov_read(e->iov, e->nout, off, &s, sizeof(s));
			if (s.tag < VIRTIO_BALLOON_S_NR) {
				b->stats[s.tag] = s.val;
				b->stats_valid |= 1u << s.tag;
			}
		}
		b->stats_head = e->head;
		b->stats_held = true;
	}
	virtio_queue_notify(vd, VIRTIO_BALLOON_STATS);
}

static void
virtio_balloon_kick(struct virtio_dev *vd, unsigned q)
{
	if (q == VIRTIO_BALLOON_STATS)
		virtio_balloon_stats_kick(vd->priv);
	else
		virtio_balloon_pages(vd->priv, q);
}

static void
virtio_balloon_reset(struct virtio_dev *vd)
{
	struct virtio_balloon *b = vd->priv;

	b->actual = 0;
	b->stats_held = false;
}

static void
virtio_balloon_free(struct virtio_dev *vd)
{
	free(vd->priv);
}

static const struct virtio_dev_ops virtio_balloon_ops = {
	.name = "virtio-balloon",
	.device_id = VIRTIO_ID_BALLOON,
	.class_code = 0x050000, /* memory controller, as QEMU says */
	.nqueues = 3,
	.queue_size = VIRTIO_BALLOON_QUEUE_SIZE,
	.features = 1ull << VIRTIO_BALLOON_F_STATS_VQ,
	.config_size = sizeof(struct virtio_balloon_config),
	.get_config = virtio_balloon_get_config,
	.set_config = virtio_balloon_set_config,
	.queue_kick = virtio_balloon_kick,
	.reset = virtio_balloon_reset,
	.free = virtio_balloon_free,
};

int
virtio_balloon_set_target(struct virtio_dev *vd, uint64_t target_mib)
{
	struct virtio_balloon *b = vd->priv;
	uint64_t ram_mib = vd->vm->ram_size >> 20;

	if (!target_mib || target_mib > ram_mib)
		return -ERANGE;
	pthread_mutex_lock(&vd->lock);
	b->num_pages = (uint32_t)(((ram_mib - target_mib) << 20) /
				  VIRTIO_BALLOON_PAGE);
	virtio_config_changed(vd);
	pthread_mutex_unlock(&vd->lock);
	return 0;
}

struct json_object *
virtio_balloon_stats(struct virtio_dev *vd)
{
	static const char *const names[VIRTIO_BALLOON_S_NR] =
		VIRTIO_BALLOON_S_NAMES;
	struct virtio_balloon *b = vd->priv;
	struct json_object *r = json_object_new_object();
	struct json_object *st = json_object_new_object();
	uint64_t ram = vd->vm->ram_size;
	unsigned i;

	pthread_mutex_lock(&vd->lock);
	json_object_object_add(r, "ok", json_object_new_boolean(1));
	json_object_object_add(r, "memory_mib", json_object_new_int64((int64_t)(ram >> 20)));
	json_object_object_add(r, "target_mib", json_object_new_int64(
		(int64_t)((ram - (uint64_t)b->num_pages * VIRTIO_BALLOON_PAGE) >> 20)));
	json_object_object_add(r, "actual_mib", json_object_new_int64(
		(int64_t)((ram - (uint64_t)b->actual * VIRTIO_BALLOON_PAGE) >> 20)));
	json_object_object_add(r, "inflated_pages", json_object_new_int64((int64_t)b->inflated));
	json_object_object_add(r, "deflated_pages", json_object_new_int64((int64_t)b->deflated));
	for (i = 0; i < VIRTIO_BALLOON_S_NR; i++)
		if (b->stats_valid & (1u << i))
			json_object_object_add(st, names[i],
				json_object_new_int64((int64_t)b->stats[i]));
	json_object_object_add(r, "stats", st);
	/* Hand the buffer back: the guest refills it for the next call. */
	if (b->stats_held && virtio_dev_ready(vd)) {
		struct virtq_elem e = { .head = b->stats_head };

		b->stats_held = false;
		virtq_push(&vd->vqs[VIRTIO_BALLOON_STATS], &e, 0);
		virtio_queue_notify(vd, VIRTIO_BALLOON_STATS);
	}
	pthread_mutex_unlock(&vd->lock);
	return r;
}

struct virtio_dev *
virtio_balloon_create(struct vm *vm, struct pci *pci, struct event_base *base,
		      char *err, unsigned errlen)
{
	struct virtio_balloon *b = calloc(1, sizeof(*b));
	int ret;

	if (!b) {
		snprintf(err, errlen, "virtio-balloon: %s", strerror(ENOMEM));
		return NULL;
	}
	ret = virtio_dev_init(&b->vd, vm, pci, base, &virtio_balloon_ops, b);
	if (ret) {
		snprintf(err, errlen, "virtio-balloon: %s", strerror(-ret));
		virtio_dev_destroy(&b->vd);
		free(b);
		return NULL;
	}
	return &b->vd;
}
