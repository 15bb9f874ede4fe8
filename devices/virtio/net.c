/* virtio-net (virtio 1.x, 5.1) on libslirp (--net user) or a TAP device
 * (--net tap=NAME, with a virtio-net header so frames pass unchanged).
 * No offloads: every frame fits one receive buffer. Runs on the monitor's
 * I/O loop, where libslirp must live. */
#include "virtio/devices.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "log.h"
#include "options.h"
#include "util.h"
#include "virtio/slirp.h"

#define VIRTIO_NET_QUEUE_SIZE 256
#define VIRTIO_NET_RX 0
#define VIRTIO_NET_TX 1
#define VIRTIO_NET_HDR_LEN sizeof(struct virtio_net_hdr_v1)
#define VIRTIO_NET_MAX_FRAME (65535 + VIRTIO_NET_HDR_LEN)

struct virtio_net {
	struct virtio_dev vd;
	uint8_t mac[6];
	struct net_slirp *slirp;
	int tap_fd;
	struct event *tap_ev;
	bool tap_waiting; /* tap readable but no receive buffer: paused */
	/* vd->lock is held by this (the I/O) thread already: frames slirp
	 * answers from inside net_slirp_input() must not lock again. */
	bool locked;
	/* Apart: slirp answers a frame from inside net_slirp_input(), so a
	 * receive happens while a transmit is in flight. */
	struct virtq_elem rx_elem, tx_elem;
	uint8_t rx_frame[VIRTIO_NET_MAX_FRAME], tx_frame[VIRTIO_NET_MAX_FRAME];
	uint64_t rx_packets, tx_packets, rx_dropped;
};

static void
virtio_net_get_config(struct virtio_dev *vd, uint8_t *cfg)
{
	struct virtio_net *net = vd->priv;
	struct virtio_net_config c;

	memset(&c, 0, sizeof(c));
	memcpy(c.mac, net->mac, sizeof(c.mac));
	c.status = VIRTIO_NET_S_LINK_UP;
	c.max_virtqueue_pairs = 1;
	memcpy(cfg, &c, sizeof(c));
}

/* One frame to the guest; buf holds a virtio-net header when has_hdr.
 * Returns false when there is no receive buffer (the frame is dropped).
 * Lock held. */
static bool
virtio_net_deliver(struct virtio_net *net, const uint8_t *buf, size_t len,
		   bool has_hdr)
{
	struct virtio_dev *vd = &net->vd;
	struct virtio_net_hdr_v1 hdr = { .num_buffers = 1 };
	struct virtq_elem *e = &net->rx_elem;
	uint64_t need = len + (has_hdr ? 0 : VIRTIO_NET_HDR_LEN);

	if (!virtio_dev_ready(vd) || !vd->vqs[VIRTIO_NET_RX].enabled ||
	    virtio_pop(vd, VIRTIO_NET_RX, e) <= 0) {
		net->rx_dropped++;
		return false;
	}
	if (e->in_len < need || (has_hdr && len < VIRTIO_NET_HDR_LEN)) {
		/* Without MRG_RXBUF the driver posts buffers that fit any
		 * frame we send; this one does not: drop it. */
		net->rx_dropped++;
		virtq_push(&vd->vqs[VIRTIO_NET_RX], e, 0);
		virtio_queue_notify(vd, VIRTIO_NET_RX);
		return true;
	}
	if (has_hdr) {
		virtq_iov_write(e->iov + e->nout, e->nin, 0, buf, len);
		/* The tap fills the header but num_buffers is ours. */
		virtq_iov_write(e->iov + e->nout, e->nin,
				offsetof(struct virtio_net_hdr_v1, num_buffers),
				&hdr.num_buffers, sizeof(hdr.num_buffers));
	} else {
		virtq_iov_write(e->iov + e->nout, e->nin, 0, &hdr, sizeof(hdr));
		virtq_iov_write(e->iov + e->nout, e->nin, sizeof(hdr), buf, len);
	}
	virtq_push(&vd->vqs[VIRTIO_NET_RX], e, (uint32_t)need);
	virtio_queue_notify(vd, VIRTIO_NET_RX);
	net->rx_packets++;
	return true;
}

static void
virtio_net_slirp_rx(void *opaque, const uint8_t *frame, size_t len)
{
	struct virtio_net *net = opaque;

	if (!net->locked)
		pthread_mutex_lock(&net->vd.lock);
	virtio_net_deliver(net, frame, len, false);
	if (!net->locked)
		pthread_mutex_unlock(&net->vd.lock);
}

/* The tap is read only while the guest has a buffer for what comes:
 * otherwise the kernel keeps the frames (and drops when its queue is
 * full), and the receive queue's next kick resumes reading. */
static void
virtio_net_tap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct virtio_net *net = arg;
	struct virtio_dev *vd = &net->vd;

	(void)what;
	pthread_mutex_lock(&vd->lock);
	for (;;) {
		struct virtq *rxq = &vd->vqs[VIRTIO_NET_RX];
		ssize_t n;

		if (!virtio_dev_ready(vd) || !rxq->enabled ||
		    (!virtq_has_work(rxq) && !virtq_arm(rxq))) {
			net->tap_waiting = true;
			event_del(net->tap_ev);
			break;
		}
		n = read(fd, net->rx_frame, sizeof(net->rx_frame));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		virtio_net_deliver(net, net->rx_frame, (size_t)n, true);
	}
	pthread_mutex_unlock(&vd->lock);
}

