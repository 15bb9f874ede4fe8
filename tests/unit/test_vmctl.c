/* vmctl without a daemon: verb and alias lookup, the command line, and
 * what the output helpers print. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "util.h"
#include "vmctl.h"

static int
parse(struct vmctl_args *args, char *msg, ...)
{
	char *argv[16] = { "vmctl" };
	int argc = 1;
	va_list ap;

	va_start(ap, msg);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	return vmctl_args_parse(argc, argv, args, msg, 256);
}

static void
test_verbs_find_names_and_aliases(void **state)
{
	const char *implies;

	(void)state;
	assert_string_equal(vmctl_verb_find("start", &implies)->name, "start");
	assert_null(implies);
	assert_string_equal(vmctl_verb_find("define", &implies)->name, "create");
	assert_string_equal(vmctl_verb_find("shutdown", &implies)->name, "stop");
	assert_null(implies);
	assert_string_equal(vmctl_verb_find("destroy", &implies)->name, "stop");
	assert_string_equal(implies, "--force");
	assert_string_equal(vmctl_verb_find("dominfo", &implies)->name, "info");
	assert_string_equal(vmctl_verb_find("domdisplay", &implies)->name,
			    "display");
	assert_null(vmctl_verb_find("strat", &implies));
	assert_null(vmctl_verb_find("", &implies));
}

/* Every verb calls a method the daemon has (rpc/methods.def) and has a
 * line of help; every alias points at a verb. */
static void
test_verbs_match_methods_def(void **state)
{
	const char *implies;
	size_t i;

	(void)state;
	for (i = 0; i < vmctl_nverbs; i++) {
		const struct vmctl_verb *v = &vmctl_verbs[i];

		assert_non_null(v->run);
		if (v->method)
			assert_non_null(vmctl_method_summary(v->method));
		assert_true(v->summary || vmctl_method_summary(v->method));
		assert_ptr_equal(vmctl_verb_find(v->name, &implies), v);
	}
	for (i = 0; i < vmctl_naliases; i++)
		assert_non_null(vmctl_verb_find(vmctl_aliases[i].alias,
						&implies));
}

static void
test_suggest_close_names(void **state)
{
	const char *near[6];
	size_t n;

	(void)state;
	n = vmctl_verb_suggest("strat", near, ARRAY_SIZE(near));
	assert_int_equal(n, 1);
	assert_string_equal(near[0], "start");
	n = vmctl_verb_suggest("dumxml", near, ARRAY_SIZE(near));
	assert_int_equal(n, 1);
	assert_string_equal(near[0], "dumpxml");
	n = vmctl_verb_suggest("dom", near, ARRAY_SIZE(near));
	assert_int_equal(n, 3);	/* domstate, dominfo, domdisplay */
	assert_int_equal(vmctl_verb_suggest("zzzzzzzz", near, 6), 0);
}

static void
test_args_options_anywhere(void **state)
{
	struct vmctl_args a;
	char msg[256];

	(void)state;
	assert_int_equal(parse(&a, msg, "--socket", "/tmp/s", "stop", "demo",
			       "--force", "--json", NULL), 0);
	assert_string_equal(a.verb->name, "stop");
	assert_string_equal(a.socket, "/tmp/s");
	assert_true(a.force);
	assert_true(a.json);
	assert_int_equal(a.npos, 1);
	assert_string_equal(a.pos[0], "demo");
	assert_int_equal(a.timeout_ms, VMCTL_DEFAULT_TIMEOUT_S * 1000);
	assert_false(a.timeout_set);

	assert_int_equal(parse(&a, msg, "list", "-a", "--timeout=5",
			       "-s", "/x", NULL), 0);
	assert_true(a.all);
	assert_true(a.timeout_set);
	assert_int_equal(a.timeout_ms, 5000);
	assert_string_equal(a.socket, "/x");

	assert_int_equal(parse(&a, msg, "console", "demo", "--until",
			       "login: ", NULL), 0);
	assert_string_equal(a.until, "login: ");
	assert_int_equal(parse(&a, msg, "console", "--until=# ", "demo",
			       NULL), 0);
	assert_string_equal(a.until, "# ");
	assert_string_equal(a.pos[0], "demo");
}

