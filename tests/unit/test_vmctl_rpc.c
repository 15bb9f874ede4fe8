/* vmctl on the wire: a fake vmd on a temporary unix socket checks the
 * exact request line each verb sends, answers with canned results or
 * errors, and the test checks what vmctl printed and its exit status.
 * The fake runs in a thread and only records; all asserts happen in the
 * test's own thread. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "util.h"
#include "vmctl.h"

/* One exchange: the request line expected, then what to answer. */
struct step {
	const char *reply;	/* result or error member, verbatim JSON */
	const char *before;	/* lines sent before the reply (events) */
	const char *after;	/* lines sent after the reply, then hang up */
	bool silent;		/* never answer (timeout test) */
};

enum console_mode { CONSOLE_BANNER_HOLD, CONSOLE_BANNER_CLOSE, CONSOLE_ECHO };

struct fake {
	char dir[64];
	char path[108];
	char console_path[108];
	int lfd;
	int console_lfd;
	const struct step *steps;
	size_t nsteps;
	char got[4][2048];	/* request lines as received */
	size_t ngot;
	enum console_mode console_mode;
	const char *banner;
	pthread_t thr;
	pthread_t console_thr;
};

static int
listen_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	util_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static ssize_t
read_line(int fd, char *buf, size_t len)
{
	size_t n = 0;

	while (n + 1 < len) {
		ssize_t r = read(fd, buf + n, 1);

		if (r <= 0)
			return -1;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	return (ssize_t)n;
}

static void
send_str(int fd, const char *s)
{
	if (s)
		util_write_all(fd, s, strlen(s));
}

static void *
fake_serve(void *arg)
{
	struct fake *f = arg;
	int fd = accept(f->lfd, NULL, NULL);
	char drain[256];
	size_t i;

	if (fd < 0)
		return NULL;
	for (i = 0; i < f->nsteps; i++) {
		const struct step *s = &f->steps[i];
		json_object *req, *id;
		char reply[4096];

		if (read_line(fd, f->got[f->ngot], sizeof(f->got[0])) < 0)
			break;
		req = json_tokener_parse(f->got[f->ngot++]);
		send_str(fd, s->before);
		if (s->silent) {
			json_object_put(req);
			break;
		}
		json_object_object_get_ex(req, "id", &id);
		snprintf(reply, sizeof(reply),
			 "{\"jsonrpc\":\"2.0\",\"id\":%s,%s}\n",
			 json_object_to_json_string(id), s->reply);
		json_object_put(req);
		send_str(fd, reply);
		if (s->after) {
			send_str(fd, s->after);
			close(fd);
			return NULL;
		}
	}
	/* Hold the connection until vmctl lets go of it. */
	while (read(fd, drain, sizeof(drain)) > 0)
		;
	close(fd);
	return NULL;
}

static void *
fake_console(void *arg)
{
	struct fake *f = arg;
	int fd = accept(f->console_lfd, NULL, NULL);
	char buf[256];
	ssize_t n;

	if (fd < 0)
		return NULL;
	send_str(fd, f->banner);
	if (f->console_mode == CONSOLE_BANNER_CLOSE) {
		close(fd);
		return NULL;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (f->console_mode == CONSOLE_ECHO)
			util_write_all(fd, buf, (size_t)n);
	close(fd);
	return NULL;
}

static void
fake_start(struct fake *f, const struct step *steps, size_t nsteps)
{
	memset(f->got, 0, sizeof(f->got));
	f->ngot = 0;
	f->steps = steps;
	f->nsteps = nsteps;
	strcpy(f->dir, "/tmp/vmctl-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/vmd.sock", f->dir);
	snprintf(f->console_path, sizeof(f->console_path), "%s/console.sock",
		 f->dir);
	f->lfd = listen_unix(f->path);
	f->console_lfd = listen_unix(f->console_path);
	assert_int_equal(pthread_create(&f->thr, NULL, fake_serve, f), 0);
	assert_int_equal(pthread_create(&f->console_thr, NULL, fake_console,
					f), 0);
}

static void
fake_stop(struct fake *f)
{
	/* Wake up accept()s that vmctl never connected to. */
	shutdown(f->lfd, SHUT_RDWR);
	shutdown(f->console_lfd, SHUT_RDWR);
	pthread_join(f->thr, NULL);
	pthread_join(f->console_thr, NULL);
	close(f->lfd);
	close(f->console_lfd);
	unlink(f->path);
	unlink(f->console_path);
	rmdir(f->dir);
}

struct run {
	int status;
	char out[8192];
	char err[4096];
};

static void
slurp(FILE *tmp, char *buf, size_t len)
{
	size_t n;

	rewind(tmp);
	n = fread(buf, 1, len - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
}

/* Run vmctl with argv (NULL-terminated, after "vmctl") against the fake,
 * stdin fed from `input` (NULL: /dev/null), stdout and stderr captured. */
static void
run_vmctl(struct fake *f, struct run *r, const char *input, ...)
{
	char *argv[16] = { "vmctl", "--socket", f->path };
	int argc = 3, saved[3], pfd[2], i;
	FILE *out = tmpfile(), *err = tmpfile();
	va_list ap;

	va_start(ap, input);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	assert_non_null(out);
	assert_non_null(err);
	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < 3; i++)
		saved[i] = dup(i);
	if (input) {
		assert_int_equal(pipe(pfd), 0);
		util_write_all(pfd[1], input, strlen(input));
		close(pfd[1]);
	} else {
		pfd[0] = open("/dev/null", O_RDONLY);
	}
	dup2(pfd[0], 0);
	close(pfd[0]);
	clearerr(stdin);
	dup2(fileno(out), 1);
	dup2(fileno(err), 2);
	r->status = vmctl_run(argc, argv);
	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < 3; i++) {
		dup2(saved[i], i);
		close(saved[i]);
	}
	clearerr(stdin);
	slurp(out, r->out, sizeof(r->out));
	slurp(err, r->err, sizeof(r->err));
}

#define REQ(id, method, params)                                         \
	"{\"jsonrpc\":\"2.0\",\"id\":" #id ",\"method\":\"" method "\""  \
	params "}"

/* Verbs with one request and a printed answer, table-driven. */
struct verb_case {
	const char *argv[5];
	const char *request;
	const char *reply;
	int status;
	const char *out;
};

static const struct verb_case verb_cases[] = {
	{ { "start", "demo" },
	  REQ(1, "domain.start", ",\"params\":{\"name\":\"demo\"}"),
	  "\"result\":{\"name\":\"demo\",\"state\":\"running\"}", 0,
	  "Domain demo started\n" },
	{ { "stop", "demo" },
	  REQ(1, "domain.shutdown", ",\"params\":{\"name\":\"demo\"}"),
	  "\"result\":{}", 0, "Domain demo is being shut down\n" },
	{ { "shutdown", "demo" },
	  REQ(1, "domain.shutdown", ",\"params\":{\"name\":\"demo\"}"),
	  "\"result\":{}", 0, "Domain demo is being shut down\n" },
	{ { "stop", "--force", "demo" },
	  REQ(1, "domain.destroy", ",\"params\":{\"name\":\"demo\"}"),
	  "\"result\":{}", 0, "Domain demo destroyed\n" },
	{ { "destroy", "demo" },
	  REQ(1, "domain.destroy", ",\"params\":{\"name\":\"demo\"}"),
	  "\"result\":{}", 0, "Domain demo destroyed\n" },
	{ { "undefine", "demo" },
	  REQ(1, "domain.undefine", ",\"params\":{\"name\":\"demo\"}"),
	  "\"result\":{}", 0, "Domain demo has been undefined\n" },
	{ { "reboot", "demo" },
	  REQ(1, "domain.reboot", ",\"params\":{\"name\":\"demo\"}"),
	  "\"result\":{}", 0, "Domain demo is being rebooted\n" },
	{ { "suspend", "demo" },
	  REQ(1, "domain.suspend", ",\"params\":{\"name\":\"demo\"}"),
	  "\"result\":{}", 0, "Domain demo suspended\n" },
	{ { "resume", "demo" },
	  REQ(1, "domain.resume", ",\"params\":{\"name\":\"demo\"}"),
	  "\"result\":{}", 0, "Domain demo resumed\n" },
	{ { "autostart", "demo" },
	  REQ(1, "domain.autostart",
	      ",\"params\":{\"name\":\"demo\",\"enable\":true}"),
	  "\"result\":{}", 0, "Domain demo marked as autostarted\n" },
	{ { "autostart", "demo", "--disable" },
	  REQ(1, "domain.autostart",
	      ",\"params\":{\"name\":\"demo\",\"enable\":false}"),
	  "\"result\":{}", 0, "Domain demo unmarked as autostarted\n" },
	{ { "list" },
	  REQ(1, "domain.list", ",\"params\":{\"all\":false}"),
	  "\"result\":{\"domains\":[{\"name\":\"demo\",\"uuid\":\"u\","
	  "\"state\":\"running\",\"autostart\":false}]}", 0,
	  " Name   State     Autostart\n"
	  "---------------------------\n"
	  " demo   running   no\n" },
	{ { "list", "--all", "--json" },
	  REQ(1, "domain.list", ",\"params\":{\"all\":true}"),
	  "\"result\":{\"domains\":[]}", 0, "{\"domains\":[]}\n" },
	{ { "dominfo", "demo" },
	  REQ(1, "domain.info", ",\"params\":{\"name\":\"demo\"}"),
	  "\"result\":{\"name\":\"demo\",\"state\":\"shutoff\"}", 0,
	  "Name:           demo\nState:          shutoff\n" },
	{ { "domstate", "demo" },
	  REQ(1, "domain.info", ",\"params\":{\"name\":\"demo\"}"),
	  "\"result\":{\"name\":\"demo\",\"state\":\"running\","
	  "\"reason\":\"booted\",\"vcpus\":1}", 0, "running\n" },
	{ { "domstate", "demo", "--reason" },
	  REQ(1, "domain.info", ",\"params\":{\"name\":\"demo\"}"),
	  "\"result\":{\"name\":\"demo\",\"state\":\"shutoff\","
	  "\"reason\":\"destroyed\"}", 0, "shutoff (destroyed)\n" },
	{ { "domstate", "--reason", "demo" },
	  REQ(1, "domain.info", ",\"params\":{\"name\":\"demo\"}"),
	  "\"result\":{\"name\":\"demo\",\"state\":\"paused\","
	  "\"reason\":\"\"}", 0, "paused (unknown)\n" },
	{ { "domstate", "demo", "--json" },
	  REQ(1, "domain.info", ",\"params\":{\"name\":\"demo\"}"),
	  "\"result\":{\"name\":\"demo\",\"state\":\"running\","
	  "\"reason\":\"booted\",\"pid\":42}", 0,
	  "{\"state\":\"running\",\"reason\":\"booted\"}\n" },
	{ { "domstate", "demo" },
	  REQ(1, "domain.info", ",\"params\":{\"name\":\"demo\"}"),
	  "\"result\":{\"name\":\"demo\"}", 1, "" },
	{ { "dumpxml", "demo" },
	  REQ(1, "domain.xml", ",\"params\":{\"name\":\"demo\"}"),
	  "\"result\":{\"xml\":\"<domain type='kvm'>\\n</domain>\"}", 0,
	  "<domain type='kvm'>\n</domain>\n" },
	{ { "domdisplay", "demo" },
	  REQ(1, "domain.display", ",\"params\":{\"name\":\"demo\"}"),
	  "\"result\":{\"uri\":\"spice://127.0.0.1:5901\"}", 0,
	  "spice://127.0.0.1:5901\n" },
	{ { "display", "demo", "--json" },
	  REQ(1, "domain.display", ",\"params\":{\"name\":\"demo\"}"),
	  "\"result\":{\"uri\":\"spice://127.0.0.1:5901\"}", 0,
	  "{\"uri\":\"spice://127.0.0.1:5901\"}\n" },
	{ { "console", "demo", "--json" },
	  REQ(1, "domain.console", ",\"params\":{\"name\":\"demo\"}"),
	  "\"result\":{\"path\":\"/run/vmd/demo/console.sock\"}", 0,
	  "{\"path\":\"/run/vmd/demo/console.sock\"}\n" },
	{ { "version" },
	  REQ(1, "daemon.version", ""),
	  "\"result\":{\"version\":\"0.1.0\",\"api\":1}", 0,
	  "vmctl " PACKAGE_VERSION "\nvmd 0.1.0 (api 1)\n" },
	{ { "--version", "--json" },
	  REQ(1, "daemon.version", ""),
	  "\"result\":{\"version\":\"0.1.0\",\"api\":1}", 0,
	  "{\"version\":\"0.1.0\",\"api\":1}\n" },
};

static void
test_verbs_send_exact_requests(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(verb_cases); i++) {
		const struct verb_case *c = &verb_cases[i];
		struct step step = { .reply = c->reply };
		struct fake f;
		struct run r;

		fake_start(&f, &step, 1);
		run_vmctl(&f, &r, NULL, c->argv[0], c->argv[1], c->argv[2],
			  c->argv[3], NULL);
		fake_stop(&f);
		assert_int_equal(f.ngot, 1);
		assert_string_equal(f.got[0], c->request);
		assert_int_equal(r.status, c->status);
		assert_string_equal(r.out, c->out);
		if (c->status)
			assert_string_not_equal(r.err, "");
		else
			assert_string_equal(r.err, "");
	}
}