static void
virtio_net_tx(struct virtio_net *net)
{
	struct virtio_dev *vd = &net->vd;
	struct virtq_elem *e = &net->tx_elem;
	int r;

	for (;;) {
		r = virtio_pop(vd, VIRTIO_NET_TX, e);
		if (r == 0 && virtq_arm(&vd->vqs[VIRTIO_NET_TX]))
			continue;
		if (r <= 0)
			break;
		if (e->out_len > VIRTIO_NET_HDR_LEN &&
		    e->out_len <= sizeof(net->tx_frame)) {
			size_t len = (size_t)e->out_len;

			virtq_iov_read(e->iov, e->nout, 0, net->tx_frame, len);
			if (net->tap_fd >= 0) {
				if (write(net->tap_fd, net->tx_frame, len) < 0)
					log_once(LOG_LVL_WARN, "virtio-net: tap write: %s",
						 strerror(errno));
			} else if (net->slirp) {
				net->locked = true;
				net_slirp_input(net->slirp,
						net->tx_frame + VIRTIO_NET_HDR_LEN,
						len - VIRTIO_NET_HDR_LEN);
				net->locked = false;
			}
			net->tx_packets++;
		}
		virtq_push(&vd->vqs[VIRTIO_NET_TX], e, 0);
	}
	virtio_queue_notify(vd, VIRTIO_NET_TX);
}

static void
virtio_net_kick(struct virtio_dev *vd, unsigned q)
{
	struct virtio_net *net = vd->priv;

	if (q == VIRTIO_NET_TX) {
		virtio_net_tx(net);
	} else if (net->tap_ev && net->tap_waiting) {
		net->tap_waiting = false;
		event_add(net->tap_ev, NULL);
	}
}

static void
virtio_net_start(struct virtio_dev *vd)
{
	virtio_net_kick(vd, VIRTIO_NET_RX);
}

static void
virtio_net_free(struct virtio_dev *vd)
{
	struct virtio_net *net = vd->priv;

	if (net->tap_ev)
		event_free(net->tap_ev);
	if (net->tap_fd >= 0)
		close(net->tap_fd);
	net_slirp_destroy(net->slirp);
	free(net);
}

static const struct virtio_dev_ops virtio_net_ops = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.class_code = 0x020000, /* Ethernet */
	.nqueues = 2,
	.queue_size = VIRTIO_NET_QUEUE_SIZE,
	.features = (1ull << VIRTIO_NET_F_MAC) | (1ull << VIRTIO_NET_F_STATUS),
	.config_size = offsetof(struct virtio_net_config, mtu) + 2,
	.get_config = virtio_net_get_config,
	.queue_kick = virtio_net_kick,
	.start = virtio_net_start,
	.free = virtio_net_free,
};

/* An existing TAP interface (made by whoever has the right to), with a
 * 12-byte virtio-net header on every frame. */
static int
virtio_net_open_tap(struct virtio_net *net, const char *name, char *err,
		    unsigned errlen)
{
	struct ifreq ifr = { 0 };
	int hdr = (int)VIRTIO_NET_HDR_LEN;

	net->tap_fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (net->tap_fd < 0) {
		snprintf(err, errlen, "--net tap=%s: /dev/net/tun: %s", name,
			 strerror(errno));
		return -errno;
	}
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	util_strlcpy(ifr.ifr_name, name, sizeof(ifr.ifr_name));
	if (ioctl(net->tap_fd, TUNSETIFF, &ifr) < 0 ||
	    ioctl(net->tap_fd, TUNSETVNETHDRSZ, &hdr) < 0) {
		snprintf(err, errlen, "--net tap=%s: %s", name, strerror(errno));
		return -errno;
	}
	return 0;
}

struct virtio_dev *
virtio_net_create(struct vm *vm, struct pci *pci, struct event_base *base,
		  const struct vm_net_config *cfg, char *err, unsigned errlen)
{
	static const uint8_t default_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	struct virtio_net *net = calloc(1, sizeof(*net));
	int ret = 0;

	if (!net) {
		snprintf(err, errlen, "virtio-net: %s", strerror(ENOMEM));
		return NULL;
	}
	net->tap_fd = -1;
	memcpy(net->mac, cfg->mac_set ? cfg->mac : default_mac, 6);
	/* The back-end first: a device on the bus is there to stay. */
	if (cfg->mode == VM_NET_USER) {
		net->slirp = net_slirp_create(base, cfg, virtio_net_slirp_rx, net,
					      err, errlen);
		if (!net->slirp)
			ret = -EINVAL;
	} else if (cfg->mode == VM_NET_TAP) {
		ret = virtio_net_open_tap(net, cfg->tap, err, errlen);
		if (!ret) {
			net->tap_ev = event_new(base, net->tap_fd,
						EV_READ | EV_PERSIST,
						virtio_net_tap_cb, net);
			net->tap_waiting = true; /* until the driver is ready */
			if (!net->tap_ev)
				ret = -ENOMEM;
		}
	}
	if (!ret) {
		ret = virtio_dev_init(&net->vd, vm, pci, base, &virtio_net_ops,
				      net);
		if (ret)
			snprintf(err, errlen, "virtio-net: %s", strerror(-ret));
	}
	if (ret) {
		virtio_dev_destroy(&net->vd);
		virtio_net_free(&net->vd);
		return NULL;
	}
	return &net->vd;
}
