/* virtio-input (virtio 1.x, 5.8): a keyboard or a tablet (an absolute
 * pointer, like QEMU's virtio-tablet) whose events come from the host.
 *
 * The host side (SPICE, on the main thread) queues evdev events in a
 * bounded ring; they reach the guest, one event per eventq buffer, as
 * soon as a SYN_REPORT closes their group and the guest has buffers
 * posted. A guest that stops reading loses its oldest groups, never the
 * host's memory. The statusq carries the guest's LED changes back. */
#include "virtio/devices.h"

#include <endian.h>
#include <errno.h>
#include <event2/event.h>
#include <linux/input.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_input.h>
#include <stddef.h>
#include <stdlib.h>

#include "log.h"

#define VIRTIO_INPUT_QUEUE_SIZE 64
#define VIRTIO_INPUT_EVENTQ 0
#define VIRTIO_INPUT_STATUSQ 1
/* Events held for a guest that is not reading: a few seconds of fast
 * typing (four events a key). */
#define VIRTIO_INPUT_RING 256
#define VIRTIO_INPUT_ABS_MAX 32767
/* Keyboard keys offered: every code below the first button (BTN_MISC),
 * so the guest classifies the device as a keyboard, not a mouse. */
#define VIRTIO_INPUT_KEY_LAST (BTN_MISC - 1)
#define VIRTIO_INPUT_EVENT_SIZE sizeof(struct virtio_input_event)

struct virtio_input {
	struct virtio_dev vd;
	enum virtio_input_kind kind;
	uint8_t select, subsel; /* what the driver asked the config for */
	/* Host events waiting for the guest (vd.lock): ring[head] is the
	 * oldest; the first `closed` of the `count` end in a SYN_REPORT and
	 * may go, the rest are the group still being built. */
	struct virtio_input_event ring[VIRTIO_INPUT_RING];
	unsigned head, count, closed;
	/* One line per driver (reset), however often a guest stalls. */
	bool overflow_logged;
	unsigned leds;        /* LED_* bits the guest last set */
	void (*led_fn)(void *opaque, unsigned leds);
	void *led_opaque;
	/* LED news go out from the device's loop, outside the lock: the
	 * statusq may be served on a vCPU thread (at DRIVER_OK). */
	struct event *led_ev;
	struct virtq_elem elem;
};

static void
virtio_input_set_bit(uint8_t *bitmap, unsigned bit)
{
	bitmap[bit / 8] |= (uint8_t)(1u << (bit % 8));
}

/* Size of a bitmap: up to its last byte with a bit set. */
static uint8_t
virtio_input_bitmap_size(const uint8_t *bitmap, unsigned len)
{
	while (len && !bitmap[len - 1])
		len--;
	return (uint8_t)len;
}

static uint8_t
virtio_input_ev_bits(const struct virtio_input *in, unsigned type,
		     uint8_t *bitmap)
{
	unsigned i;

	if (in->kind == VIRTIO_INPUT_KEYBOARD) {
		switch (type) {
		case EV_KEY:
			for (i = KEY_ESC; i <= VIRTIO_INPUT_KEY_LAST; i++)
				virtio_input_set_bit(bitmap, i);
			break;
		case EV_LED:
			virtio_input_set_bit(bitmap, LED_NUML);
			virtio_input_set_bit(bitmap, LED_CAPSL);
			virtio_input_set_bit(bitmap, LED_SCROLLL);
			break;
		case EV_REP:
			/* Any bit: the guest repeats held keys itself. */
			virtio_input_set_bit(bitmap, REP_DELAY);
			virtio_input_set_bit(bitmap, REP_PERIOD);
			break;
		}
	} else {
		switch (type) {
		case EV_KEY:
			virtio_input_set_bit(bitmap, BTN_LEFT);
			virtio_input_set_bit(bitmap, BTN_RIGHT);
			virtio_input_set_bit(bitmap, BTN_MIDDLE);
			break;
		case EV_REL:
			virtio_input_set_bit(bitmap, REL_WHEEL);
			break;
		case EV_ABS:
			virtio_input_set_bit(bitmap, ABS_X);
			virtio_input_set_bit(bitmap, ABS_Y);
			break;
		}
	}
	return virtio_input_bitmap_size(bitmap, 128);
}

