#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util.h"

static void
test_parse_size_accepts_units(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(util_parse_size("256M", &v), 0);
	assert_int_equal(v, 256ull << 20);
	assert_int_equal(util_parse_size("2G", &v), 0);
	assert_int_equal(v, 2ull << 30);
	assert_int_equal(util_parse_size("2g", &v), 0);
	assert_int_equal(v, 2ull << 30);
	assert_int_equal(util_parse_size("512MiB", &v), 0);
	assert_int_equal(v, 512ull << 20);
	assert_int_equal(util_parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(util_parse_size("1K", &v), 0);
	assert_int_equal(v, 1024);
}

static void
test_parse_size_rejects_garbage(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(util_parse_size("", &v), -EINVAL);
	assert_int_equal(util_parse_size("M", &v), -EINVAL);
	assert_int_equal(util_parse_size("-1G", &v), -EINVAL);
	assert_int_equal(util_parse_size("12X", &v), -EINVAL);
	assert_int_equal(util_parse_size("1GG", &v), -EINVAL);
	assert_int_equal(util_parse_size("99999999999999T", &v), -ERANGE);
	assert_int_equal(util_parse_size("99999999999999999999999", &v), -ERANGE);
}

static void
test_parse_uint_bounds(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(util_parse_uint("4", 1, 64, &v), 0);
	assert_int_equal(v, 4);
	assert_int_equal(util_parse_uint("0", 1, 64, &v), -ERANGE);
	assert_int_equal(util_parse_uint("65", 1, 64, &v), -ERANGE);
	assert_int_equal(util_parse_uint("4x", 1, 64, &v), -EINVAL);
	assert_int_equal(util_parse_uint(" 4", 1, 64, &v), -EINVAL);
}

static void
test_strlcpy_truncates_and_terminates(void **state)
{
	char buf[4];

	(void)state;
	assert_int_equal(util_strlcpy(buf, "abc", sizeof(buf)), 0);
	assert_string_equal(buf, "abc");
	assert_int_equal(util_strlcpy(buf, "abcdef", sizeof(buf)), -ENAMETOOLONG);
	assert_string_equal(buf, "abc");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_size_accepts_units),
		cmocka_unit_test(test_parse_size_rejects_garbage),
		cmocka_unit_test(test_parse_uint_bounds),
		cmocka_unit_test(test_strlcpy_truncates_and_terminates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
