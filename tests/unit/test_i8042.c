/* i8042: controller commands Linux's probe uses, the keyboard and mouse
 * replies, IRQ pulses per byte, and reset through the controller. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "fake_vm.h"
#include "i8042.h"

struct fixture {
	struct vm *vm;
	struct i8042 *k;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->vm = fake_vm_new(0, false);
	f->k = i8042_create(f->vm);
	assert_non_null(f->k);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	i8042_destroy(f->k);
	fake_vm_free(f->vm);
	free(f);
	return 0;
}

static uint8_t
inb_(struct fixture *f, uint16_t port)
{
	return fake_vm_inb(f->vm, port);
}

static void
outb_(struct fixture *f, uint16_t port, uint8_t v)
{
	fake_vm_outb(f->vm, port, v);
}

/* Next output byte; checks OBF and which port it came from. */
static uint8_t
read_out(struct fixture *f, bool aux)
{
	uint8_t s = inb_(f, 0x64);

	assert_true(s & 0x01);
	assert_int_equal(!!(s & 0x20), aux);
	assert_false(s & 0x02); /* IBF never set */
	return inb_(f, 0x60);
}

static void
assert_empty(struct fixture *f)
{
	assert_false(inb_(f, 0x64) & 0x01);
}

static void
test_controller(void **state)
{
	struct fixture *f = *state;
	uint8_t ctr;

	assert_empty(f);
	outb_(f, 0x64, 0xaa);
	assert_int_equal(read_out(f, false), 0x55);
	assert_true(inb_(f, 0x64) & 0x04); /* SYS */
	outb_(f, 0x64, 0xab);
	assert_int_equal(read_out(f, false), 0x00);
	outb_(f, 0x64, 0xa9);
	assert_int_equal(read_out(f, false), 0x00);

	outb_(f, 0x64, 0x20);
	ctr = read_out(f, false);
	assert_true(ctr & 0x40); /* translation: "AT Translated Set 2" */
	/* 0xA7/0xA8 must show in the command byte (Linux checks it). */
	outb_(f, 0x64, 0xa8);
	outb_(f, 0x64, 0x20);
	assert_false(read_out(f, false) & 0x20);
	outb_(f, 0x64, 0xa7);
	outb_(f, 0x64, 0x20);
	assert_true(read_out(f, false) & 0x20);
	outb_(f, 0x64, 0x60);
	outb_(f, 0x60, 0x47);
	outb_(f, 0x64, 0x20);
	assert_int_equal(read_out(f, false), 0x47);
	outb_(f, 0x64, 0xd0);
	assert_true(read_out(f, false) & 0x01);
	assert_empty(f);
	assert_int_equal(fake_vm.exit_calls, 0);
}

static void
test_aux_loopback_irq12(void **state)
{
	struct fixture *f = *state;

	outb_(f, 0x64, 0x60);
	outb_(f, 0x60, 0x43); /* KBDINT | AUXINT | SYS | XLATE */
	outb_(f, 0x64, 0xd3);
	outb_(f, 0x60, 0xa5);
	assert_int_equal(fake_vm.lowers[12], 1);
	assert_int_equal(read_out(f, true), 0xa5);
	outb_(f, 0x64, 0xd2);
	outb_(f, 0x60, 0x12);
	assert_int_equal(fake_vm.lowers[1], 1);
	assert_int_equal(read_out(f, false), 0x12);
}