/* The config answers what select/subsel ask (5.8.4); size 0 means "no
 * such thing". */
static void
virtio_input_get_config(struct virtio_dev *vd, uint8_t *cfg)
{
	struct virtio_input *in = vd->priv;
	struct virtio_input_config c;
	bool kbd = in->kind == VIRTIO_INPUT_KEYBOARD;
	const char *name = kbd ? "vmd virtio keyboard" : "vmd virtio tablet";

	memset(&c, 0, sizeof(c));
	c.select = in->select;
	c.subsel = in->subsel;
	switch (in->select) {
	case VIRTIO_INPUT_CFG_ID_NAME:
		if (in->subsel)
			break;
		c.size = (uint8_t)strlen(name);
		memcpy(c.u.string, name, c.size);
		break;
	case VIRTIO_INPUT_CFG_ID_DEVIDS:
		if (in->subsel)
			break;
		c.u.ids.bustype = htole16(BUS_VIRTUAL);
		c.u.ids.vendor = htole16(VIRTIO_PCI_VENDOR);
		c.u.ids.product = htole16(kbd ? 1 : 2);
		c.u.ids.version = htole16(1);
		c.size = sizeof(c.u.ids);
		break;
	case VIRTIO_INPUT_CFG_EV_BITS:
		c.size = virtio_input_ev_bits(in, in->subsel, c.u.bitmap);
		break;
	case VIRTIO_INPUT_CFG_ABS_INFO:
		if (kbd || (in->subsel != ABS_X && in->subsel != ABS_Y))
			break;
		c.u.abs.min = 0;
		c.u.abs.max = htole32(VIRTIO_INPUT_ABS_MAX);
		c.size = sizeof(c.u.abs);
		break;
	/* ID_SERIAL and PROP_BITS: none. No INPUT_PROP_DIRECT on the tablet:
	 * it is a pointer that moves a cursor, not a touchscreen. */
	}
	memcpy(cfg, &c, sizeof(c));
}

/* Only select and subsel are the driver's to write (5.8.4). */
static void
virtio_input_set_config(struct virtio_dev *vd, uint32_t off,
			const uint8_t *data, uint32_t len)
{
	struct virtio_input *in = vd->priv;
	uint32_t i;

	for (i = 0; i < len; i++) {
		if (off + i == offsetof(struct virtio_input_config, select))
			in->select = data[i];
		else if (off + i == offsetof(struct virtio_input_config, subsel))
			in->subsel = data[i];
	}
}

/* Hands closed groups to the guest while it has buffers. Lock held. */
static void
virtio_input_flush(struct virtio_input *in)
{
	struct virtio_dev *vd = &in->vd;
	struct virtq *q = &vd->vqs[VIRTIO_INPUT_EVENTQ];
	struct virtq_elem *e = &in->elem;
	bool pushed = false;
	int r;

	if (!virtio_dev_ready(vd) || !q->enabled)
		return;
	while (in->closed) {
		r = virtio_pop(vd, VIRTIO_INPUT_EVENTQ, e);
		if (r == 0 && virtq_arm(q))
			continue;
		if (r <= 0)
			break;
		if (e->in_len < VIRTIO_INPUT_EVENT_SIZE) {
			virtio_dev_fail(vd, "event buffer of %llu bytes, need %zu",
					(unsigned long long)e->in_len,
					VIRTIO_INPUT_EVENT_SIZE);
			break;
		}
		virtq_iov_write(e->iov + e->nout, e->nin, 0, &in->ring[in->head],
				VIRTIO_INPUT_EVENT_SIZE);
		virtq_push(q, e, VIRTIO_INPUT_EVENT_SIZE);
		pushed = true;
		in->head = (in->head + 1) % VIRTIO_INPUT_RING;
		in->count--;
		in->closed--;
	}
	if (pushed)
		virtio_queue_notify(vd, VIRTIO_INPUT_EVENTQ);
}

