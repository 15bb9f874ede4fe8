/* The SPICE input glue: scan code set 1 bytes (0xe0/0xe1 prefixes, 0x80
 * release bit) to Linux keycodes, client coordinates to the tablet's
 * 0..32767, and both on through a real virtio-input device to what the
 * guest driver reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/input.h>
#include <linux/virtio_input.h>

#include "log.h"
#include "spice_input.h"
#include "input_guest.h"

/* ---------------------------------------------------------- scan codes --- */

/* Feeds the bytes; the key they complete (0 when none) and its state. */
static uint16_t
decode(struct spice_input_scan *st, const uint8_t *bytes, unsigned n,
       bool *down)
{
	uint16_t keycode = 0, k;
	unsigned i;
	bool d;

	for (i = 0; i < n; i++) {
		bool done = spice_input_scan_decode(st, bytes[i], &k, &d);

		/* Only the last byte of a sequence may complete it. */
		if (i + 1 < n)
			assert_false(done);
		else if (done) {
			keycode = k;
			*down = d;
		}
	}
	return keycode;
}

#define DECODE(st, down, ...) \
	decode(st, (const uint8_t[]){ __VA_ARGS__ }, \
	       sizeof((const uint8_t[]){ __VA_ARGS__ }), down)

static void
test_base_keys_map_one_to_one(void **state)
{
	struct spice_input_scan st = { 0 };
	bool down = false;
	unsigned code;

	(void)state;
	for (code = 1; code <= 0x58; code++) {
		if (code == 0x54 || code == 0x55)
			continue; /* Alt+SysRq and a hole: below */
		assert_int_equal(DECODE(&st, &down, (uint8_t)code), code);
		assert_true(down);
		assert_int_equal(DECODE(&st, &down, (uint8_t)(code | 0x80)), code);
		assert_false(down);
	}
	assert_int_equal(DECODE(&st, &down, 0x1e), KEY_A);
	assert_int_equal(DECODE(&st, &down, 0x2a), KEY_LEFTSHIFT);
	assert_int_equal(DECODE(&st, &down, 0x1c), KEY_ENTER);
	assert_int_equal(DECODE(&st, &down, 0x34), KEY_DOT);
	assert_int_equal(DECODE(&st, &down, 0x58), KEY_F12);
	assert_int_equal(DECODE(&st, &down, 0x54), KEY_SYSRQ);
	assert_int_equal(DECODE(&st, &down, 0x55), 0);
	/* No key: nothing, and the next byte decodes as usual. */
	assert_int_equal(DECODE(&st, &down, 0x00), 0);
	assert_int_equal(DECODE(&st, &down, 0x7f), 0);
	assert_int_equal(DECODE(&st, &down, 0x30), KEY_B);
}

static void
test_extended_keys(void **state)
{
	static const struct {
		uint8_t scan;
		uint16_t key;
	} e0[] = {
		{ 0x48, KEY_UP }, { 0x50, KEY_DOWN }, { 0x4b, KEY_LEFT },
		{ 0x4d, KEY_RIGHT }, { 0x47, KEY_HOME }, { 0x4f, KEY_END },
		{ 0x49, KEY_PAGEUP }, { 0x51, KEY_PAGEDOWN },
		{ 0x52, KEY_INSERT }, { 0x53, KEY_DELETE },
		{ 0x1d, KEY_RIGHTCTRL }, { 0x38, KEY_RIGHTALT },
		{ 0x1c, KEY_KPENTER }, { 0x35, KEY_KPSLASH },
		{ 0x5b, KEY_LEFTMETA }, { 0x5c, KEY_RIGHTMETA },
		{ 0x5d, KEY_COMPOSE }, { 0x37, KEY_SYSRQ },
	};
	struct spice_input_scan st = { 0 };
	bool down = false;
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(e0) / sizeof(e0[0]); i++) {
		assert_int_equal(DECODE(&st, &down, 0xe0, e0[i].scan), e0[i].key);
		assert_true(down);
		assert_int_equal(DECODE(&st, &down, 0xe0, e0[i].scan | 0x80),
				 e0[i].key);
		assert_false(down);
		/* The prefix is for one byte only. */
		if (e0[i].scan <= 0x53)
			assert_int_equal(DECODE(&st, &down, e0[i].scan),
					 e0[i].scan);
	}
	/* PrintScreen: a fake shift around e0 37, which is the key. */
	assert_int_equal(DECODE(&st, &down, 0xe0, 0x2a), 0);
	assert_int_equal(DECODE(&st, &down, 0xe0, 0x37), KEY_SYSRQ);
	assert_int_equal(DECODE(&st, &down, 0xe0, 0xb7), KEY_SYSRQ);
	assert_int_equal(DECODE(&st, &down, 0xe0, 0xaa), 0);
	/* Pause: e1 1d 45, release e1 9d c5. */
	assert_int_equal(DECODE(&st, &down, 0xe1, 0x1d, 0x45), KEY_PAUSE);
	assert_true(down);
	assert_int_equal(DECODE(&st, &down, 0xe1, 0x9d, 0xc5), KEY_PAUSE);
	assert_false(down);
	/* Unknown extended code: nothing, and no prefix left behind. */
	assert_int_equal(DECODE(&st, &down, 0xe0, 0x01), 0);
	assert_int_equal(DECODE(&st, &down, 0x01), KEY_ESC);
}