static void
test_keyboard(void **state)
{
	struct fixture *f = *state;

	outb_(f, 0x60, 0xff);
	assert_int_equal(read_out(f, false), 0xfa);
	assert_int_equal(read_out(f, false), 0xaa);
	assert_int_equal(fake_vm.lowers[1], 2); /* one per byte */
	outb_(f, 0x60, 0xf2);
	assert_int_equal(read_out(f, false), 0xfa);
	assert_int_equal(read_out(f, false), 0xab);
	assert_int_equal(read_out(f, false), 0x41); /* translated 0x83 */
	outb_(f, 0x60, 0xed);
	assert_int_equal(read_out(f, false), 0xfa);
	outb_(f, 0x60, 0x07);
	assert_int_equal(read_out(f, false), 0xfa);
	outb_(f, 0x60, 0xf3);
	outb_(f, 0x60, 0x00);
	assert_int_equal(read_out(f, false), 0xfa);
	assert_int_equal(read_out(f, false), 0xfa);
	outb_(f, 0x60, 0xf5);
	assert_int_equal(read_out(f, false), 0xfa);
	outb_(f, 0x60, 0xf4);
	assert_int_equal(read_out(f, false), 0xfa);
	assert_empty(f);
}

static void
test_queued_key_irq1(void **state)
{
	struct fixture *f = *state;
	const uint8_t keys[] = { 0x1e, 0x9e }; /* 'a' press, release */

	i8042_queue_key(f->k, keys, 2);
	assert_int_equal(fake_vm.level[1], 0);
	assert_int_equal(fake_vm.lowers[1], 1);
	assert_int_equal(read_out(f, false), 0x1e);
	assert_int_equal(fake_vm.lowers[1], 2);
	assert_int_equal(read_out(f, false), 0x9e);
	assert_int_equal(fake_vm.lowers[1], 2);
	assert_empty(f);

	/* Interrupt off in the command byte: data, but no IRQ. */
	outb_(f, 0x64, 0x60);
	outb_(f, 0x60, 0x44);
	i8042_queue_key(f->k, keys, 1);
	assert_int_equal(fake_vm.lowers[1], 2);
	assert_int_equal(read_out(f, false), 0x1e);
}

static void
test_mouse(void **state)
{
	struct fixture *f = *state;
	static const uint8_t acks[] = { 0xf3, 0xe8, 0xe6, 0xe7, 0xf4,
					0xf5, 0xea, 0xf6 };
	unsigned i;

	outb_(f, 0x64, 0xa8);
	outb_(f, 0x64, 0xd4);
	outb_(f, 0x60, 0xff);
	assert_int_equal(read_out(f, true), 0xfa);
	assert_int_equal(read_out(f, true), 0xaa);
	assert_int_equal(read_out(f, true), 0x00);
	outb_(f, 0x64, 0xd4);
	outb_(f, 0x60, 0xf2);
	assert_int_equal(read_out(f, true), 0xfa);
	assert_int_equal(read_out(f, true), 0x00);
	for (i = 0; i < sizeof(acks); i++) {
		outb_(f, 0x64, 0xd4);
		outb_(f, 0x60, acks[i]);
		assert_int_equal(read_out(f, true), 0xfa);
		if (acks[i] == 0xf3 || acks[i] == 0xe8) {
			outb_(f, 0x64, 0xd4);
			outb_(f, 0x60, 0x02);
			assert_int_equal(read_out(f, true), 0xfa);
		}
	}
	outb_(f, 0x64, 0xd4);
	outb_(f, 0x60, 0xe9);
	assert_int_equal(read_out(f, true), 0xfa);
	read_out(f, true);
	read_out(f, true);
	read_out(f, true);
	assert_empty(f);
	assert_int_equal(fake_vm.lowers[12], 0); /* AUXINT off by default */
}

static void
test_reset(void **state)
{
	struct fixture *f = *state;

	outb_(f, 0x64, 0xff); /* pulse nothing */
	assert_int_equal(fake_vm.exit_calls, 0);
	outb_(f, 0x64, 0xfe);
	assert_int_equal(fake_vm.exit_calls, 1);
	assert_int_equal(fake_vm.exit_status, VM_EXIT_REBOOT);
	outb_(f, 0x64, 0xd1);
	outb_(f, 0x60, 0x02); /* reset line low */
	assert_int_equal(fake_vm.exit_calls, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_controller, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_aux_loopback_irq12, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_keyboard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queued_key_irq1, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mouse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