/* The ring is full: the oldest closed group goes (or, when one group
 * fills the whole ring, its oldest event). Lock held. */
static void
virtio_input_drop_oldest(struct virtio_input *in)
{
	do {
		const struct virtio_input_event *ev = &in->ring[in->head];
		bool syn = le16toh(ev->type) == EV_SYN &&
			   le16toh(ev->code) == SYN_REPORT;

		in->head = (in->head + 1) % VIRTIO_INPUT_RING;
		in->count--;
		if (in->closed)
			in->closed--;
		if (syn || !in->closed)
			break;
	} while (in->count);
	if (!in->overflow_logged)
		log_warn("%s: the guest is not reading input events: dropping the oldest",
			 in->vd.ops->name);
	in->overflow_logged = true;
}

static void
virtio_input_queue(struct virtio_input *in, uint16_t type, uint16_t code,
		   uint32_t value)
{
	struct virtio_input_event *ev;

	if (in->count == VIRTIO_INPUT_RING)
		virtio_input_drop_oldest(in);
	ev = &in->ring[(in->head + in->count) % VIRTIO_INPUT_RING];
	ev->type = htole16(type);
	ev->code = htole16(code);
	ev->value = htole32(value);
	in->count++;
}

void
virtio_input_send(struct virtio_dev *vd, uint16_t type, uint16_t code,
		  uint32_t value)
{
	struct virtio_input *in = vd->priv;

	pthread_mutex_lock(&vd->lock);
	/* No driver, nobody to tell: a key typed before the guest's driver
	 * loaded must not come out of the ring minutes later. */
	if (virtio_dev_ready(vd))
		virtio_input_queue(in, type, code, value);
	pthread_mutex_unlock(&vd->lock);
}

void
virtio_input_sync(struct virtio_dev *vd)
{
	struct virtio_input *in = vd->priv;

	pthread_mutex_lock(&vd->lock);
	if (virtio_dev_ready(vd) && in->count > in->closed) {
		virtio_input_queue(in, EV_SYN, SYN_REPORT, 0);
		in->closed = in->count;
		virtio_input_flush(in);
	}
	pthread_mutex_unlock(&vd->lock);
}

unsigned
virtio_input_leds(struct virtio_dev *vd)
{
	struct virtio_input *in = vd->priv;
	unsigned leds;

	pthread_mutex_lock(&vd->lock);
	leds = in->leds;
	pthread_mutex_unlock(&vd->lock);
	return leds;
}

void
virtio_input_set_led_handler(struct virtio_dev *vd,
			     void (*fn)(void *opaque, unsigned leds),
			     void *opaque)
{
	struct virtio_input *in = vd->priv;

	pthread_mutex_lock(&vd->lock);
	in->led_fn = fn;
	in->led_opaque = opaque;
	pthread_mutex_unlock(&vd->lock);
}

static void
virtio_input_led_cb(evutil_socket_t fd, short what, void *arg)
{
	struct virtio_input *in = arg;
	void (*fn)(void *opaque, unsigned leds);
	void *opaque;
	unsigned leds;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&in->vd.lock);
	fn = in->led_fn;
	opaque = in->led_opaque;
	leds = in->leds;
	pthread_mutex_unlock(&in->vd.lock);
	if (fn)
		fn(opaque, leds);
}

/* The guest's status events: LED changes for a keyboard; anything else
 * is read and ignored. */
