/* virtio-rng (virtio 1.x, 5.4): the guest's entropy comes from the host's
 * getrandom(). */
#include "virtio/devices.h"

#include <errno.h>
#include <linux/virtio_ids.h>
#include <stdlib.h>
#include <sys/random.h>

#include "log.h"

#define VIRTIO_RNG_QUEUE_SIZE 64
#define VIRTIO_RNG_MAX_CHUNK 4096 /* per request; the driver asks for less */

struct virtio_rng {
	struct virtio_dev vd;
	struct virtq_elem elem;
};

static void
virtio_rng_get_config(struct virtio_dev *vd, uint8_t *cfg)
{
	(void)vd;
	(void)cfg;
}

static void
virtio_rng_kick(struct virtio_dev *vd, unsigned q)
{
	struct virtio_rng *rng = vd->priv;
	struct virtq_elem *e = &rng->elem;
	uint8_t buf[VIRTIO_RNG_MAX_CHUNK];
	int r;

	for (;;) {
		ssize_t n;
		uint64_t len;

		r = virtio_pop(vd, q, e);
		if (r == 0 && virtq_arm(&vd->vqs[q]))
			continue;
		if (r <= 0)
			break;
		len = e->in_len < sizeof(buf) ? e->in_len : sizeof(buf);
		/* Up to 256 bytes never blocks once the pool is ready. */
		n = len ? getrandom(buf, len, GRND_NONBLOCK) : 0;
		if (n < 0) {
			log_once(LOG_LVL_WARN, "virtio-rng: getrandom: %s",
				 strerror(errno));
			n = 0;
		}
		virtq_iov_write(e->iov + e->nout, e->nin, 0, buf, (uint64_t)n);
		virtq_push(&vd->vqs[q], e, (uint32_t)n);
	}
	virtio_queue_notify(vd, q);
}

static void
virtio_rng_free(struct virtio_dev *vd)
{
	free(vd->priv);
}

static const struct virtio_dev_ops virtio_rng_ops = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.class_code = 0xff0000,
	.nqueues = 1,
	.queue_size = VIRTIO_RNG_QUEUE_SIZE,
	.get_config = virtio_rng_get_config,
	.queue_kick = virtio_rng_kick,
	.free = virtio_rng_free,
};

struct virtio_dev *
virtio_rng_create(struct vm *vm, struct pci *pci, struct event_base *base,
		  char *err, unsigned errlen)
{
	struct virtio_rng *rng = calloc(1, sizeof(*rng));
	int ret;

	if (!rng) {
		snprintf(err, errlen, "virtio-rng: %s", strerror(ENOMEM));
		return NULL;
	}
	ret = virtio_dev_init(&rng->vd, vm, pci, base, &virtio_rng_ops, rng);
	if (ret) {
		snprintf(err, errlen, "virtio-rng: %s", strerror(-ret));
		virtio_dev_destroy(&rng->vd);
		free(rng);
		return NULL;
	}
	return &rng->vd;
}
