/* virtio-console (virtio 1.x, 5.3): one port, hvc0, on a chardev back-end.
 * Runs on the monitor's I/O loop, where the chardev delivers its input. */
#include "virtio/devices.h"

#include <errno.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>
#include <stdlib.h>

#include "chardev.h"
#include "log.h"

#define VIRTIO_CONSOLE_QUEUE_SIZE 128
#define VIRTIO_CONSOLE_RX 0 /* receiveq: host to guest */
#define VIRTIO_CONSOLE_TX 1 /* transmitq: guest to host */

struct virtio_console {
	struct virtio_dev vd;
	struct chardev *cd;
	struct virtq_elem elem;
	uint64_t rx_bytes, tx_bytes;
};

static void
virtio_console_get_config(struct virtio_dev *vd, uint8_t *cfg)
{
	struct virtio_console_config c = { .max_nr_ports = 1 };

	(void)vd;
	memcpy(cfg, &c, sizeof(c));
}

/* Input from the back-end: into as many receive buffers as it takes.
 * What does not fit stays with the chardev until the guest posts more
 * buffers (chardev_accept_input() on the next receiveq kick). */
static size_t
virtio_console_input(void *opaque, const uint8_t *buf, size_t len)
{
	struct virtio_console *con = opaque;
	struct virtio_dev *vd = &con->vd;
	struct virtq_elem *e = &con->elem;
	size_t done = 0;

	pthread_mutex_lock(&vd->lock);
	while (done < len && virtio_dev_ready(vd) &&
	       vd->vqs[VIRTIO_CONSOLE_RX].enabled) {
		uint64_t n;

		if (virtio_pop(vd, VIRTIO_CONSOLE_RX, e) <= 0)
			break;
		n = virtq_iov_write(e->iov + e->nout, e->nin, 0, buf + done,
				    len - done);
		virtq_push(&vd->vqs[VIRTIO_CONSOLE_RX], e, (uint32_t)n);
		done += n;
	}
	con->rx_bytes += done;
	if (done)
		virtio_queue_notify(vd, VIRTIO_CONSOLE_RX);
	pthread_mutex_unlock(&vd->lock);
	return done;
}

static void
virtio_console_tx(struct virtio_console *con)
{
	struct virtio_dev *vd = &con->vd;
	struct virtq_elem *e = &con->elem;
	unsigned i;
	int r;

	for (;;) {
		r = virtio_pop(vd, VIRTIO_CONSOLE_TX, e);
		if (r == 0 && virtq_arm(&vd->vqs[VIRTIO_CONSOLE_TX]))
			continue;
		if (r <= 0)
			break;
		for (i = 0; i < e->nout; i++) {
			if (con->cd)
				chardev_write(con->cd, e->iov[i].iov_base,
					      e->iov[i].iov_len);
			con->tx_bytes += e->iov[i].iov_len;
		}
		virtq_push(&vd->vqs[VIRTIO_CONSOLE_TX], e, 0);
	}
	virtio_queue_notify(vd, VIRTIO_CONSOLE_TX);
}

static void
virtio_console_kick(struct virtio_dev *vd, unsigned q)
{
	struct virtio_console *con = vd->priv;

	if (q == VIRTIO_CONSOLE_TX)
		virtio_console_tx(con);
	else if (con->cd)
		chardev_accept_input(con->cd); /* new buffers: read on */
}

static void
virtio_console_start(struct virtio_dev *vd)
{
	struct virtio_console *con = vd->priv;

	if (con->cd)
		chardev_accept_input(con->cd);
}

static void
virtio_console_free(struct virtio_dev *vd)
{
	struct virtio_console *con = vd->priv;

	if (con->cd)
		chardev_set_input(con->cd, NULL, NULL);
	free(con);
}

static const struct virtio_dev_ops virtio_console_ops = {
	.name = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.class_code = 0x078000, /* communication, other */
	.nqueues = 2,
	.queue_size = VIRTIO_CONSOLE_QUEUE_SIZE,
	.config_size = sizeof(struct virtio_console_config),
	.get_config = virtio_console_get_config,
	.queue_kick = virtio_console_kick,
	.start = virtio_console_start,
	.free = virtio_console_free,
};

struct virtio_dev *
virtio_console_create(struct vm *vm, struct pci *pci, struct event_base *base,
		      struct chardev *cd, char *err, unsigned errlen)
{
	struct virtio_console *con = calloc(1, sizeof(*con));
	int ret;

	if (!con) {
		snprintf(err, errlen, "virtio-console: %s", strerror(ENOMEM));
		return NULL;
	}
	con->cd = cd;
	ret = virtio_dev_init(&con->vd, vm, pci, base, &virtio_console_ops, con);
	if (ret) {
		snprintf(err, errlen, "virtio-console: %s", strerror(-ret));
		virtio_dev_destroy(&con->vd);
		free(con);
		return NULL;
	}
	if (cd)
		chardev_set_input(cd, virtio_console_input, con);
	return &con->vd;
}