static void
virtio_input_status(struct virtio_input *in)
{
	struct virtio_dev *vd = &in->vd;
	struct virtq *q = &vd->vqs[VIRTIO_INPUT_STATUSQ];
	struct virtq_elem *e = &in->elem;
	struct virtio_input_event ev;
	unsigned old = in->leds;
	int r;

	for (;;) {
		r = virtio_pop(vd, VIRTIO_INPUT_STATUSQ, e);
		if (r == 0 && virtq_arm(q))
			continue;
		if (r <= 0)
			break;
		if (virtq_iov_read(e->iov, e->nout, 0, &ev, sizeof(ev)) ==
		    sizeof(ev) && le16toh(ev.type) == EV_LED &&
		    le16toh(ev.code) <= LED_SCROLLL) {
			unsigned bit = 1u << le16toh(ev.code);

			if (ev.value)
				in->leds |= bit;
			else
				in->leds &= ~bit;
		}
		virtq_push(q, e, 0);
	}
	virtio_queue_notify(vd, VIRTIO_INPUT_STATUSQ);
	if (in->leds != old && in->led_fn) {
		if (in->led_ev)
			event_active(in->led_ev, EV_READ, 0);
		else
			in->led_fn(in->led_opaque, in->leds); /* bare: tests */
	}
}

static void
virtio_input_kick(struct virtio_dev *vd, unsigned q)
{
	struct virtio_input *in = vd->priv;

	if (q == VIRTIO_INPUT_EVENTQ)
		virtio_input_flush(in); /* new buffers: deliver what waits */
	else
		virtio_input_status(in);
}

/* Driver reset: what it had not read is for a guest that is gone. */
static void
virtio_input_reset(struct virtio_dev *vd)
{
	struct virtio_input *in = vd->priv;

	in->head = in->count = in->closed = 0;
	in->select = in->subsel = 0;
	in->overflow_logged = false;
	in->leds = 0;
}

static void
virtio_input_free(struct virtio_dev *vd)
{
	struct virtio_input *in = vd->priv;

	if (in->led_ev)
		event_free(in->led_ev);
	free(in);
}

/* The two kinds differ only in the name their log lines carry. */
#define VIRTIO_INPUT_OPS(dev_name) {                                    \
	.name = dev_name,                                               \
	.device_id = VIRTIO_ID_INPUT,                                   \
	.class_code = 0x098000, /* input device, other */               \
	.nqueues = 2,                                                   \
	.queue_size = VIRTIO_INPUT_QUEUE_SIZE,                          \
	.config_size = sizeof(struct virtio_input_config),              \
	.get_config = virtio_input_get_config,                          \
	.set_config = virtio_input_set_config,                          \
	.queue_kick = virtio_input_kick,                                \
	.reset = virtio_input_reset,                                    \
	.free = virtio_input_free,                                      \
}
static const struct virtio_dev_ops virtio_keyboard_ops =
	VIRTIO_INPUT_OPS("virtio-keyboard");
static const struct virtio_dev_ops virtio_tablet_ops =
	VIRTIO_INPUT_OPS("virtio-tablet");

struct virtio_dev *
virtio_input_create(struct vm *vm, struct pci *pci, struct event_base *base,
		    enum virtio_input_kind kind, char *err, unsigned errlen)
{
	const struct virtio_dev_ops *ops;
	struct virtio_input *in;
	int ret;

	switch (kind) {
	case VIRTIO_INPUT_KEYBOARD: ops = &virtio_keyboard_ops; break;
	case VIRTIO_INPUT_TABLET: ops = &virtio_tablet_ops; break;
	default:
		snprintf(err, errlen, "virtio-input: unknown kind %d", (int)kind);
		return NULL;
	}
	in = calloc(1, sizeof(*in));
	if (!in) {
		snprintf(err, errlen, "%s: %s", ops->name, strerror(ENOMEM));
		return NULL;
	}
	in->kind = kind;
	/* The device runs on base (not a thread of its own) when on PCI. */
	if (pci && base) {
		in->led_ev = event_new(base, -1, 0, virtio_input_led_cb, in);
		if (!in->led_ev) {
			snprintf(err, errlen, "%s: %s", ops->name,
				 strerror(ENOMEM));
			free(in);
			return NULL;
		}
	}
	ret = virtio_dev_init(&in->vd, vm, pci, base, ops, in);
	if (ret) {
		snprintf(err, errlen, "%s: %s", ops->name, strerror(-ret));
		virtio_dev_destroy(&in->vd);
		if (in->led_ev)
			event_free(in->led_ev);
		free(in);
		return NULL;
	}
	return &in->vd;
}
