/* virtio-input through the real transport registers over fake guest RAM:
 * the config answers for every select/subsel of the keyboard and the
 * tablet; host events reach the guest one per buffer, a group only once
 * its SYN_REPORT is queued, and wait for buffers; a guest that does not
 * read loses its oldest groups; LED changes come back on the statusq; a
 * too small or out-of-RAM buffer puts the device in NEEDS_RESET, and a
 * reset brings it back with nothing stale. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/input.h>
#include <linux/virtio_input.h>
#include <linux/virtio_pci.h>

#include "log.h"
#include "input_guest.h"

#define EVENTQ INPUT_GUEST_EVENTQ
#define STATUSQ INPUT_GUEST_STATUSQ
#define CFG(field) (VIRTIO_BAR_DEVICE + offsetof(struct virtio_input_config, field))

struct fixture {
	struct input_guest g;
	struct virtio_dev *vd;
	unsigned led_calls, led_last;
};

static int
setup_kind(void **state, enum virtio_input_kind kind)
{
	struct fixture *f = calloc(1, sizeof(*f));

	input_guest_init(&f->g, kind);
	f->vd = f->g.vd;
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

	input_guest_fini(&f->g);
	free(f);
	return 0;
}

/* ------------------------------------------------------------- config --- */

/* Selects select/subsel as the driver does (byte writes) and returns the
 * size; the union lands in u. */
static uint8_t
cfg_query(struct virtio_dev *vd, uint8_t select, uint8_t subsel, void *u)
{
	uint8_t *p = u;
	unsigned i;

	vqd_write(vd, CFG(select), select, 1);
	vqd_write(vd, CFG(subsel), subsel, 1);
	assert_int_equal(vqd_read(vd, CFG(select), 1), select);
	assert_int_equal(vqd_read(vd, CFG(subsel), 1), subsel);
	for (i = 0; i < 128; i++)
		p[i] = (uint8_t)vqd_read(vd, CFG(u) + i, 1);
	return (uint8_t)vqd_read(vd, CFG(size), 1);
}

static bool
bit(const uint8_t *bitmap, unsigned b)
{
	return bitmap[b / 8] & (1u << (b % 8));
}

static void
test_keyboard_config(void **state)
{
	struct fixture *f = *state;
	uint8_t u[128];
	struct virtio_input_devids ids;

	assert_int_equal(cfg_query(f->vd, VIRTIO_INPUT_CFG_ID_NAME, 0, u),
			 strlen("vmd virtio keyboard"));
	assert_memory_equal(u, "vmd virtio keyboard", strlen("vmd virtio keyboard"));
	assert_int_equal(cfg_query(f->vd, VIRTIO_INPUT_CFG_ID_SERIAL, 0, u), 0);
	assert_int_equal(cfg_query(f->vd, VIRTIO_INPUT_CFG_ID_DEVIDS, 0, u),
			 sizeof(ids));
	memcpy(&ids, u, sizeof(ids));
	assert_int_equal(ids.bustype, BUS_VIRTUAL);
	assert_int_equal(cfg_query(f->vd, VIRTIO_INPUT_CFG_PROP_BITS, 0, u), 0);

	/* Keys: the whole keyboard range, no mouse buttons (those would make
	 * the guest see a mouse). */
	assert_int_equal(cfg_query(f->vd, VIRTIO_INPUT_CFG_EV_BITS, EV_KEY, u),
			 BTN_MISC / 8);
	assert_false(bit(u, KEY_RESERVED));
	assert_true(bit(u, KEY_ESC));
	assert_true(bit(u, KEY_A));
	assert_true(bit(u, KEY_F12));
	assert_true(bit(u, KEY_UP));
	assert_true(bit(u, KEY_RIGHTMETA));
	assert_true(bit(u, KEY_MICMUTE));
	assert_int_equal(cfg_query(f->vd, VIRTIO_INPUT_CFG_EV_BITS, EV_LED, u), 1);
	assert_true(bit(u, LED_NUML) && bit(u, LED_CAPSL) && bit(u, LED_SCROLLL));
	assert_int_not_equal(cfg_query(f->vd, VIRTIO_INPUT_CFG_EV_BITS, EV_REP, u), 0);
	assert_int_equal(cfg_query(f->vd, VIRTIO_INPUT_CFG_EV_BITS, EV_REL, u), 0);
	assert_int_equal(cfg_query(f->vd, VIRTIO_INPUT_CFG_EV_BITS, EV_ABS, u), 0);
	assert_int_equal(cfg_query(f->vd, VIRTIO_INPUT_CFG_ABS_INFO, ABS_X, u), 0);
	/* Nothing behind an unknown select, or none at all. */
	assert_int_equal(cfg_query(f->vd, 0x55, 0, u), 0);
	assert_int_equal(cfg_query(f->vd, VIRTIO_INPUT_CFG_UNSET, 0, u), 0);
	/* size is the device's: a write there changes nothing. */
	cfg_query(f->vd, VIRTIO_INPUT_CFG_ID_NAME, 0, u);
	vqd_write(f->vd, CFG(size), 3, 1);
	assert_int_equal(vqd_read(f->vd, CFG(size), 1),
			 strlen("vmd virtio keyboard"));
}