static void
test_scale(void **state)
{
	(void)state;
	assert_int_equal(spice_input_scale(0, 1024), 0);
	assert_int_equal(spice_input_scale(1023, 1024), 32767);
	assert_int_equal(spice_input_scale(2000, 1024), 32767);
	assert_int_equal(spice_input_scale(-3, 1024), 0);
	assert_int_equal(spice_input_scale(400, 801), 16383);
	assert_int_equal(spice_input_scale(1, 2), 32767);
	assert_int_equal(spice_input_scale(5, 0), 0);
	assert_int_equal(spice_input_scale(5, 1), 0);
	/* Monotonic and covering the range at a 4K width. */
	assert_true(spice_input_scale(1, 3840) > 0);
	assert_true(spice_input_scale(3838, 3840) < 32767);
}

/* ------------------------------------------------- through the device --- */

struct fixture {
	struct input_guest g;
	struct spice_input *in;
};

static int
setup_kind(void **state, enum virtio_input_kind kind)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[128] = "";

	input_guest_init(&f->g, kind);
	f->in = spice_input_create(NULL, kind == VIRTIO_INPUT_KEYBOARD ?
				   f->g.vd : NULL,
				   kind == VIRTIO_INPUT_TABLET ? f->g.vd : NULL,
				   err, sizeof(err));
	assert_non_null(f->in);
	input_guest_refill(&f->g, VQD_QSIZE);
	*state = f;
	return 0;
}

static int
setup_keyboard(void **state)
{
	return setup_kind(state, VIRTIO_INPUT_KEYBOARD);
}

static int
setup_tablet(void **state)
{
	return setup_kind(state, VIRTIO_INPUT_TABLET);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	spice_input_destroy(f->in);
	input_guest_fini(&f->g);
	free(f);
	return 0;
}

static void
fragments(struct fixture *f, const uint8_t *bytes, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		spice_input_key_fragment(f->in, bytes[i]);
}

static void
test_keys_reach_the_guest(void **state)
{
	struct fixture *f = *state;
	/* Shift+a, then Up: what SPICE hands push_scan_freg. */
	static const uint8_t bytes[] = { 0x2a, 0x1e, 0x9e, 0xaa, 0xe0, 0x48,
					 0xe0, 0xc8 };

	fragments(f, bytes, 4);
	input_guest_expect(&f->g, EV_KEY, KEY_LEFTSHIFT, 1);
	input_guest_expect(&f->g, EV_SYN, SYN_REPORT, 0);
	input_guest_expect(&f->g, EV_KEY, KEY_A, 1);
	input_guest_expect(&f->g, EV_SYN, SYN_REPORT, 0);
	input_guest_expect(&f->g, EV_KEY, KEY_A, 0);
	input_guest_expect(&f->g, EV_SYN, SYN_REPORT, 0);
	input_guest_expect(&f->g, EV_KEY, KEY_LEFTSHIFT, 0);
	input_guest_expect(&f->g, EV_SYN, SYN_REPORT, 0);
	input_guest_refill(&f->g, 8);
	fragments(f, bytes + 4, 4);
	input_guest_expect(&f->g, EV_KEY, KEY_UP, 1);
	input_guest_expect(&f->g, EV_SYN, SYN_REPORT, 0);
	input_guest_expect(&f->g, EV_KEY, KEY_UP, 0);
	input_guest_expect(&f->g, EV_SYN, SYN_REPORT, 0);
	assert_int_equal(input_guest_pending(&f->g), 0);
	/* A lone prefix sends nothing. */
	spice_input_key_fragment(f->in, 0xe0);
	assert_int_equal(input_guest_pending(&f->g), 0);
}

