/* SPICE's keyboard, tablet and mouse interfaces, turned into evdev events
 * for the virtio-input keyboard and tablet. SPICE hands the keyboard
 * over as PC/XT scan code set 1 bytes; Linux keycodes are set 1's codes
 * for the base keys and a table for the 0xe0-prefixed ones. */
#include "spice_input.h"

#include <linux/input.h>
#include <stdio.h>
#include <stdlib.h>

#include "virtio/devices.h"

/* MIN, MAX and SPICE_N_ELEMENTS come with spice.h (spice/macros.h), whose
 * MIN/MAX clash with common/util.h's. */

#define SPICE_INPUT_ABS_MAX 32767
/* Until SPICE tells the display's size (server mouse mode, before the
 * first set_logical_size). */
#define SPICE_INPUT_DEFAULT_WIDTH 1024
#define SPICE_INPUT_DEFAULT_HEIGHT 768
#define SPICE_INPUT_SCAN_BASE_LAST 0x58 /* F12: set 1 == Linux up to here */

/* SPICE's local button mask (RED_MOUSE_STATE_TO_LOCAL in spice-server)
 * to evdev buttons. */
static const struct {
	uint32_t mask;
	uint16_t code;
} spice_input_buttons[] = {
	{ 1, BTN_LEFT }, { 2, BTN_RIGHT }, { 4, BTN_MIDDLE },
};

struct spice_input {
	SpiceServer *server;
	struct virtio_dev *keyboard, *tablet;
	SpiceKbdInstance kbd_sin;
	SpiceTabletInstance tablet_sin;
	SpiceMouseInstance mouse_sin;
	bool kbd_added, tablet_added, mouse_added;
	struct spice_input_scan scan;
	int width, height; /* the client's display, for scaling */
	int x, y;          /* last position, in display pixels */
	uint32_t buttons;  /* last button mask */
};

/* ------------------------------------------------------------ keyboard --- */

/* Set 1 codes after 0xe0 to Linux keycodes; 0 = no key. */
static const uint16_t spice_input_e0_keys[0x80] = {
	[0x10] = KEY_PREVIOUSSONG, [0x19] = KEY_NEXTSONG,
	[0x1c] = KEY_KPENTER,      [0x1d] = KEY_RIGHTCTRL,
	[0x20] = KEY_MUTE,         [0x21] = KEY_CALC,
	[0x22] = KEY_PLAYPAUSE,    [0x24] = KEY_STOPCD,
	[0x2e] = KEY_VOLUMEDOWN,   [0x30] = KEY_VOLUMEUP,
	[0x32] = KEY_HOMEPAGE,     [0x35] = KEY_KPSLASH,
	[0x37] = KEY_SYSRQ,        [0x38] = KEY_RIGHTALT,
	[0x46] = KEY_PAUSE,        /* Ctrl+Break */
	[0x47] = KEY_HOME,         [0x48] = KEY_UP,
	[0x49] = KEY_PAGEUP,       [0x4b] = KEY_LEFT,
	[0x4d] = KEY_RIGHT,        [0x4f] = KEY_END,
	[0x50] = KEY_DOWN,         [0x51] = KEY_PAGEDOWN,
	[0x52] = KEY_INSERT,       [0x53] = KEY_DELETE,
	[0x5b] = KEY_LEFTMETA,     [0x5c] = KEY_RIGHTMETA,
	[0x5d] = KEY_COMPOSE,      [0x5e] = KEY_POWER,
	[0x5f] = KEY_SLEEP,        [0x63] = KEY_WAKEUP,
};

bool
spice_input_scan_decode(struct spice_input_scan *st, uint8_t frag,
			uint16_t *keycode, bool *down)
{
	uint8_t code = frag & 0x7f, prefix = st->prefix;

	*down = !(frag & 0x80);
	if (frag == 0xe0 || frag == 0xe1) {
		st->prefix = frag;
		st->e1_bytes = 0;
		return false;
	}
	if (prefix == 0xe1) {
		/* Pause is e1 1d 45 (release e1 9d c5): the key is the 45. */
		if (++st->e1_bytes < 2)
			return false;
		st->prefix = 0;
		if (code != 0x45)
			return false;
		*keycode = KEY_PAUSE;
		return true;
	}
	st->prefix = 0;
	if (prefix == 0xe0) {
		/* e0 2a / e0 36: the fake shifts around PrintScreen and the
		 * grey keys, not keys of their own. */
		*keycode = spice_input_e0_keys[code];
		return *keycode != 0;
	}
	if (code == 0x54) {
		/* What an XT keyboard sends for PrintScreen with Alt held:
		 * the guest's magic SysRq needs it as SysRq. */
		*keycode = KEY_SYSRQ;
		return true;
	}
	if (code == 0 || code == 0x55 || code > SPICE_INPUT_SCAN_BASE_LAST)
		return false;
	*keycode = code;
	return true;
}

void
spice_input_key_fragment(struct spice_input *in, uint8_t frag)
{
	uint16_t keycode;
	bool down;

	if (!spice_input_scan_decode(&in->scan, frag, &keycode, &down) ||
	    !in->keyboard)
		return;
	virtio_input_send(in->keyboard, EV_KEY, keycode, down);
	virtio_input_sync(in->keyboard);
}