static void
test_create_sends_file_and_prints_warnings(void **state)
{
	struct step step = {
		.reply = "\"result\":{\"name\":\"demo\",\"uuid\":\"u\","
			 "\"warnings\":[\"<sound> ignored\"]}",
	};
	char path[] = "/tmp/vmctl-xml-XXXXXX";
	int fd = mkstemp(path);
	struct fake f;
	struct run r;

	(void)state;
	assert_true(fd >= 0);
	util_write_all(fd, "<domain type='kvm'>\n  <name>demo</name>\n"
		       "</domain>\n", 50);
	close(fd);
	fake_start(&f, &step, 1);
	run_vmctl(&f, &r, NULL, "create", path, NULL);
	fake_stop(&f);
	unlink(path);
	assert_string_equal(f.got[0], REQ(1, "domain.define",
		",\"params\":{\"xml\":\"<domain type='kvm'>\\n  <name>demo"
		"</name>\\n</domain>\\n\"}"));
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "Domain demo defined\n");
	assert_string_equal(r.err, "vmctl: warning: <sound> ignored\n");

	/* "-" reads the XML from stdin; define is the same verb. */
	step.reply = "\"result\":{\"name\":\"demo\",\"uuid\":\"u\","
		     "\"warnings\":[]}";
	fake_start(&f, &step, 1);
	run_vmctl(&f, &r, "<domain/>", "define", "-", NULL);
	fake_stop(&f);
	assert_string_equal(f.got[0], REQ(1, "domain.define",
		",\"params\":{\"xml\":\"<domain/>\"}"));
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "Domain demo defined\n");
	assert_string_equal(r.err, "");

	/* A file that is not there never reaches the daemon. */
	fake_start(&f, &step, 1);
	run_vmctl(&f, &r, NULL, "create", "/nonexistent/demo.xml", NULL);
	fake_stop(&f);
	assert_int_equal(f.ngot, 0);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "vmctl: error: cannot read "
			    "/nonexistent/demo.xml: No such file or directory\n");
}

