/* A guest's virtio-input driver for unit tests, on tests/unit/
 * virtq_driver.h: one keyboard or tablet in the fake VM, its eventq read
 * as Linux reads it (one 8-byte buffer per event). */
#ifndef VMD_TESTS_INPUT_GUEST_H
#define VMD_TESTS_INPUT_GUEST_H

#include <linux/virtio_input.h>

#include "virtq_driver.h"

#define INPUT_GUEST_EVENTQ 0
#define INPUT_GUEST_STATUSQ 1

struct input_guest {
	struct virtio_dev *vd;
	struct vqd_reader events;
};

/* The fake VM, the device, a driver with DRIVER_OK and no buffers yet. */
void input_guest_init(struct input_guest *g, enum virtio_input_kind kind);
void input_guest_fini(struct input_guest *g);
/* Posts n event buffers and kicks. */
void input_guest_refill(struct input_guest *g, unsigned n);
/* Events delivered and not read yet. */
unsigned input_guest_pending(const struct input_guest *g);
/* The next delivered event (fails the test when there is none). */
struct virtio_input_event input_guest_next(struct input_guest *g);
/* The next delivered event must be (type, code, value). */
void input_guest_expect(struct input_guest *g, uint16_t type, uint16_t code,
			uint32_t value);

#endif