static void
spice_input_kbd_push(SpiceKbdInstance *sin, uint8_t frag)
{
	spice_input_key_fragment(SPICE_CONTAINEROF(sin, struct spice_input,
						   kbd_sin), frag);
}

/* The guest's LEDs, in SPICE's modifier bits. */
static uint8_t
spice_input_leds_to_spice(unsigned leds)
{
	return (uint8_t)(((leds & (1u << LED_SCROLLL)) ?
			  SPICE_KEYBOARD_MODIFIER_FLAGS_SCROLL_LOCK : 0) |
			 ((leds & (1u << LED_NUML)) ?
			  SPICE_KEYBOARD_MODIFIER_FLAGS_NUM_LOCK : 0) |
			 ((leds & (1u << LED_CAPSL)) ?
			  SPICE_KEYBOARD_MODIFIER_FLAGS_CAPS_LOCK : 0));
}

/* SPICE compares this with the client's lock keys and toggles the
 * guest's to match. */
static uint8_t
spice_input_kbd_leds(SpiceKbdInstance *sin)
{
	struct spice_input *in = SPICE_CONTAINEROF(sin, struct spice_input,
						   kbd_sin);

	return in->keyboard ?
	       spice_input_leds_to_spice(virtio_input_leds(in->keyboard)) : 0;
}

/* The guest changed its LEDs: the client shows them. */
static void
spice_input_leds_changed(void *opaque, unsigned leds)
{
	struct spice_input *in = opaque;

	if (in->kbd_added)
		spice_server_kbd_leds(&in->kbd_sin,
				      spice_input_leds_to_spice(leds));
}

static const SpiceKbdInterface spice_input_kbd_sif = {
	.base = {
		.type = SPICE_INTERFACE_KEYBOARD,
		.description = "vmd virtio keyboard",
		.major_version = SPICE_INTERFACE_KEYBOARD_MAJOR,
		.minor_version = SPICE_INTERFACE_KEYBOARD_MINOR,
	},
	.push_scan_freg = spice_input_kbd_push,
	.get_leds = spice_input_kbd_leds,
};

/* -------------------------------------------------------------- tablet --- */

uint32_t
spice_input_scale(int pos, int size)
{
	if (size <= 1 || pos <= 0)
		return 0;
	if (pos >= size - 1)
		return SPICE_INPUT_ABS_MAX;
	return (uint32_t)((int64_t)pos * SPICE_INPUT_ABS_MAX / (size - 1));
}

/* Button changes since the last event. Tablet events not yet synced. */
static void
spice_input_send_buttons(struct spice_input *in, uint32_t buttons)
{
	unsigned i;

	for (i = 0; i < SPICE_N_ELEMENTS(spice_input_buttons); i++) {
		uint32_t m = spice_input_buttons[i].mask;

		if ((in->buttons ^ buttons) & m)
			virtio_input_send(in->tablet, EV_KEY,
					  spice_input_buttons[i].code,
					  (buttons & m) ? 1 : 0);
	}
	in->buttons = buttons;
}

void
spice_input_set_logical_size(struct spice_input *in, int width, int height)
{
	if (width > 0 && height > 0) {
		in->width = width;
		in->height = height;
	}
}

void
spice_input_pointer(struct spice_input *in, int x, int y, uint32_t buttons)
{
	in->x = MAX(0, MIN(x, in->width - 1));
	in->y = MAX(0, MIN(y, in->height - 1));
	if (!in->tablet)
		return;
	virtio_input_send(in->tablet, EV_ABS, ABS_X,
			  spice_input_scale(in->x, in->width));
	virtio_input_send(in->tablet, EV_ABS, ABS_Y,
			  spice_input_scale(in->y, in->height));
	spice_input_send_buttons(in, buttons);
	virtio_input_sync(in->tablet);
}

/* dz: SPICE's wheel, -1 a notch up, +1 down; evdev's REL_WHEEL is
 * positive up. */
static void
spice_input_wheel(struct spice_input *in, int dz, uint32_t buttons)
{
	if (!in->tablet)
		return;
	if (dz)
		virtio_input_send(in->tablet, EV_REL, REL_WHEEL,
				  (uint32_t)-dz);
	spice_input_send_buttons(in, buttons);
	virtio_input_sync(in->tablet);
}

static struct spice_input *
spice_input_of_tablet(SpiceTabletInstance *sin)
{
	return SPICE_CONTAINEROF(sin, struct spice_input, tablet_sin);
}

static void
spice_input_tablet_size(SpiceTabletInstance *sin, int width, int height)
{
	spice_input_set_logical_size(spice_input_of_tablet(sin), width, height);
}

static void
spice_input_tablet_position(SpiceTabletInstance *sin, int x, int y,
			    uint32_t buttons)
{
	spice_input_pointer(spice_input_of_tablet(sin), x, y, buttons);
}

static void
spice_input_tablet_wheel(SpiceTabletInstance *sin, int dz, uint32_t buttons)
{
	spice_input_wheel(spice_input_of_tablet(sin), dz, buttons);
}