static void
test_error_reply_is_reported(void **state)
{
	struct step step = {
		.reply = "\"error\":{\"code\":-32001,\"message\":"
			 "\"no domain named 'ghost'\",\"data\":"
			 "{\"name\":\"NoSuchDomain\"}}",
	};
	struct fake f;
	struct run r;

	(void)state;
	fake_start(&f, &step, 1);
	run_vmctl(&f, &r, NULL, "start", "ghost", NULL);
	fake_stop(&f);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "vmctl: error: no domain named 'ghost'\n");
}

static void
test_transport_failures(void **state)
{
	struct step silent = { .silent = true };
	struct step garbage = { .before = "this is not json\n", .silent = true };
	struct fake f;
	struct run r;

	(void)state;
	fake_start(&f, &silent, 1);
	run_vmctl(&f, &r, NULL, "--timeout", "1", "start", "demo", NULL);
	fake_stop(&f);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "vmctl: error: no reply from vmd within 1 s\n");

	fake_start(&f, &garbage, 1);
	run_vmctl(&f, &r, NULL, "start", "demo", NULL);
	fake_stop(&f);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "vmctl: error: malformed reply from vmd\n");

	/* No daemon at all: only the path of the fake is used. */
	strcpy(f.path, "/nonexistent/vmd.sock");
	run_vmctl(&f, &r, NULL, "list", NULL);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "vmctl: cannot connect to vmd at "
			    "/nonexistent/vmd.sock: No such file or directory "
			    "(is it running? systemctl start vmd)\n");
}

