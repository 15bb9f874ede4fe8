/* A fake of the monitor's VM hooks (devices/vm.h) for device unit tests:
 * vm_irq_line() and vm_request_exit() record what the device did in
 * fake_vm; vm_gpa_to_hva() (inline in devices/vm.h) maps over the fake
 * VM's RAM buffer. A test builds its VM with fake_vm_new(), which also
 * resets the record, and drives the device's ports with fake_vm_in() and
 * fake_vm_out(), which fail the test when no device claims the port.
 * Include after <cmocka.h>. */
#ifndef VMD_TESTS_FAKE_VM_H
#define VMD_TESTS_FAKE_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "vm.h"

#define FAKE_VM_GSIS 32 /* vm_irq_line() fails the test on a GSI above */

struct fake_vm_log {
	struct vm *vm; /* the one fake_vm_new() made: the hooks expect it */

	int level[FAKE_VM_GSIS];          /* current level of each GSI */
	unsigned raises[FAKE_VM_GSIS];    /* 0 -> 1 changes */
	unsigned lowers[FAKE_VM_GSIS];    /* 1 -> 0 changes: completed pulses */
	unsigned redundant[FAKE_VM_GSIS]; /* calls that left the level as it was */
	unsigned irq_calls;               /* all vm_irq_line() calls */
	unsigned irq_redundant;           /* all redundant ones */

	unsigned exit_calls;             /* vm_request_exit() calls */
	enum vm_exit_status exit_status; /* of the first, as devices/vm.c keeps */
	char exit_reason[128];
	/* When set, vm_request_exit() fails the test with this message. */
	const char *exit_forbidden;
};

extern struct fake_vm_log fake_vm;

/* Clear the record (fake_vm.vm stays). */
void fake_vm_reset(void);

/* A zeroed VM with a "pio" bus and ram_size bytes of guest RAM, as much of
 * it below the PCI hole as fits (like vm_create()); the RAM buffer is
 * allocated (zeroed) only when alloc_ram. Resets the record. */
struct vm *fake_vm_new(uint64_t ram_size, bool alloc_ram);
void fake_vm_free(struct vm *vm);

/* len (1, 2 or 4) byte port access, little-endian, through
 * bus_dispatch(&vm->pio, ...); fails the test when nothing claims port. */
uint32_t fake_vm_in(struct vm *vm, uint16_t port, uint32_t len);
void fake_vm_out(struct vm *vm, uint16_t port, uint32_t v, uint32_t len);
uint8_t fake_vm_inb(struct vm *vm, uint16_t port);
void fake_vm_outb(struct vm *vm, uint16_t port, uint8_t v);

#endif