static void
test_pointer_reaches_the_guest(void **state)
{
	struct fixture *f = *state;

	spice_input_set_logical_size(f->in, 801, 601);
	spice_input_pointer(f->in, 400, 600, 1);
	input_guest_expect(&f->g, EV_ABS, ABS_X, 16383);
	input_guest_expect(&f->g, EV_ABS, ABS_Y, 32767);
	input_guest_expect(&f->g, EV_KEY, BTN_LEFT, 1);
	input_guest_expect(&f->g, EV_SYN, SYN_REPORT, 0);
	/* Only changed buttons are sent: left up, right and middle down. */
	spice_input_pointer(f->in, 0, 0, 2 | 4);
	input_guest_expect(&f->g, EV_ABS, ABS_X, 0);
	input_guest_expect(&f->g, EV_ABS, ABS_Y, 0);
	input_guest_expect(&f->g, EV_KEY, BTN_LEFT, 0);
	input_guest_expect(&f->g, EV_KEY, BTN_RIGHT, 1);
	input_guest_expect(&f->g, EV_KEY, BTN_MIDDLE, 1);
	input_guest_expect(&f->g, EV_SYN, SYN_REPORT, 0);
	input_guest_refill(&f->g, 10);
	/* Outside the display (a client on a bigger screen): clamped. */
	spice_input_pointer(f->in, 5000, -7, 2 | 4);
	input_guest_expect(&f->g, EV_ABS, ABS_X, 32767);
	input_guest_expect(&f->g, EV_ABS, ABS_Y, 0);
	input_guest_expect(&f->g, EV_SYN, SYN_REPORT, 0);
	/* A nonsense size is ignored. */
	spice_input_set_logical_size(f->in, 0, -1);
	spice_input_pointer(f->in, 400, 300, 0);
	input_guest_expect(&f->g, EV_ABS, ABS_X, 16383);
	input_guest_expect(&f->g, EV_ABS, ABS_Y, 16383);
}

static void
test_relative_motion_and_wheel(void **state)
{
	struct fixture *f = *state;

	spice_input_set_logical_size(f->in, 1025, 769);
	/* From wherever the pointer is, far up-left ends in the corner. */
	spice_input_motion(f->in, -100000, -100000, 0, 0);
	input_guest_expect(&f->g, EV_ABS, ABS_X, 0);
	input_guest_expect(&f->g, EV_ABS, ABS_Y, 0);
	input_guest_expect(&f->g, EV_SYN, SYN_REPORT, 0);
	spice_input_motion(f->in, 512, 384, 0, 0);
	input_guest_expect(&f->g, EV_ABS, ABS_X, 16383);
	input_guest_expect(&f->g, EV_ABS, ABS_Y, 16383);
	input_guest_expect(&f->g, EV_SYN, SYN_REPORT, 0);
	/* The largest motion a client can send does not wrap. */
	spice_input_motion(f->in, INT32_MAX, INT32_MIN, 0, 0);
	input_guest_expect(&f->g, EV_ABS, ABS_X, 32767);
	input_guest_expect(&f->g, EV_ABS, ABS_Y, 0);
	input_guest_expect(&f->g, EV_SYN, SYN_REPORT, 0);
	/* No motion: buttons and the wheel (SPICE's -1 is evdev's +1). */
	spice_input_motion(f->in, 0, 0, -1, 1);
	input_guest_expect(&f->g, EV_REL, REL_WHEEL, 1);
	input_guest_expect(&f->g, EV_KEY, BTN_LEFT, 1);
	input_guest_expect(&f->g, EV_SYN, SYN_REPORT, 0);
	input_guest_refill(&f->g, 10);
	spice_input_motion(f->in, 0, 0, 1, 0);
	input_guest_expect(&f->g, EV_REL, REL_WHEEL, 0xffffffffu);
	input_guest_expect(&f->g, EV_KEY, BTN_LEFT, 0);
	input_guest_expect(&f->g, EV_SYN, SYN_REPORT, 0);
	assert_int_equal(input_guest_pending(&f->g), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base_keys_map_one_to_one),
		cmocka_unit_test(test_extended_keys),
		cmocka_unit_test(test_scale),
		cmocka_unit_test_setup_teardown(test_keys_reach_the_guest,
						setup_keyboard, teardown),
		cmocka_unit_test_setup_teardown(test_pointer_reaches_the_guest,
						setup_tablet, teardown),
		cmocka_unit_test_setup_teardown(test_relative_motion_and_wheel,
						setup_tablet, teardown),
	};

	log_init("test_spice_input", LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
