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

static void
test_virtio_devices(void **state)
{
	struct vm_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(PARSE("--kernel", "/k", "--disk", "/a.img",
			       "--disk", "/b.img,readonly,cache=none,serial=SN1",
			       "--rng", "--balloon", "--console", "unix=/c",
			       "--net", "user,hostfwd=tcp:8080-:80,hostfwd=tcp:127.0.0.1:2222-:22",
			       "--mac", "52:54:00:aa:bb:cc"), 0);
	assert_int_equal(cfg.ndisks, 2);
	assert_string_equal(cfg.disks[0].path, "/a.img");
	assert_false(cfg.disks[0].readonly);
	assert_int_equal(cfg.disks[0].cache, VM_DISK_CACHE_WRITEBACK);
	assert_string_equal(cfg.disks[1].path, "/b.img");
	assert_true(cfg.disks[1].readonly);
	assert_int_equal(cfg.disks[1].cache, VM_DISK_CACHE_NONE);
	assert_string_equal(cfg.disks[1].serial, "SN1");
	assert_true(cfg.rng);
	assert_true(cfg.balloon);
	assert_string_equal(cfg.console, "unix=/c");
	assert_int_equal(cfg.net.mode, VM_NET_USER);
	assert_int_equal(cfg.net.nfwd, 2);
	assert_int_equal(cfg.net.fwd[0].host_port, 8080);
	assert_int_equal(cfg.net.fwd[0].guest_port, 80);
	assert_int_equal(cfg.net.fwd[1].host_port, 2222);
	assert_int_equal(cfg.net.fwd[1].guest_port, 22);
	assert_true(cfg.net.mac_set);
	assert_int_equal(cfg.net.mac[5], 0xcc);

	assert_int_equal(PARSE("--kernel", "/k", "--net", "tap=tap0"), 0);
	assert_int_equal(cfg.net.mode, VM_NET_TAP);
	assert_string_equal(cfg.net.tap, "tap0");
}

static void
test_virtio_bad_arguments(void **state)
{
	struct vm_config cfg;
	char err[256];

	(void)state;
	assert_int_not_equal(PARSE("--kernel", "/k", "--disk", "/a,bogus"), 0);
	assert_non_null(strstr(err, "bogus"));
	assert_int_not_equal(PARSE("--kernel", "/k", "--disk", ",readonly"), 0);
	assert_non_null(strstr(err, "--disk"));
	assert_int_not_equal(PARSE("--kernel", "/k", "--disk",
				   "/a,serial=123456789012345678901"), 0);
	assert_non_null(strstr(err, "serial"));
	assert_int_not_equal(PARSE("--kernel", "/k", "--disk", "/1", "--disk", "/2",
				   "--disk", "/3", "--disk", "/4", "--disk", "/5",
				   "--disk", "/6", "--disk", "/7", "--disk", "/8",
				   "--disk", "/9"), 0);
	assert_non_null(strstr(err, "at most"));
	assert_int_not_equal(PARSE("--kernel", "/k", "--net", "bridge"), 0);
	assert_non_null(strstr(err, "--net"));
	assert_int_not_equal(PARSE("--kernel", "/k", "--net", "user,hostfwd=udp:1-:2"), 0);
	assert_non_null(strstr(err, "hostfwd"));
	assert_int_not_equal(PARSE("--kernel", "/k", "--net", "user,hostfwd=tcp:70000-:2"), 0);
	assert_int_not_equal(PARSE("--kernel", "/k", "--net", "tap="), 0);
	assert_int_not_equal(PARSE("--kernel", "/k", "--net", "user", "--net", "user"), 0);
	assert_non_null(strstr(err, "only one"));
	assert_int_not_equal(PARSE("--kernel", "/k", "--mac", "01:00:00:00:00:00"), 0);
	assert_non_null(strstr(err, "--mac"));
	assert_int_not_equal(PARSE("--kernel", "/k", "--mac", "52:54:00:00:00"), 0);
	assert_int_not_equal(PARSE("--kernel", "/k", "--console", "stdio"), 0);
	assert_non_null(strstr(err, "--console"));
	assert_null(strchr(err, '\n'));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_command_line),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_bad_arguments_name_the_argument),
		cmocka_unit_test(test_virtio_devices),
		cmocka_unit_test(test_virtio_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