static void
test_tablet_config(void **state)
{
	struct fixture *f = *state;
	struct virtio_input_absinfo abs;
	uint8_t u[128];

	assert_int_equal(cfg_query(f->vd, VIRTIO_INPUT_CFG_ID_NAME, 0, u),
			 strlen("vmd virtio tablet"));
	assert_memory_equal(u, "vmd virtio tablet", strlen("vmd virtio tablet"));
	/* A pointer, not a touchscreen: no INPUT_PROP_DIRECT. */
	assert_int_equal(cfg_query(f->vd, VIRTIO_INPUT_CFG_PROP_BITS, 0, u), 0);
	assert_int_equal(cfg_query(f->vd, VIRTIO_INPUT_CFG_EV_BITS, EV_ABS, u), 1);
	assert_true(bit(u, ABS_X) && bit(u, ABS_Y));
	assert_false(bit(u, ABS_Z));
	assert_int_equal(cfg_query(f->vd, VIRTIO_INPUT_CFG_EV_BITS, EV_KEY, u),
			 BTN_MIDDLE / 8 + 1);
	assert_true(bit(u, BTN_LEFT) && bit(u, BTN_RIGHT) && bit(u, BTN_MIDDLE));
	assert_false(bit(u, KEY_A));
	assert_int_equal(cfg_query(f->vd, VIRTIO_INPUT_CFG_EV_BITS, EV_REL, u), 2);
	assert_true(bit(u, REL_WHEEL));
	assert_false(bit(u, REL_X));
	assert_int_equal(cfg_query(f->vd, VIRTIO_INPUT_CFG_EV_BITS, EV_LED, u), 0);
	assert_int_equal(cfg_query(f->vd, VIRTIO_INPUT_CFG_ABS_INFO, ABS_X, u),
			 sizeof(abs));
	memcpy(&abs, u, sizeof(abs));
	assert_int_equal(abs.min, 0);
	assert_int_equal(abs.max, 32767);
	cfg_query(f->vd, VIRTIO_INPUT_CFG_ABS_INFO, ABS_Y, u);
	memcpy(&abs, u, sizeof(abs));
	assert_int_equal(abs.max, 32767);
	assert_int_equal(cfg_query(f->vd, VIRTIO_INPUT_CFG_ABS_INFO, ABS_Z, u), 0);
}

/* ------------------------------------------------------------- events --- */

static void
key(struct fixture *f, uint16_t code, uint32_t value)
{
	virtio_input_send(f->vd, EV_KEY, code, value);
	virtio_input_sync(f->vd);
}

static void
test_events_delivered_in_groups(void **state)
{
	struct fixture *f = *state;

	input_guest_refill(&f->g, 8);
	virtio_input_send(f->vd, EV_KEY, KEY_A, 1);
	/* Half a group is not for the guest yet. */
	assert_int_equal(input_guest_pending(&f->g), 0);
	virtio_input_sync(f->vd);
	assert_int_equal(input_guest_pending(&f->g), 2);
	input_guest_expect(&f->g, EV_KEY, KEY_A, 1);
	input_guest_expect(&f->g, EV_SYN, SYN_REPORT, 0);
	key(f, KEY_A, 0);
	input_guest_expect(&f->g, EV_KEY, KEY_A, 0);
	input_guest_expect(&f->g, EV_SYN, SYN_REPORT, 0);
	/* A sync with nothing new sends no empty group. */
	virtio_input_sync(f->vd);
	assert_int_equal(input_guest_pending(&f->g), 0);
}

