/* The SPICE client's keyboard and pointer, delivered to the guest through
 * the virtio-input keyboard and tablet (devices/virtio/input.c). SPICE
 * calls the interfaces on vmd-vm's main thread. */
#ifndef VMD_DEVICES_SPICE_INPUT_H
#define VMD_DEVICES_SPICE_INPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <spice.h>

struct virtio_dev;
struct spice_input;

/* Registers a keyboard interface (keyboard not NULL) and tablet and
 * mouse interfaces (tablet not NULL) with server, which must have been
 * through spice_server_init(). With a tablet, SPICE offers the client
 * mouse mode (absolute positions) as soon as the display allows it; the
 * mouse interface turns server mode's relative motion into positions.
 * server NULL: nothing registered (tests). NULL and a message in err when
 * SPICE refuses an interface. */
struct spice_input *spice_input_create(SpiceServer *server,
				       struct virtio_dev *keyboard,
				       struct virtio_dev *tablet, char *err,
				       unsigned errlen);
/* Removes the interfaces (before spice_server_destroy()) and frees. */
void spice_input_destroy(struct spice_input *in);

/* What the interfaces do, callable directly (tests): */
/* One byte of PC/XT scan code set 1 (0xe0/0xe1 prefixes, 0x80 = release)
 * as SPICE's push_scan_freg delivers it. */
void spice_input_key_fragment(struct spice_input *in, uint8_t frag);
/* Pointer at (x, y) of the client's width x height display; buttons is
 * SPICE's local mask (1 left, 2 right, 4 middle). */
void spice_input_pointer(struct spice_input *in, int x, int y,
			 uint32_t buttons);
void spice_input_set_logical_size(struct spice_input *in, int width,
				  int height);
/* Server mouse mode: relative motion (kept on the display) and wheel
 * notches (dz: -1 up, +1 down). */
void spice_input_motion(struct spice_input *in, int dx, int dy, int dz,
			uint32_t buttons);

/* Scan code decoder state: the prefix bytes seen so far. */
struct spice_input_scan {
	uint8_t prefix;    /* 0, 0xe0 or 0xe1 */
	uint8_t e1_bytes;  /* bytes seen after 0xe1 (Pause: e1 1d 45) */
};
/* Feeds one byte: true and *keycode (KEY_*) / *down when it completes a
 * key; false for a prefix, a fake shift, or a code with no key. */
bool spice_input_scan_decode(struct spice_input_scan *st, uint8_t frag,
			     uint16_t *keycode, bool *down);
/* A coordinate in [0, size) to the tablet's 0..32767. */
uint32_t spice_input_scale(int pos, int size);

#endif
