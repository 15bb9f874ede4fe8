/* --spice and --vga on vmd-vm's command line: what parses, what the
 * defaults are, and a message naming the problem for what does not. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "options.h"
#include "util.h"

#define PARSE(...)                                                      \
	({                                                              \
		char *argv_[] = { "vmd-vm", "--kernel", "/k", __VA_ARGS__, NULL }; \
		err[0] = '\0';                                          \
		options_parse((int)ARRAY_SIZE(argv_) - 1, argv_, &cfg, err, \
			      sizeof(err));                             \
	})

static void
test_tcp_defaults(void **state)
{
	struct vm_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(PARSE("--spice", "port=5930"), 0);
	assert_true(cfg.spice.enabled);
	assert_int_equal(cfg.spice.port, 5930);
	assert_string_equal(cfg.spice.addr, "127.0.0.1");
	assert_string_equal(cfg.spice.password, "");
	assert_int_equal(cfg.vga, VM_VGA_BOCHS); /* a display comes with it */

	assert_int_equal(PARSE("--spice", "port=1,addr=0.0.0.0,password=s e,cret"), -EINVAL);
	assert_non_null(strstr(err, "unknown option 'cret'"));
	assert_int_equal(PARSE("--spice", "port=1,addr=::,password=s3"), 0);
	assert_string_equal(cfg.spice.addr, "::");
	assert_string_equal(cfg.spice.password, "s3");
	assert_int_equal(PARSE("--spice", "unix=/run/s.sock,disable-ticketing",
			       "--vga", "none"), 0);
	assert_string_equal(cfg.spice.unix_path, "/run/s.sock");
	assert_true(cfg.spice.disable_ticketing);
	assert_int_equal(cfg.vga, VM_VGA_NONE);
	assert_int_equal(PARSE("--vga", "bochs"), 0);
	assert_false(cfg.spice.enabled);
	assert_int_equal(cfg.vga, VM_VGA_BOCHS);
	assert_int_equal(PARSE("--rng"), 0);
	assert_int_equal(cfg.vga, VM_VGA_NONE);
}

static void
test_password_file(void **state)
{
	struct vm_config cfg;
	char err[256], path[] = "/tmp/vmd-spice-pw.XXXXXX", opt[128];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "t0p secret\n", 11), 11);
	close(fd);
	snprintf(opt, sizeof(opt), "port=5900,password-file=%s", path);
	assert_int_equal(PARSE("--spice", opt), 0);
	assert_string_equal(cfg.spice.password, "t0p secret"); /* no newline */

	assert_int_equal(truncate(path, 0), 0);
	assert_int_equal(PARSE("--spice", opt), -EINVAL);
	assert_non_null(strstr(err, "is empty"));
	unlink(path);
	assert_int_equal(PARSE("--spice", opt), -EINVAL);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "No such file"));
}

static void
test_bad_spice_options(void **state)
{
	struct vm_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(PARSE("--spice", "addr=127.0.0.1"), -EINVAL);
	assert_non_null(strstr(err, "either port=N or unix=PATH"));
	assert_int_equal(PARSE("--spice", "port=1,unix=/x"), -EINVAL);
	assert_non_null(strstr(err, "either port=N or unix=PATH"));
	assert_int_equal(PARSE("--spice", "port=70000"), -EINVAL);
	assert_non_null(strstr(err, "'70000'"));
	assert_int_equal(PARSE("--spice", "port=0"), -EINVAL);
	assert_int_equal(PARSE("--spice", "port=1,password=a,disable-ticketing"), -EINVAL);
	assert_non_null(strstr(err, "contradict"));
	assert_int_equal(PARSE("--spice", "port=1,password=a,password=b"), -EINVAL);
	assert_int_equal(PARSE("--spice", "port=1,tls-port=2"), -EINVAL);
	assert_non_null(strstr(err, "'tls-port=2'"));
	assert_int_equal(PARSE("--spice", "port=1", "--spice", "port=2"), -EINVAL);
	assert_non_null(strstr(err, "twice"));
	assert_int_equal(PARSE("--vga", "cirrus"), -EINVAL);
	assert_non_null(strstr(err, "'cirrus' is not bochs or none"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_defaults),
		cmocka_unit_test(test_password_file),
		cmocka_unit_test(test_bad_spice_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
