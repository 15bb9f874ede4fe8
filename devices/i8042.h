/* i8042 keyboard controller at 0x60/0x64 (IRQ 1 keyboard, IRQ 12 aux):
 * enough for Linux to find it, a keyboard port for later input, and the
 * 0xFE pulse-reset command that Linux uses to reboot. */
#ifndef VMD_DEVICES_I8042_H
#define VMD_DEVICES_I8042_H

#include <stdint.h>

struct vm;
struct i8042;

struct i8042 *i8042_create(struct vm *vm);
/* Queue scancode-set-1 bytes from a host keyboard (SPICE later).
 * Thread-safe. */
void i8042_queue_key(struct i8042 *k, const uint8_t *codes, unsigned n);
void i8042_destroy(struct i8042 *k);

#endif
