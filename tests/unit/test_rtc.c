/* CMOS RTC: clock against the host's UTC time, in BCD and binary, 24 and
 * 12 hour modes; UIP never stuck; CMOS RAM and guest time setting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fake_vm.h"
#include "rtc.h"

struct fixture {
	struct vm *vm;
	struct rtc *rtc;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->vm = fake_vm_new(6ull << 30, false); /* 3 GiB low, 3 GiB high */
	f->vm->ncpus = 2;
	fake_vm.exit_forbidden = "the RTC never ends the VM";
	f->rtc = rtc_create(f->vm);
	assert_non_null(f->rtc);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	rtc_destroy(f->rtc);
	fake_vm_free(f->vm);
	free(f);
	return 0;
}

static uint8_t
cmos_read(struct fixture *f, uint8_t reg)
{
	fake_vm_outb(f->vm, 0x70, reg | 0x80); /* NMI mask bit must be ignored */
	return fake_vm_inb(f->vm, 0x71);
}

static void
cmos_write(struct fixture *f, uint8_t reg, uint8_t v)
{
	fake_vm_outb(f->vm, 0x70, reg);
	fake_vm_outb(f->vm, 0x71, v);
}

static int
bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

/* Read the clock the way Linux does: wait for UIP to drop, then read. */
static time_t
read_clock(struct fixture *f, bool binary, bool h24)
{
	struct tm tm = { 0 };
	int (*dec)(uint8_t) = binary ? NULL : bcd;
	uint8_t h;
	int spins = 0;

#define DEC(x) (dec ? dec(x) : (x))
	while (cmos_read(f, 0x0a) & 0x80)
		assert_true(++spins < 10000000);
	tm.tm_sec = DEC(cmos_read(f, 0x00));
	tm.tm_min = DEC(cmos_read(f, 0x02));
	h = cmos_read(f, 0x04);
	if (h24) {
		tm.tm_hour = DEC(h);
	} else {
		tm.tm_hour = DEC(h & 0x7f) % 12 + ((h & 0x80) ? 12 : 0);
		assert_true(DEC(h & 0x7f) >= 1 && DEC(h & 0x7f) <= 12);
	}
	tm.tm_mday = DEC(cmos_read(f, 0x07));
	tm.tm_mon = DEC(cmos_read(f, 0x08)) - 1;
	tm.tm_year = DEC(cmos_read(f, 0x32)) * 100 +
		     DEC(cmos_read(f, 0x09)) - 1900;
#undef DEC
	return timegm(&tm);
}

static void
check_near_now(time_t t)
{
	time_t now = time(NULL);

	assert_true(t >= now - 2 && t <= now + 2);
}

static void
test_time_bcd(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(cmos_read(f, 0x0b), 0x02);
	assert_int_equal(cmos_read(f, 0x0d), 0x80);
	check_near_now(read_clock(f, false, true));
}

static void
test_time_binary_12h(void **state)
{
	struct fixture *f = *state;

	cmos_write(f, 0x0b, 0x04); /* binary, 12 hour */
	check_near_now(read_clock(f, true, false));
	cmos_write(f, 0x0b, 0x06); /* binary, 24 hour */
	check_near_now(read_clock(f, true, true));
}

static void
test_uip_not_stuck(void **state)
{
	struct fixture *f = *state;
	int set = 0, clear = 0, i;

	/* Sample across more than a second of host time. */
	for (i = 0; i < 4000000 && !(set && clear > 1000); i++) {
		if (cmos_read(f, 0x0a) & 0x80)
			set++;
		else
			clear++;
	}
	assert_true(clear > 0);
	assert_true(clear > set);
}

static void
test_reg_c_and_ram(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(cmos_read(f, 0x0c), 0);
	cmos_write(f, 0x40, 0x5a);
	assert_int_equal(cmos_read(f, 0x40), 0x5a);
	/* 3 GiB low: (3G - 16M) / 64K; 3 GiB high: 3G / 64K */
	assert_int_equal(cmos_read(f, 0x34) | cmos_read(f, 0x35) << 8,
			 ((3u << 30) - (16u << 20)) >> 16);
	assert_int_equal(cmos_read(f, 0x5b) | cmos_read(f, 0x5c) << 8 |
				 cmos_read(f, 0x5d) << 16,
			 (3u << 30) >> 16);
	assert_int_equal(cmos_read(f, 0x5f), 1);
	assert_int_equal(fake_vm.irq_calls, 0);
}

static void
test_guest_sets_time(void **state)
{
	struct fixture *f = *state;
	time_t t, want;
	struct tm tm;

	/* hwclock-style: SET, write 2001-02-03 04:05:06, release. */
	cmos_write(f, 0x0b, 0x82);
	cmos_write(f, 0x00, 0x06);
	cmos_write(f, 0x02, 0x05);
	cmos_write(f, 0x04, 0x04);
	cmos_write(f, 0x07, 0x03);
	cmos_write(f, 0x08, 0x02);
	cmos_write(f, 0x09, 0x01);
	cmos_write(f, 0x32, 0x20);
	cmos_write(f, 0x0b, 0x02);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 101;
	tm.tm_mon = 1;
	tm.tm_mday = 3;
	tm.tm_hour = 4;
	tm.tm_min = 5;
	tm.tm_sec = 6;
	want = timegm(&tm);
	t = read_clock(f, false, true);
	assert_true(t >= want && t <= want + 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_time_bcd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_time_binary_12h, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_uip_not_stuck, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reg_c_and_ram, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_guest_sets_time, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