static void
spice_input_tablet_buttons(SpiceTabletInstance *sin, uint32_t buttons)
{
	spice_input_wheel(spice_input_of_tablet(sin), 0, buttons);
}

static const SpiceTabletInterface spice_input_tablet_sif = {
	.base = {
		.type = SPICE_INTERFACE_TABLET,
		.description = "vmd virtio tablet",
		.major_version = SPICE_INTERFACE_TABLET_MAJOR,
		.minor_version = SPICE_INTERFACE_TABLET_MINOR,
	},
	.set_logical_size = spice_input_tablet_size,
	.position = spice_input_tablet_position,
	.wheel = spice_input_tablet_wheel,
	.buttons = spice_input_tablet_buttons,
};

/* --------------------------------------------------------------- mouse --- */

/* Server mouse mode (the display does not allow client mode, or the
 * client asked for server mode): the client sends motion, the tablet gets
 * the position it adds up to. */
static struct spice_input *
spice_input_of_mouse(SpiceMouseInstance *sin)
{
	return SPICE_CONTAINEROF(sin, struct spice_input, mouse_sin);
}

/* pos + d, kept within [0, size). */
static int
spice_input_move(int pos, int d, int size)
{
	int64_t v = (int64_t)pos + d;

	return (int)MAX(0, MIN(v, (int64_t)size - 1));
}

void
spice_input_motion(struct spice_input *in, int dx, int dy, int dz,
		   uint32_t buttons)
{
	/* In 64 bits: a client's dx may be anything an int holds. */
	if (dx || dy)
		spice_input_pointer(in, spice_input_move(in->x, dx, in->width),
				    spice_input_move(in->y, dy, in->height),
				    buttons);
	if (dz || !(dx || dy))
		spice_input_wheel(in, dz, buttons);
}

static void
spice_input_mouse_motion(SpiceMouseInstance *sin, int dx, int dy, int dz,
			 uint32_t buttons)
{
	spice_input_motion(spice_input_of_mouse(sin), dx, dy, dz, buttons);
}

static void
spice_input_mouse_buttons(SpiceMouseInstance *sin, uint32_t buttons)
{
	spice_input_wheel(spice_input_of_mouse(sin), 0, buttons);
}

static const SpiceMouseInterface spice_input_mouse_sif = {
	.base = {
		.type = SPICE_INTERFACE_MOUSE,
		.description = "vmd virtio tablet (relative)",
		.major_version = SPICE_INTERFACE_MOUSE_MAJOR,
		.minor_version = SPICE_INTERFACE_MOUSE_MINOR,
	},
	.motion = spice_input_mouse_motion,
	.buttons = spice_input_mouse_buttons,
};

/* ------------------------------------------------------------- set-up --- */

static bool
spice_input_add(struct spice_input *in, SpiceBaseInstance *sin,
		const char *what, char *err, unsigned errlen)
{
	if (spice_server_add_interface(in->server, sin)) {
		snprintf(err, errlen, "SPICE refused the %s interface", what);
		return false;
	}
	return true;
}

struct spice_input *
spice_input_create(SpiceServer *server, struct virtio_dev *keyboard,
		   struct virtio_dev *tablet, char *err, unsigned errlen)
{
	struct spice_input *in = calloc(1, sizeof(*in));

	if (!in) {
		snprintf(err, errlen, "SPICE input: out of memory");
		return NULL;
	}
	in->server = server;
	in->keyboard = keyboard;
	in->tablet = tablet;
	in->width = SPICE_INPUT_DEFAULT_WIDTH;
	in->height = SPICE_INPUT_DEFAULT_HEIGHT;
	in->kbd_sin.base.sif = &spice_input_kbd_sif.base;
	in->tablet_sin.base.sif = &spice_input_tablet_sif.base;
	in->mouse_sin.base.sif = &spice_input_mouse_sif.base;
	if (!server)
		return in;
	if (keyboard) {
		in->kbd_added = spice_input_add(in, &in->kbd_sin.base,
						"keyboard", err, errlen);
		if (!in->kbd_added)
			goto fail;
		virtio_input_set_led_handler(keyboard, spice_input_leds_changed,
					     in);
	}
	if (tablet) {
		in->tablet_added = spice_input_add(in, &in->tablet_sin.base,
						   "tablet", err, errlen);
		if (!in->tablet_added)
			goto fail;
		in->mouse_added = spice_input_add(in, &in->mouse_sin.base,
						  "mouse", err, errlen);
		if (!in->mouse_added)
			goto fail;
	}
	return in;
fail:
	spice_input_destroy(in);
	return NULL;
}

void
spice_input_destroy(struct spice_input *in)
{
	if (!in)
		return;
	if (in->keyboard)
		virtio_input_set_led_handler(in->keyboard, NULL, NULL);
	if (in->mouse_added)
		spice_server_remove_interface(&in->mouse_sin.base);
	if (in->tablet_added)
		spice_server_remove_interface(&in->tablet_sin.base);
	if (in->kbd_added)
		spice_server_remove_interface(&in->kbd_sin.base);
	free(in);
}
