/* The fake VM hooks shared by the device unit tests; see fake_vm.h. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bus.h"
#include "fake_vm.h"
#include "util.h"
#include "vm.h"

struct fake_vm_log fake_vm;

void
fake_vm_reset(void)
{
	struct vm *vm = fake_vm.vm;

	memset(&fake_vm, 0, sizeof(fake_vm));
	fake_vm.vm = vm;
}

struct vm *
fake_vm_new(uint64_t ram_size, bool alloc_ram)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	assert_non_null(vm);
	if (alloc_ram) {
		vm->ram = calloc(1, ram_size);
		assert_non_null(vm->ram);
	}
	vm->ram_size = ram_size;
	vm->low_ram = MIN(ram_size, VM_PCI_HOLE_START);
	bus_init(&vm->pio, "pio");
	fake_vm.vm = vm;
	fake_vm_reset();
	return vm;
}

void
fake_vm_free(struct vm *vm)
{
	if (!vm)
		return;
	if (fake_vm.vm == vm)
		fake_vm.vm = NULL;
	bus_destroy(&vm->pio);
	free(vm->ram);
	free(vm);
}

static void
fake_vm_check(struct vm *vm)
{
	if (fake_vm.vm)
		assert_ptr_equal(vm, fake_vm.vm);
}

/* No KVM behind this VM: devices that would map memory slots fall back
 * to exits, as they do when the accelerator refuses a slot. */
int
vm_set_memory_slot(struct vm *vm, enum vm_slot slot, uint64_t gpa,
		   uint64_t size, void *hva)
{
	(void)vm;
	(void)slot;
	(void)gpa;
	(void)size;
	(void)hva;
	return -ENODEV;
}

int
vm_irq_line(struct vm *vm, uint32_t gsi, int level)
{
	fake_vm_check(vm);
	assert_in_range(gsi, 0, FAKE_VM_GSIS - 1);
	level = !!level;
	fake_vm.irq_calls++;
	if (level == fake_vm.level[gsi]) {
		fake_vm.redundant[gsi]++;
		fake_vm.irq_redundant++;
	} else if (level) {
		fake_vm.raises[gsi]++;
	} else {
		fake_vm.lowers[gsi]++;
	}
	fake_vm.level[gsi] = level;
	return 0;
}

void
vm_request_exit(struct vm *vm, enum vm_exit_status status,
		const char *reason)
{
	fake_vm_check(vm);
	if (fake_vm.exit_forbidden)
		fail_msg("%s", fake_vm.exit_forbidden);
	if (!fake_vm.exit_calls++) {
		fake_vm.exit_status = status;
		util_strlcpy(fake_vm.exit_reason, reason,
			     sizeof(fake_vm.exit_reason));
	}
}

uint32_t
fake_vm_in(struct vm *vm, uint16_t port, uint32_t len)
{
	uint8_t d[4] = { 0 };

	assert_in_range(len, 1, sizeof(d));
	assert_true(bus_dispatch(&vm->pio, port, d, len, false));
	return d[0] | d[1] << 8 | d[2] << 16 | (uint32_t)d[3] << 24;
}

void
fake_vm_out(struct vm *vm, uint16_t port, uint32_t v, uint32_t len)
{
	uint8_t d[4] = { v, v >> 8, v >> 16, v >> 24 };

	assert_in_range(len, 1, sizeof(d));
	assert_true(bus_dispatch(&vm->pio, port, d, len, true));
}

uint8_t
fake_vm_inb(struct vm *vm, uint16_t port)
{
	return (uint8_t)fake_vm_in(vm, port, 1);
}

void
fake_vm_outb(struct vm *vm, uint16_t port, uint8_t v)
{
	fake_vm_out(vm, port, v, 1);
}
