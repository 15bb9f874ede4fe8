/* Port/MMIO dispatch: ranges route to the right device with the right
 * offset, overlaps are refused, and unclaimed reads return all-ones. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "bus.h"

struct fake_dev {
	uint64_t last_off;
	uint32_t last_len;
	bool last_write;
	unsigned calls;
};

static void
fake_io(void *dev, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct fake_dev *f = dev;

	f->last_off = off;
	f->last_len = len;
	f->last_write = is_write;
	f->calls++;
	if (!is_write)
		memset(data, 0x5a, len);
}

static void
test_dispatch_routes_by_range(void **state)
{
	struct fake_dev a = { 0 }, b = { 0 };
	struct bus bus;
	uint8_t data[4];

	(void)state;
	bus_init(&bus, "pio");
	assert_int_equal(bus_register(&bus, 0x3f8, 8, fake_io, &a, "a"), 0);
	assert_int_equal(bus_register(&bus, 0x60, 1, fake_io, &b, "b"), 0);
	assert_true(bus_dispatch(&bus, 0x3fd, data, 1, false));
	assert_int_equal(a.last_off, 5);
	assert_int_equal(data[0], 0x5a);
	assert_true(bus_dispatch(&bus, 0x60, data, 1, true));
	assert_int_equal(b.calls, 1);
	assert_true(b.last_write);
	bus_destroy(&bus);
}

static void
test_overlap_refused(void **state)
{
	struct fake_dev a = { 0 };
	struct bus bus;

	(void)state;
	bus_init(&bus, "pio");
	assert_int_equal(bus_register(&bus, 0x100, 0x10, fake_io, &a, "a"), 0);
	assert_int_equal(bus_register(&bus, 0x10f, 1, fake_io, &a, "b"), -EEXIST);
	assert_int_equal(bus_register(&bus, 0xf8, 0x10, fake_io, &a, "c"), -EEXIST);
	assert_int_equal(bus_register(&bus, 0x110, 1, fake_io, &a, "d"), 0);
	assert_int_equal(bus_register(&bus, 0, 0, fake_io, &a, "e"), -EINVAL);
	assert_int_equal(bus_unregister(&bus, 0x100), 0);
	assert_int_equal(bus_register(&bus, 0x10f, 1, fake_io, &a, "b"), 0);
	bus_destroy(&bus);
}

static void
test_unclaimed_reads_all_ones(void **state)
{
	struct fake_dev a = { 0 };
	struct bus bus;
	uint8_t data[4] = { 0 };

	(void)state;
	bus_init(&bus, "mmio");
	assert_int_equal(bus_register(&bus, 0x1000, 4, fake_io, &a, "a"), 0);
	assert_false(bus_dispatch(&bus, 0x2000, data, 4, false));
	assert_memory_equal(data, "\xff\xff\xff\xff", 4);
	/* straddling the end of a range is not a hit either */
	memset(data, 0, sizeof(data));
	assert_false(bus_dispatch(&bus, 0x1002, data, 4, false));
	assert_int_equal(a.calls, 0);
	bus_destroy(&bus);
}

static void
test_many_ranges_stay_sorted(void **state)
{
	struct fake_dev devs[40] = { 0 };
	struct bus bus;
	uint8_t data;
	int i;

	(void)state;
	bus_init(&bus, "pio");
	for (i = 39; i >= 0; i--)
		assert_int_equal(bus_register(&bus, (uint64_t)i * 16, 8,
					      fake_io, &devs[i], "d"), 0);
	for (i = 0; i < 40; i++) {
		assert_true(bus_dispatch(&bus, (uint64_t)i * 16 + 3, &data, 1,
					 false));
		assert_int_equal(devs[i].calls, 1);
		assert_int_equal(devs[i].last_off, 3);
		assert_false(bus_dispatch(&bus, (uint64_t)i * 16 + 9, &data, 1,
					  false));
	}
	bus_destroy(&bus);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dispatch_routes_by_range),
		cmocka_unit_test(test_overlap_refused),
		cmocka_unit_test(test_unclaimed_reads_all_ones),
		cmocka_unit_test(test_many_ranges_stay_sorted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