static void
test_events_wait_for_buffers(void **state)
{
	struct fixture *f = *state;

	key(f, KEY_H, 1);
	key(f, KEY_H, 0);
	key(f, KEY_I, 1);
	assert_int_equal(input_guest_pending(&f->g), 0);
	input_guest_refill(&f->g, 3); /* part of it now ... */
	assert_int_equal(input_guest_pending(&f->g), 3);
	input_guest_expect(&f->g, EV_KEY, KEY_H, 1);
	input_guest_expect(&f->g, EV_SYN, SYN_REPORT, 0);
	input_guest_expect(&f->g, EV_KEY, KEY_H, 0);
	input_guest_refill(&f->g, 8); /* ... the rest when the guest has more */
	assert_int_equal(input_guest_pending(&f->g), 3);
	input_guest_expect(&f->g, EV_SYN, SYN_REPORT, 0);
	input_guest_expect(&f->g, EV_KEY, KEY_I, 1);
	input_guest_expect(&f->g, EV_SYN, SYN_REPORT, 0);
}

static void
test_tablet_events(void **state)
{
	struct fixture *f = *state;

	input_guest_refill(&f->g, 8);
	virtio_input_send(f->vd, EV_ABS, ABS_X, 16384);
	virtio_input_send(f->vd, EV_ABS, ABS_Y, 32767);
	virtio_input_send(f->vd, EV_KEY, BTN_LEFT, 1);
	virtio_input_sync(f->vd);
	input_guest_expect(&f->g, EV_ABS, ABS_X, 16384);
	input_guest_expect(&f->g, EV_ABS, ABS_Y, 32767);
	input_guest_expect(&f->g, EV_KEY, BTN_LEFT, 1);
	input_guest_expect(&f->g, EV_SYN, SYN_REPORT, 0);
	virtio_input_send(f->vd, EV_REL, REL_WHEEL, (uint32_t)-1);
	virtio_input_sync(f->vd);
	input_guest_expect(&f->g, EV_REL, REL_WHEEL, 0xffffffffu);
}

/* A guest that does not read: the ring keeps the newest groups, whole,
 * and the device keeps working once the guest reads again. */
static void
test_overflow_drops_oldest(void **state)
{
	struct fixture *f = *state;
	unsigned i, first, n = 0;

	for (i = 0; i < 1000; i++)
		key(f, (uint16_t)(1 + i % 200), i % 2);
	for (;;) {
		input_guest_refill(&f->g, VQD_QSIZE);
		if (!input_guest_pending(&f->g))
			break;
		while (input_guest_pending(&f->g)) {
			struct virtio_input_event ev = input_guest_next(&f->g);

			/* Groups are whole: key, SYN, key, SYN ... */
			assert_int_equal(ev.type, n % 2 ? EV_SYN : EV_KEY);
			if (n == 0)
				first = ev.code;
			n++;
		}
	}
	/* 256 events fit: the last 128 groups of two. */
	assert_int_equal(n, 256);
	assert_int_equal(first, 1 + (1000 - 128) % 200);
	assert_false(vqd_needs_reset(f->vd));
	/* Buffers the guest posted meanwhile are still there for new keys. */
	key(f, KEY_Z, 1);
	assert_int_equal(input_guest_pending(&f->g), 2);
	input_guest_expect(&f->g, EV_KEY, KEY_Z, 1);
}

/* --------------------------------------------------------- bad guests --- */

static void
test_small_buffer_needs_reset(void **state)
{
	struct fixture *f = *state;

	vqd_post(EVENTQ, 0, VQD_BUF(EVENTQ), 4, true);
	key(f, KEY_A, 1);
	assert_true(vqd_needs_reset(f->vd));
	assert_int_equal(input_guest_pending(&f->g), 0);
	/* More events into a broken device: held or dropped, no crash. */
	key(f, KEY_A, 0);
	/* A reset brings it back, without what the old driver missed. */
	vqd_driver_init(f->vd, 2);
	memset(&f->g.events, 0, sizeof(f->g.events));
	f->g.events.q = INPUT_GUEST_EVENTQ;
	input_guest_refill(&f->g, 4);
	assert_int_equal(input_guest_pending(&f->g), 0);
	key(f, KEY_B, 1);
	input_guest_expect(&f->g, EV_KEY, KEY_B, 1);
}

static void
test_read_only_buffer_needs_reset(void **state)
{
	struct fixture *f = *state;

	vqd_post(EVENTQ, 0, VQD_BUF(EVENTQ), 8, false);
	key(f, KEY_A, 1);
	assert_true(vqd_needs_reset(f->vd));
}

static void
test_buffer_outside_ram_needs_reset(void **state)
{
	struct fixture *f = *state;

	vqd_post(EVENTQ, 0, VQD_RAM_SIZE - 4, 8, true);
	key(f, KEY_A, 1);
	assert_true(vqd_needs_reset(f->vd));
	vqd_driver_init(f->vd, 2);
	vqd_post(EVENTQ, 0, UINT64_MAX - 3, 8, true);
	virtio_dev_kick(f->vd, EVENTQ);
	key(f, KEY_A, 1);
	assert_true(vqd_needs_reset(f->vd));
}