/* Notifications that arrive before the subscription's reply are printed
 * too, in order; the daemon hanging up ends `events` with an error. */
static void
test_events_print_lines(void **state)
{
	struct step step = {
		.before = "{\"jsonrpc\":\"2.0\",\"method\":\"domain.event\","
			  "\"params\":{\"name\":\"demo\",\"uuid\":\"u\","
			  "\"event\":\"started\",\"detail\":\"\"}}\n",
		.reply = "\"result\":{}",
		.after = "{\"jsonrpc\":\"2.0\",\"method\":\"domain.event\","
			 "\"params\":{\"name\":\"demo\",\"uuid\":\"u\","
			 "\"event\":\"stopped\",\"detail\":\"poweroff\"}}\n"
			 "{\"jsonrpc\":\"2.0\",\"method\":\"other.thing\","
			 "\"params\":{}}\n",
	};
	struct fake f;
	struct run r;
	char *second;

	(void)state;
	fake_start(&f, &step, 1);
	run_vmctl(&f, &r, NULL, "events", NULL);
	fake_stop(&f);
	assert_string_equal(f.got[0], REQ(1, "events.subscribe", ""));
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "vmctl: error: vmd closed the connection\n");
	/* TIME NAME EVENT DETAIL */
	assert_int_equal(strlen(r.out), 2 * 24 + strlen("demo started -\n") +
			 strlen("demo stopped poweroff\n"));
	assert_memory_equal(r.out + 24, "demo started -\n", 15);
	second = strchr(r.out, '\n') + 1;
	assert_string_equal(second + 24, "demo stopped poweroff\n");

	fake_start(&f, &step, 1);
	run_vmctl(&f, &r, NULL, "events", "--json", NULL);
	fake_stop(&f);
	assert_string_equal(r.out,
		"{\"name\":\"demo\",\"uuid\":\"u\",\"event\":\"started\","
		"\"detail\":\"\"}\n"
		"{\"name\":\"demo\",\"uuid\":\"u\",\"event\":\"stopped\","
		"\"detail\":\"poweroff\"}\n");
}