static void
test_args_aliases_imply_options(void **state)
{
	struct vmctl_args a;
	char msg[256];

	(void)state;
	assert_int_equal(parse(&a, msg, "destroy", "demo", NULL), 0);
	assert_string_equal(a.verb->name, "stop");
	assert_true(a.force);
	assert_int_equal(parse(&a, msg, "shutdown", "demo", NULL), 0);
	assert_false(a.force);
	assert_int_equal(parse(&a, msg, "define", "-", NULL), 0);
	assert_string_equal(a.verb->name, "create");
	assert_string_equal(a.pos[0], "-");
	assert_int_equal(parse(&a, msg, "start", "--", "-odd-name", NULL), 0);
	assert_string_equal(a.pos[0], "-odd-name");
}

/* Usage errors: one line naming what is wrong. */
static void
test_args_errors_name_the_argument(void **state)
{
	struct vmctl_args a;
	char msg[256];

	(void)state;
	assert_int_equal(parse(&a, msg, "start", NULL), -EINVAL);
	assert_string_equal(msg, "start: missing NAME");
	assert_int_equal(parse(&a, msg, "create", NULL), -EINVAL);
	assert_string_equal(msg, "create: missing FILE");
	assert_int_equal(parse(&a, msg, "start", "a", "b", NULL), -EINVAL);
	assert_string_equal(msg, "start: unexpected argument 'b'");
	assert_int_equal(parse(&a, msg, "start", "a", "--frce", NULL), -EINVAL);
	assert_string_equal(msg, "unknown option '--frce'");
	assert_int_equal(parse(&a, msg, "start", "a", "--force", NULL),
			 -EINVAL);
	assert_string_equal(msg, "option '--force' does not apply to 'start'");
	assert_int_equal(parse(&a, msg, "list", "--all=1", NULL), -EINVAL);
	assert_string_equal(msg, "option '--all' takes no value");
	assert_int_equal(parse(&a, msg, "list", "--timeout", NULL), -EINVAL);
	assert_string_equal(msg, "option '--timeout' needs a SECONDS");
	assert_int_equal(parse(&a, msg, "list", "--timeout", "soon", NULL),
			 -EINVAL);
	assert_string_equal(msg, "bad --timeout 'soon' (seconds, 0 for none)");
	assert_int_equal(parse(&a, msg, "strat", "demo", NULL), -ENOENT);
	assert_string_equal(msg, "unknown command 'strat'; did you mean: start?");
	assert_int_equal(parse(&a, msg, "frobnicate", NULL), -ENOENT);
	assert_string_equal(msg, "unknown command 'frobnicate' (see 'vmctl help')");
	/* --help needs no arguments of the verb. */
	assert_int_equal(parse(&a, msg, "start", "--help", NULL), 0);
	assert_true(a.help);
	assert_int_equal(parse(&a, msg, NULL), 0);
	assert_null(a.verb);
}

static void
test_usage_line_from_tables(void **state)
{
	const char *implies;
	char buf[128];

	(void)state;
	vmctl_usage_line(vmctl_verb_find("stop", &implies), buf, sizeof(buf));
	assert_string_equal(buf, "vmctl stop NAME [--force] "
			    "[--timeout SECONDS]");
	vmctl_usage_line(vmctl_verb_find("console", &implies), buf,
			 sizeof(buf));
	assert_string_equal(buf, "vmctl console NAME [--until TEXT] "
			    "[--timeout SECONDS]");
	vmctl_usage_line(vmctl_verb_find("validate", &implies), buf,
			 sizeof(buf));
	assert_string_equal(buf, "vmctl validate FILE...");
	vmctl_usage_line(vmctl_verb_find("domstate", &implies), buf,
			 sizeof(buf));
	assert_string_equal(buf, "vmctl domstate NAME [--reason]");
	vmctl_usage_line(vmctl_verb_find("help", &implies), buf, sizeof(buf));
	assert_string_equal(buf, "vmctl help [COMMAND]");
}

/* The new verbs: validate takes any number of files, domstate --reason,
 * and stop --timeout is the global option (the verb gives it its
 * meaning). */
