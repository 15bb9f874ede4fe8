/* 16550A UART (COM1 at 0x3f8/IRQ4 on the PC). */
#ifndef VMD_DEVICES_SERIAL_H
#define VMD_DEVICES_SERIAL_H

#include <stdint.h>

struct vm;
struct chardev;
struct serial;

/* Registers the 8 ports at base on vm->pio; interrupts go to irq.
 * cd may be NULL (output discarded, no input). */
struct serial *serial_create(struct vm *vm, uint16_t base, uint32_t irq,
			     struct chardev *cd);
void serial_destroy(struct serial *s);

#endif