static void
test_console_until_text(void **state)
{
	char reply[256];
	struct step step = { .reply = reply };
	struct fake f;
	struct run r;

	(void)state;
	f.banner = "Debian GNU/Linux 12 demo ttyS0\r\n\r\ndemo login: ";
	f.console_mode = CONSOLE_BANNER_HOLD;
	fake_start(&f, &step, 1);
	snprintf(reply, sizeof(reply), "\"result\":{\"path\":\"%s\"}",
		 f.console_path);
	run_vmctl(&f, &r, NULL, "console", "demo", "--until", "login: ",
		  "--timeout", "10", NULL);
	fake_stop(&f);
	assert_string_equal(f.got[0], REQ(1, "domain.console",
		",\"params\":{\"name\":\"demo\"}"));
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, f.banner);
	assert_string_equal(r.err, "");

	/* The text never comes: the timeout is an error. */
	f.banner = "booting\r\n";
	fake_start(&f, &step, 1);
	snprintf(reply, sizeof(reply), "\"result\":{\"path\":\"%s\"}",
		 f.console_path);
	run_vmctl(&f, &r, NULL, "console", "demo", "--until", "login: ",
		  "--timeout", "1", NULL);
	fake_stop(&f);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.out, "booting\r\n");
	assert_string_equal(r.err, "vmctl: error: console: 'login: ' did not "
			    "appear within 1 s\n");

	/* The console closes first: also an error. */
	f.console_mode = CONSOLE_BANNER_CLOSE;
	fake_start(&f, &step, 1);
	snprintf(reply, sizeof(reply), "\"result\":{\"path\":\"%s\"}",
		 f.console_path);
	run_vmctl(&f, &r, NULL, "console", "demo", "--until", "login: ", NULL);
	fake_stop(&f);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "vmctl: error: console closed before "
			    "'login: ' appeared\n");
}

