/* vmd-vm's command line: good ones parse, bad ones get one line naming the
 * argument. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "options.h"
#include "util.h"

static int
parse(char *err, struct vm_config *cfg, int argc, char **argv)
{
	err[0] = '\0';
	return options_parse(argc, argv, cfg, err, 256);
}

#define PARSE(...)                                                      \
	({                                                              \
		char *argv_[] = { "vmd-vm", __VA_ARGS__, NULL };        \
		parse(err, &cfg, (int)ARRAY_SIZE(argv_) - 1, argv_);    \
	})

static void
test_full_command_line(void **state)
{
	struct vm_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(PARSE("--kernel", "/k", "--initrd", "/i", "--cmdline",
			       "console=ttyS0 quiet", "--memory", "2G", "--cpus",
			       "4", "--serial", "file=/tmp/x", "--accel", "vmm",
			       "--control", "unix=/run/c.sock", "--name", "web",
			       "--on-reboot", "exit"), 0);
	assert_string_equal(cfg.kernel, "/k");
	assert_string_equal(cfg.initrd, "/i");
	assert_string_equal(cfg.cmdline, "console=ttyS0 quiet");
	assert_int_equal(cfg.memory, 2ull << 30);
	assert_int_equal(cfg.cpus, 4);
	assert_string_equal(cfg.serial, "file=/tmp/x");
	assert_string_equal(cfg.accel, "vmm");
	assert_string_equal(cfg.control, "/run/c.sock");
	assert_string_equal(cfg.name, "web");
	assert_int_equal(cfg.on_reboot, VM_ON_REBOOT_EXIT);
}

static void
test_defaults(void **state)
{
	struct vm_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(PARSE("--kernel", "/k"), 0);
	assert_int_equal(cfg.memory, 256ull << 20);
	assert_int_equal(cfg.cpus, 1);
	assert_string_equal(cfg.serial, "stdio");
	assert_null(cfg.control);
	assert_int_equal(cfg.on_reboot, VM_ON_REBOOT_RESTART);
}

static void
test_bad_arguments_name_the_argument(void **state)
{
	struct vm_config cfg;
	char err[256];

	(void)state;
	assert_int_not_equal(PARSE("--initrd", "/i"), 0);
	assert_non_null(strstr(err, "--kernel"));
	assert_int_not_equal(PARSE("--kernel", "/k", "--memory", "lots"), 0);
	assert_non_null(strstr(err, "--memory"));
	assert_non_null(strstr(err, "lots"));
	assert_int_not_equal(PARSE("--kernel", "/k", "--memory", "1M"), 0);
	assert_non_null(strstr(err, "--memory"));
	assert_int_not_equal(PARSE("--kernel", "/k", "--cpus", "0"), 0);
	assert_non_null(strstr(err, "--cpus"));
	assert_int_not_equal(PARSE("--kernel", "/k", "--cpus", "65"), 0);
	assert_non_null(strstr(err, "--cpus"));
	assert_int_not_equal(PARSE("--kernel", "/k", "--accel", "tcg"), 0);
	assert_non_null(strstr(err, "--accel"));
	assert_int_not_equal(PARSE("--kernel", "/k", "--control", "/x"), 0);
	assert_non_null(strstr(err, "--control"));
	assert_int_not_equal(PARSE("--kernel", "/k", "--frobnicate"), 0);
	assert_non_null(strstr(err, "--frobnicate"));
	assert_int_not_equal(PARSE("--kernel", "/k", "extra"), 0);
	assert_non_null(strstr(err, "extra"));
	assert_int_not_equal(PARSE("--kernel"), 0);
	assert_non_null(strstr(err, "--kernel"));
	assert_null(strchr(err, '\n'));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_command_line),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_bad_arguments_name_the_argument),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
