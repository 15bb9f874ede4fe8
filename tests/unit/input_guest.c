/* A guest's virtio-input driver for unit tests: see input_guest.h. */
#include "input_guest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

void
input_guest_init(struct input_guest *g, enum virtio_input_kind kind)
{
	char err[128] = "";

	memset(g, 0, sizeof(*g));
	g->events.q = INPUT_GUEST_EVENTQ;
	vqd_vm_init();
	g->vd = virtio_input_create(&vqd_vm, NULL, NULL, kind, err, sizeof(err));
	assert_non_null(g->vd);
	vqd_driver_init(g->vd, 2);
}

void
input_guest_fini(struct input_guest *g)
{
	virtio_dev_destroy(g->vd);
	virtio_dev_free(g->vd);
	vqd_vm_free();
}

void
input_guest_refill(struct input_guest *g, unsigned n)
{
	vqd_refill(g->vd, &g->events, n, sizeof(struct virtio_input_event));
}

unsigned
input_guest_pending(const struct input_guest *g)
{
	return vqd_pending(&g->events);
}

struct virtio_input_event
input_guest_next(struct input_guest *g)
{
	struct virtio_input_event ev;
	uint32_t len;

	memcpy(&ev, vqd_next(&g->events, &len), sizeof(ev));
	assert_int_equal(len, sizeof(ev));
	return ev;
}

void
input_guest_expect(struct input_guest *g, uint16_t type, uint16_t code,
		   uint32_t value)
{
	struct virtio_input_event ev = input_guest_next(g);

	assert_int_equal(ev.type, type);
	assert_int_equal(ev.code, code);
	assert_int_equal(ev.value, value);
}