/* `echo cmd | vmctl console NAME`: input goes in, the answer comes out,
 * and vmctl returns once stdin is done and the console is quiet. */
static void
test_console_pipe_copies_both_ways(void **state)
{
	char reply[256];
	struct step step = { .reply = reply };
	struct fake f;
	struct run r;

	(void)state;
	f.banner = "";
	f.console_mode = CONSOLE_ECHO;
	fake_start(&f, &step, 1);
	snprintf(reply, sizeof(reply), "\"result\":{\"path\":\"%s\"}",
		 f.console_path);
	run_vmctl(&f, &r, "uname -a\n", "console", "demo", NULL);
	fake_stop(&f);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "uname -a\n");
	assert_string_equal(r.err, "");
}

/* A file with content, for validate. */
static void
write_file(char *path, const char *content)
{
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(util_write_all(fd, content, strlen(content)), 0);
	close(fd);
}

#define GOOD_XML                                                        \
	"<domain type='kvm'>\n"                                         \
	"  <name>good</name>\n"                                         \
	"  <memory unit='MiB'>256</memory>\n"                           \
	"  <vcpu>1</vcpu>\n"                                            \
	"  <os>\n"                                                      \
	"    <type arch='x86_64'>hvm</type>\n"                          \
	"    <kernel>/boot/vmlinuz</kernel>\n"                          \
	"  </os>\n"                                                     \
	"  <devices>\n"                                                 \
	"%s"                                                            \
	"  </devices>\n"                                                \
	"</domain>\n"

/* validate needs no daemon: the socket named does not exist, and a
 * connection attempt would fail the run with "cannot connect". */