static void
test_args_new_verbs(void **state)
{
	const char *implies;
	struct vmctl_args a;
	char msg[256];

	(void)state;
	assert_int_equal(parse(&a, msg, "validate", "a.xml", "--json",
			       "b.xml", "-", NULL), 0);
	assert_string_equal(a.verb->name, "validate");
	assert_true(a.json);
	assert_int_equal(a.npos, 3);
	assert_string_equal(a.pos[0], "a.xml");
	assert_string_equal(a.pos[1], "b.xml");
	assert_string_equal(a.pos[2], "-");
	assert_int_equal(parse(&a, msg, "validate", NULL), -EINVAL);
	assert_string_equal(msg, "validate: missing FILE");
	assert_null(vmctl_verb_find("validate", &implies)->method);

	assert_int_equal(parse(&a, msg, "domstate", "demo", "--reason",
			       NULL), 0);
	assert_string_equal(a.verb->name, "domstate");
	assert_true(a.reason);
	assert_int_equal(parse(&a, msg, "domstate", "a", "b", NULL), -EINVAL);
	assert_string_equal(msg, "domstate: unexpected argument 'b'");
	assert_int_equal(parse(&a, msg, "info", "demo", "--reason", NULL),
			 -EINVAL);
	assert_string_equal(msg, "option '--reason' does not apply to 'info'");

	assert_int_equal(parse(&a, msg, "stop", "demo", "--timeout", "30",
			       NULL), 0);
	assert_true(a.timeout_set);
	assert_int_equal(a.timeout_ms, 30000);
	assert_false(a.force);
	assert_int_equal(parse(&a, msg, "shutdown", "-t", "5", "demo", NULL),
			 0);
	assert_string_equal(a.verb->name, "stop");
	assert_int_equal(a.timeout_ms, 5000);
}

static void
test_pos_names(void **state)
{
	const char *implies;
	const struct vmctl_verb *v = vmctl_verb_find("validate", &implies);

	(void)state;
	assert_string_equal(vmctl_pos_name(v, 0), "FILE");
	assert_string_equal(vmctl_pos_name(v, 1), "FILE");
	assert_string_equal(vmctl_pos_name(v, VMCTL_MAX_ARGS - 1), "FILE");
	assert_null(vmctl_pos_name(v, VMCTL_MAX_ARGS));
	v = vmctl_verb_find("start", &implies);
	assert_string_equal(vmctl_pos_name(v, 0), "NAME");
	assert_null(vmctl_pos_name(v, 1));
	v = vmctl_verb_find("list", &implies);
	assert_null(vmctl_pos_name(v, 0));
}

/* Render with a printer into a string. */
static char *
render(int (*print)(FILE *, json_object *), const char *json, int *ret)
{
	json_object *obj = json_tokener_parse(json);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(obj);
	assert_non_null(f);
	*ret = print(f, obj);
	fclose(f);
	json_object_put(obj);
	return out;
}

static void
test_list_table(void **state)
{
	char *out;
	int ret;

	(void)state;
	out = render(vmctl_print_list, "{\"domains\":["
		     "{\"name\":\"demo\",\"uuid\":\"u1\",\"state\":\"running\","
		     "\"autostart\":true},"
		     "{\"name\":\"a-longer-name\",\"state\":\"shutoff\","
		     "\"autostart\":false}]}", &ret);
	assert_int_equal(ret, 0);
	assert_string_equal(out,
		" Name            State     Autostart\n"
		"------------------------------------\n"
		" demo            running   yes\n"
		" a-longer-name   shutoff   no\n");
	free(out);
	out = render(vmctl_print_list, "{\"domains\":[]}", &ret);
	assert_int_equal(ret, 0);
	assert_string_equal(out, " Name   State   Autostart\n"
				 "-------------------------\n");
	free(out);
	out = render(vmctl_print_list, "{\"nope\":1}", &ret);
	assert_int_equal(ret, -EPROTO);
	free(out);
}