static void
test_events_before_driver_ok_dropped(void **state)
{
	struct fixture *f = *state;

	vqd_write(f->vd, VIRTIO_PCI_COMMON_STATUS, 0, 1);
	key(f, KEY_Q, 1);
	vqd_driver_init(f->vd, 2);
	input_guest_refill(&f->g, 4);
	assert_int_equal(input_guest_pending(&f->g), 0);
}

/* ------------------------------------------------------------ statusq --- */

static void
on_leds(void *opaque, unsigned leds)
{
	struct fixture *f = opaque;

	f->led_calls++;
	f->led_last = leds;
}

static void
status_event(unsigned slot, uint16_t type, uint16_t code, uint32_t value,
	     uint32_t len)
{
	struct virtio_input_event ev = { .type = type, .code = code,
					 .value = value };
	uint64_t gpa = VQD_BUF(STATUSQ) + slot * VQD_BUF_SIZE;

	memcpy(vqd_vm.ram + gpa, &ev, sizeof(ev));
	vqd_post(STATUSQ, slot, gpa, len, false);
}

static void
test_leds_from_statusq(void **state)
{
	struct fixture *f = *state;

	virtio_input_set_led_handler(f->vd, on_leds, f);
	status_event(0, EV_LED, LED_CAPSL, 1, 8);
	status_event(1, EV_LED, LED_NUML, 1, 8);
	status_event(2, EV_SND, 0, 1, 8); /* not ours: read and ignored */
	status_event(3, EV_LED, 200, 1, 8); /* no such LED */
	status_event(4, EV_LED, LED_SCROLLL, 1, 4); /* half an event */
	virtio_dev_kick(f->vd, STATUSQ);
	assert_int_equal(vqd_used_idx(STATUSQ), 5);
	assert_false(vqd_needs_reset(f->vd));
	assert_int_equal(virtio_input_leds(f->vd),
			 (1u << LED_CAPSL) | (1u << LED_NUML));
	assert_int_equal(f->led_calls, 1);
	assert_int_equal(f->led_last, (1u << LED_CAPSL) | (1u << LED_NUML));
	status_event(5, EV_LED, LED_CAPSL, 0, 8);
	virtio_dev_kick(f->vd, STATUSQ);
	assert_int_equal(virtio_input_leds(f->vd), 1u << LED_NUML);
	assert_int_equal(f->led_calls, 2);
	/* Same state again: no call. */
	status_event(6, EV_LED, LED_NUML, 1, 8);
	virtio_dev_kick(f->vd, STATUSQ);
	assert_int_equal(f->led_calls, 2);
	/* A reset forgets them. */
	vqd_driver_init(f->vd, 2);
	assert_int_equal(virtio_input_leds(f->vd), 0);
	virtio_input_set_led_handler(f->vd, NULL, NULL);
}

static void
test_unknown_kind_refused(void **state)
{
	char err[128] = "";

	(void)state;
	assert_null(virtio_input_create(&vqd_vm, NULL, NULL,
					(enum virtio_input_kind)7, err,
					sizeof(err)));
	assert_non_null(strstr(err, "unknown kind 7"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_keyboard_config,
						setup_keyboard, teardown),
		cmocka_unit_test_setup_teardown(test_tablet_config,
						setup_tablet, teardown),
		cmocka_unit_test_setup_teardown(test_events_delivered_in_groups,
						setup_keyboard, teardown),
		cmocka_unit_test_setup_teardown(test_events_wait_for_buffers,
						setup_keyboard, teardown),
		cmocka_unit_test_setup_teardown(test_tablet_events,
						setup_tablet, teardown),
		cmocka_unit_test_setup_teardown(test_overflow_drops_oldest,
						setup_keyboard, teardown),
		cmocka_unit_test_setup_teardown(test_small_buffer_needs_reset,
						setup_keyboard, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_buffer_needs_reset,
						setup_keyboard, teardown),
		cmocka_unit_test_setup_teardown(test_buffer_outside_ram_needs_reset,
						setup_tablet, teardown),
		cmocka_unit_test_setup_teardown(test_events_before_driver_ok_dropped,
						setup_keyboard, teardown),
		cmocka_unit_test_setup_teardown(test_leds_from_statusq,
						setup_keyboard, teardown),
		cmocka_unit_test(test_unknown_kind_refused),
	};

	log_init("test_virtio_input", LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