static void
test_validate_offline(void **state)
{
	char good[] = "/tmp/vmctl-good-XXXXXX";
	char warn[] = "/tmp/vmctl-warn-XXXXXX";
	char bad[] = "/tmp/vmctl-bad-XXXXXX";
	char xml[1024], expect[512];
	struct fake f;
	struct run r;

	(void)state;
	snprintf(xml, sizeof(xml), GOOD_XML, "");
	write_file(good, xml);
	snprintf(xml, sizeof(xml), GOOD_XML, "    <sound model='ich9'/>\n");
	write_file(warn, xml);
	write_file(bad, "<domain type='kvm'>\n  <name>bad</name>\n"
		   "  <memory>oops\n</domain>\n");
	strcpy(f.path, "/nonexistent/vmd.sock");

	run_vmctl(&f, &r, NULL, "validate", good, NULL);
	assert_int_equal(r.status, 0);
	snprintf(expect, sizeof(expect), "%s: valid domain 'good'\n", good);
	assert_string_equal(r.out, expect);
	assert_string_equal(r.err, "");

	run_vmctl(&f, &r, NULL, "validate", warn, NULL);
	assert_int_equal(r.status, 0);
	snprintf(expect, sizeof(expect), "%s: valid domain 'good'\n", warn);
	assert_string_equal(r.out, expect);
	snprintf(expect, sizeof(expect), "vmctl: warning: %s: line 10: "
		 "<sound>: ignored: no sound device is emulated\n", warn);
	assert_string_equal(r.err, expect);

	run_vmctl(&f, &r, NULL, "validate", bad, NULL);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.out, "");
	snprintf(expect, sizeof(expect), "vmctl: error: %s: malformed XML at "
		 "line ", bad);
	assert_memory_equal(r.err, expect, strlen(expect));
	assert_non_null(strstr(r.err, "memory"));

	/* Several files: each is reported, one bad one fails the run. */
	run_vmctl(&f, &r, NULL, "validate", good, bad, warn, NULL);
	assert_int_equal(r.status, 1);
	snprintf(expect, sizeof(expect), "%s: valid domain 'good'\n"
		 "%s: valid domain 'good'\n", good, warn);
	assert_string_equal(r.out, expect);

	/* stdin, and a file that is not there. */
	snprintf(xml, sizeof(xml), GOOD_XML, "");
	run_vmctl(&f, &r, xml, "validate", "-", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "stdin: valid domain 'good'\n");
	run_vmctl(&f, &r, NULL, "validate", "/nonexistent/x.xml", NULL);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "vmctl: error: cannot read "
			    "/nonexistent/x.xml: No such file or directory\n");

	/* --json: one object per file, nothing on stderr. */
	run_vmctl(&f, &r, NULL, "validate", "--json", warn, NULL);
	assert_int_equal(r.status, 0);
	snprintf(expect, sizeof(expect), "{\"file\":\"%s\",\"valid\":true,"
		 "\"name\":\"good\",\"warnings\":[\"line 10: <sound>: ignored: "
		 "no sound device is emulated\"],\"error\":null}\n", warn);
	assert_string_equal(r.out, expect);
	assert_string_equal(r.err, "");
	run_vmctl(&f, &r, NULL, "validate", "-j", bad, NULL);
	assert_int_equal(r.status, 1);
	snprintf(expect, sizeof(expect), "{\"file\":\"%s\",\"valid\":false,"
		 "\"name\":null,\"warnings\":[],\"error\":\"malformed XML at "
		 "line ", bad);
	assert_memory_equal(r.out, expect, strlen(expect));
	assert_string_equal(r.err, "");

	unlink(good);
	unlink(warn);
	unlink(bad);
}

#define EVENT(name, event, detail)                                      \
	"{\"jsonrpc\":\"2.0\",\"method\":\"domain.event\",\"params\":"    \
	"{\"name\":\"" name "\",\"uuid\":\"u\",\"event\":\"" event "\","  \
	"\"detail\":\"" detail "\"}}\n"

/* stop --timeout subscribes first, then shuts down and waits for the
 * domain's own stopped event; other domains' events and other events
 * of this one do not end the wait. */
static void
test_stop_timeout_waits_for_stopped(void **state)
{
	const struct step steps[] = {
		{ .reply = "\"result\":{}" },
		{ .before = EVENT("other", "stopped", "poweroff"),
		  .reply = "\"result\":{}",
		  .after = "{\"jsonrpc\":\"2.0\",\"method\":\"other.thing\","
			   "\"params\":{}}\n"
			   EVENT("demo", "paused", "")
			   EVENT("demo", "stopped", "shutdown") },
	};
	struct fake f;
	struct run r;

	(void)state;
	fake_start(&f, steps, ARRAY_SIZE(steps));
	run_vmctl(&f, &r, NULL, "stop", "demo", "--timeout", "10", NULL);
	fake_stop(&f);
	assert_int_equal(f.ngot, 2);
	assert_string_equal(f.got[0], REQ(1, "events.subscribe", ""));
	assert_string_equal(f.got[1], REQ(2, "domain.shutdown",
		",\"params\":{\"name\":\"demo\"}"));
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "Domain demo shut off\n");
	assert_string_equal(r.err, "");

	fake_start(&f, steps, ARRAY_SIZE(steps));
	run_vmctl(&f, &r, NULL, "shutdown", "demo", "-t", "10", "--json",
		  NULL);
	fake_stop(&f);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "{\"name\":\"demo\",\"uuid\":\"u\","
			    "\"event\":\"stopped\",\"detail\":\"shutdown\"}\n");
}