static void
test_info_lines(void **state)
{
	char *out;
	int ret;

	(void)state;
	out = render(vmctl_print_info, "{\"name\":\"demo\",\"uuid\":\"u1\","
		     "\"state\":\"running\",\"reason\":\"booted\",\"vcpus\":2,"
		     "\"memory_kib\":262144,\"autostart\":false,"
		     "\"persistent\":true,\"pid\":0,\"accel\":\"kvm\","
		     "\"console\":\"/run/vmd/demo/console.sock\","
		     "\"display\":null,\"future\":\"x\"}", &ret);
	assert_int_equal(ret, 0);
	assert_string_equal(out,
		"Name:           demo\n"
		"UUID:           u1\n"
		"State:          running\n"
		"Reason:         booted\n"
		"CPU(s):         2\n"
		"Memory:         262144 KiB\n"
		"Autostart:      no\n"
		"Persistent:     yes\n"
		"PID:            -\n"
		"Accelerator:    kvm\n"
		"Console:        /run/vmd/demo/console.sock\n"
		"Display:        -\n"
		"future:         x\n");
	free(out);
}

static void
test_event_line(void **state)
{
	json_object *p = json_tokener_parse("{\"name\":\"demo\",\"uuid\":\"u\","
		"\"event\":\"stopped\",\"detail\":\"poweroff\"}");
	char line[256];

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	assert_int_equal(vmctl_format_event(line, sizeof(line), 86400.25, p),
			 0);
	assert_string_equal(line,
		"1970-01-02T00:00:00.250 demo stopped poweroff");
	json_object_put(p);
	p = json_tokener_parse("{\"name\":\"demo\",\"event\":\"started\","
			       "\"detail\":\"\"}");
	assert_int_equal(vmctl_format_event(line, sizeof(line), 0, p), 0);
	assert_string_equal(line, "1970-01-01T00:00:00.000 demo started -");
	json_object_put(p);
}

static void
test_json_is_one_line_without_slash_escapes(void **state)
{
	json_object *obj = json_tokener_parse(
		"{\"path\":\"/run/vmd/demo/console.sock\",\"n\":[1,2]}");
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	(void)state;
	vmctl_print_json(f, obj);
	fclose(f);
	assert_string_equal(out,
		"{\"path\":\"/run/vmd/demo/console.sock\",\"n\":[1,2]}\n");
	free(out);
	json_object_put(obj);
}

static bool
feed(struct vmctl_match *m, const char *s)
{
	return vmctl_match_feed(m, s, strlen(s));
}

static void
test_match_across_reads(void **state)
{
	struct vmctl_match m;

	(void)state;
	assert_int_equal(vmctl_match_init(&m, "login: "), 0);
	assert_false(feed(&m, "Debian GNU/Linux\r\ndemo lo"));
	assert_false(feed(&m, "gi"));
	assert_false(feed(&m, "n"));
	assert_true(feed(&m, ": "));
	vmctl_match_free(&m);

	assert_int_equal(vmctl_match_init(&m, "#"), 0);
	assert_false(feed(&m, "abc"));
	assert_true(feed(&m, "x# "));
	vmctl_match_free(&m);

	assert_int_equal(vmctl_match_init(&m, "abcabd"), 0);
	assert_false(feed(&m, "abcab"));
	assert_false(feed(&m, "c"));
	assert_true(feed(&m, "abd"));
	vmctl_match_free(&m);

	/* No text: never matches. */
	assert_int_equal(vmctl_match_init(&m, NULL), 0);
	assert_false(feed(&m, "anything"));
	vmctl_match_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verbs_find_names_and_aliases),
		cmocka_unit_test(test_verbs_match_methods_def),
		cmocka_unit_test(test_suggest_close_names),
		cmocka_unit_test(test_args_options_anywhere),
		cmocka_unit_test(test_args_aliases_imply_options),
		cmocka_unit_test(test_args_errors_name_the_argument),
		cmocka_unit_test(test_usage_line_from_tables),
		cmocka_unit_test(test_args_new_verbs),
		cmocka_unit_test(test_pos_names),
		cmocka_unit_test(test_list_table),
		cmocka_unit_test(test_info_lines),
		cmocka_unit_test(test_event_line),
		cmocka_unit_test(test_json_is_one_line_without_slash_escapes),
		cmocka_unit_test(test_match_across_reads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