static void
test_stop_timeout_failures(void **state)
{
	const struct step hold[] = {
		{ .reply = "\"result\":{}" },
		{ .reply = "\"result\":{}" },
	};
	const struct step crash[] = {
		{ .reply = "\"result\":{}" },
		{ .reply = "\"result\":{}",
		  .after = EVENT("demo", "crashed", "crashed") },
	};
	const struct step refused[] = {
		{ .reply = "\"result\":{}" },
		{ .reply = "\"error\":{\"code\":-32004,\"message\":"
			   "\"domain 'demo' is not running\"}" },
	};
	const struct step destroy = { .reply = "\"result\":{}" };
	uint64_t t0;
	struct fake f;
	struct run r;

	(void)state;
	/* The guest ignores the power button. */
	fake_start(&f, hold, ARRAY_SIZE(hold));
	t0 = util_now_ns();
	run_vmctl(&f, &r, NULL, "stop", "demo", "--timeout", "1", NULL);
	fake_stop(&f);
	assert_true(util_now_ns() - t0 >= 900000000u);
	assert_int_equal(f.ngot, 2);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "vmctl: error: domain demo did not shut "
			    "down within 1 s\n");

	fake_start(&f, crash, ARRAY_SIZE(crash));
	run_vmctl(&f, &r, NULL, "stop", "demo", "--timeout", "10", NULL);
	fake_stop(&f);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "vmctl: error: domain demo crashed while "
			    "shutting down\n");

	fake_start(&f, refused, ARRAY_SIZE(refused));
	run_vmctl(&f, &r, NULL, "stop", "demo", "--timeout", "10", NULL);
	fake_stop(&f);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "vmctl: error: domain 'demo' is not "
			    "running\n");

	/* --force: destroy, which returns once stopped; --timeout only
	 * bounds the reply there. */
	fake_start(&f, &destroy, 1);
	run_vmctl(&f, &r, NULL, "stop", "demo", "--force", "--timeout", "10",
		  NULL);
	fake_stop(&f);
	assert_int_equal(f.ngot, 1);
	assert_string_equal(f.got[0], REQ(1, "domain.destroy",
		",\"params\":{\"name\":\"demo\"}"));
	assert_string_equal(r.out, "Domain demo destroyed\n");
}

/* --help everywhere, without a daemon; the new verbs are listed. */
static void
test_help(void **state)
{
	struct fake f;
	struct run r;

	(void)state;
	strcpy(f.path, "/nonexistent/vmd.sock");
	run_vmctl(&f, &r, NULL, "--help", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\n  validate FILE...  "));
	assert_non_null(strstr(r.out, "\n  domstate NAME     "));
	assert_non_null(strstr(r.out, "virsh spellings: define, shutdown, "
			       "destroy, dominfo, domdisplay, domstate\n"));
	run_vmctl(&f, &r, NULL, "stop", "--help", NULL);
	assert_int_equal(r.status, 0);
	assert_memory_equal(r.out, "Usage: vmctl stop NAME [--force] "
			    "[--timeout SECONDS]\n", 51);
	assert_non_null(strstr(r.out, "wait until it is off"));
	run_vmctl(&f, &r, NULL, "validate", "-h", NULL);
	assert_int_equal(r.status, 0);
	assert_memory_equal(r.out, "Usage: vmctl validate FILE...\n", 30);
	run_vmctl(&f, &r, NULL, "help", "domstate", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "--reason"));
	assert_string_equal(r.err, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verbs_send_exact_requests),
		cmocka_unit_test(test_create_sends_file_and_prints_warnings),
		cmocka_unit_test(test_error_reply_is_reported),
		cmocka_unit_test(test_transport_failures),
		cmocka_unit_test(test_events_print_lines),
		cmocka_unit_test(test_console_until_text),
		cmocka_unit_test(test_console_pipe_copies_both_ways),
		cmocka_unit_test(test_validate_offline),
		cmocka_unit_test(test_stop_timeout_waits_for_stopped),
		cmocka_unit_test(test_stop_timeout_failures),
		cmocka_unit_test(test_help),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
