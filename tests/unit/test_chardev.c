/* Character back-ends: spec errors, the unix console socket (backlog,
 * replacement, input with back-pressure), pty, file and stdio. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "chardev.h"

struct fixture {
	struct event_base *base;
	char dir[64];
	char path[128];
	/* What the input callback took, and how much it will take. */
	char in[8192];
	size_t in_len;
	size_t room;
	unsigned calls;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->base = event_base_new();
	assert_non_null(f->base);
	strcpy(f->dir, "/tmp/test_chardev.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/console", f->dir);
	f->room = sizeof(f->in);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	rmdir(f->dir);
	event_base_free(f->base);
	free(f);
	return 0;
}

static size_t
take_input(void *opaque, const uint8_t *buf, size_t len)
{
	struct fixture *f = opaque;
	size_t n = len < f->room ? len : f->room;

	f->calls++;
	memcpy(f->in + f->in_len, buf, n);
	f->in_len += n;
	f->room -= n;
	return n;
}

static void
pump(struct event_base *base, int ms)
{
	for (int i = 0; i < ms; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
}

static struct chardev *
open_ok(struct fixture *f, const char *spec)
{
	char *err = NULL;
	struct chardev *cd = chardev_open(spec, f->base, &err);

	if (!cd)
		fail_msg("%s: %s", spec, err);
	assert_null(err);
	return cd;
}

static void
expect_error(struct fixture *f, const char *spec, const char *needle)
{
	char *err = NULL;
	struct chardev *cd = chardev_open(spec, f->base, &err);

	assert_null(cd);
	assert_non_null(err);
	assert_non_null(strstr(err, needle));
	assert_int_equal(strncmp(err, "chardev: ", 9), 0);
	assert_null(strchr(err, '\n'));
	free(err);
}

static int
client(struct fixture *f)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, f->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	pump(f->base, 10);
	return fd;
}

/* Read what arrives within ms, running the loop meanwhile. */
static size_t
drain(struct fixture *f, int fd, char *buf, size_t size, int ms)
{
	size_t got = 0;

	for (int i = 0; i < ms && got < size - 1; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		pump(f->base, 1);
		if (poll(&p, 1, 0) != 1)
			continue;
		n = read(fd, buf + got, size - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	return got;
}

static void
test_spec_errors(void **state)
{
	struct fixture *f = *state;
	char spec[300];

	expect_error(f, "foo",
		     "unknown back-end 'foo' (expected stdio, file=PATH, "
		     "unix=PATH or pty)");
	expect_error(f, "", "unknown back-end ''");
	expect_error(f, "file=", "'file=' needs a path");
	expect_error(f, "unix=", "'unix=' needs a path");
	expect_error(f, "file=/nonexistent/dir/x",
		     "file=/nonexistent/dir/x: No such file or directory");
	snprintf(spec, sizeof(spec), "unix=%s/%0200d", f->dir, 0);
	expect_error(f, spec, "path too long");
	/* Never delete something that is not a socket. */
	close(open(f->path, O_WRONLY | O_CREAT, 0600));
	snprintf(spec, sizeof(spec), "unix=%s", f->path);
	expect_error(f, spec, "exists and is not a socket");
	unlink(f->path);
}

static void
test_unix_socket_basics(void **state)
{
	struct fixture *f = *state;
	struct chardev *cd, *cd2;
	char spec[160], buf[256], *err = NULL;
	struct stat st;
	int c;

	snprintf(spec, sizeof(spec), "unix=%s", f->path);
	cd = open_ok(f, spec);
	assert_string_equal(chardev_path(cd), f->path);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);

	/* A second monitor on the same live path is refused. */
	cd2 = chardev_open(spec, f->base, &err);
	assert_null(cd2);
	assert_non_null(strstr(err, "another process"));
	free(err);

	c = client(f);
	chardev_write(cd, "hello", 5);
	assert_int_equal(drain(f, c, buf, sizeof(buf), 200), 5);
	assert_string_equal(buf, "hello");
	close(c);
	pump(f->base, 10);

	chardev_close(cd);
	assert_int_equal(lstat(f->path, &st), -1);
	assert_int_equal(errno, ENOENT);
}

static void
test_unix_stale_path_replaced(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char spec[160];
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	/* A socket file left behind by a dead process. */
	strcpy(sa.sun_path, f->path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	snprintf(spec, sizeof(spec), "unix=%s", f->path);
	chardev_close(open_ok(f, spec));
}

static void
test_unix_backlog_replay(void **state)
{
	struct fixture *f = *state;
	struct chardev *cd;
	char spec[160], buf[256];
	int c;

	snprintf(spec, sizeof(spec), "unix=%s", f->path);
	cd = open_ok(f, spec);
	chardev_write(cd, "boot log\n", 9);
	chardev_write(cd, "login: ", 7);
	c = client(f);
	assert_int_equal(drain(f, c, buf, sizeof(buf), 200), 16);
	assert_string_equal(buf, "boot log\nlogin: ");
	chardev_write(cd, "live", 4);
	assert_int_equal(drain(f, c, buf, sizeof(buf), 100), 4);
	assert_string_equal(buf, "live");
	close(c);
	pump(f->base, 10);

	/* Only what nobody saw is replayed to the next client. */
	chardev_write(cd, "missed", 6);
	c = client(f);
	assert_int_equal(drain(f, c, buf, sizeof(buf), 200), 6);
	assert_string_equal(buf, "missed");
	close(c);
	chardev_close(cd);
}

static void
test_unix_backlog_keeps_newest(void **state)
{
	struct fixture *f = *state;
	struct chardev *cd;
	char spec[160];
	static char big[100 * 1024], got[100 * 1024];
	size_t n;
	int c;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	snprintf(spec, sizeof(spec), "unix=%s", f->path);
	cd = open_ok(f, spec);
	chardev_write(cd, big, sizeof(big));
	c = client(f);
	n = drain(f, c, got, sizeof(got), 500);
	assert_int_equal(n, 64 * 1024);
	assert_memory_equal(got, big + sizeof(big) - n, n);
	close(c);
	chardev_close(cd);
}

static void
test_unix_new_client_replaces_old(void **state)
{
	struct fixture *f = *state;
	struct chardev *cd;
	char spec[160], buf[64];
	int c1, c2;

	snprintf(spec, sizeof(spec), "unix=%s", f->path);
	cd = open_ok(f, spec);
	c1 = client(f);
	c2 = client(f);
	/* The old client is hung up on. */
	assert_int_equal(drain(f, c1, buf, sizeof(buf), 100), 0);
	assert_int_equal(read(c1, buf, sizeof(buf)), 0);
	chardev_write(cd, "to c2", 5);
	assert_int_equal(drain(f, c2, buf, sizeof(buf), 100), 5);
	assert_string_equal(buf, "to c2");
	close(c1);
	close(c2);
	chardev_close(cd);
}

static void
test_unix_input_backpressure(void **state)
{
	struct fixture *f = *state;
	struct chardev *cd;
	char spec[160], msg[6000];
	int c;

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (char)('0' + i % 10);
	snprintf(spec, sizeof(spec), "unix=%s", f->path);
	cd = open_ok(f, spec);
	chardev_set_input(cd, take_input, f);
	c = client(f);

	/* The front-end takes 10 bytes, then is full. */
	f->room = 10;
	assert_int_equal(write(c, msg, sizeof(msg)), (ssize_t)sizeof(msg));
	pump(f->base, 20);
	assert_int_equal(f->in_len, 10);
	/* Nothing more is offered until it says there is room. */
	f->calls = 0;
	pump(f->base, 20);
	assert_int_equal(f->calls, 0);

	while (f->in_len < sizeof(msg)) {
		size_t before = f->in_len;

		f->room = 777;
		chardev_accept_input(cd);
		pump(f->base, 5);
		assert_true(f->in_len > before);
	}
	assert_memory_equal(f->in, msg, sizeof(msg));
	close(c);
	pump(f->base, 10);
	chardev_close(cd);
}

static void
test_pty(void **state)
{
	struct fixture *f = *state;
	struct chardev *cd = open_ok(f, "pty");
	const char *path = chardev_path(cd);
	struct termios tio;
	struct stat st;
	char buf[64];
	int s;

	assert_non_null(path);
	assert_int_equal(strncmp(path, "/dev/pts/", 9), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISCHR(st.st_mode));

	chardev_set_input(cd, take_input, f);
	s = open(path, O_RDWR | O_NOCTTY);
	assert_true(s >= 0);
	/* Raw: no echo, no line editing, bytes pass unchanged. */
	assert_int_equal(tcgetattr(s, &tio), 0);
	assert_int_equal(tio.c_lflag & (ECHO | ICANON), 0);

	chardev_write(cd, "out\n", 4);
	assert_int_equal(drain(f, s, buf, sizeof(buf), 200), 4);
	assert_string_equal(buf, "out\n");

	assert_int_equal(write(s, "in\r", 3), 3);
	pump(f->base, 50);
	assert_int_equal(f->in_len, 3);
	assert_memory_equal(f->in, "in\r", 3);

	/* A viewer leaving does not break the device. */
	close(s);
	pump(f->base, 20);
	chardev_write(cd, "more", 4);
	chardev_close(cd);
}

static void
test_file_appends(void **state)
{
	struct fixture *f = *state;
	struct chardev *cd;
	char spec[160], buf[64] = { 0 };
	struct stat st;
	mode_t old = umask(022);
	int fd;

	snprintf(spec, sizeof(spec), "file=%s", f->path);
	cd = open_ok(f, spec);
	chardev_set_input(cd, take_input, f); /* no input: harmless */
	chardev_write(cd, "one ", 4);
	chardev_close(cd);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	cd = open_ok(f, spec);
	assert_string_equal(chardev_path(cd), f->path);
	chardev_write(cd, "two", 3);
	chardev_close(cd);
	umask(old);

	fd = open(f->path, O_RDONLY);
	assert_int_equal(read(fd, buf, sizeof(buf)), 7);
	close(fd);
	assert_string_equal(buf, "one two");
}

/* stdio with pipes for stdin and stdout; stdin EOF stops input only. */
static void
test_stdio_pipes(void **state)
{
	struct fixture *f = *state;
	int in[2], out[2], save0, save1;
	struct chardev *cd;
	char buf[64];

	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	fflush(stdout);
	save0 = dup(0);
	save1 = dup(1);
	dup2(in[0], 0);
	dup2(out[1], 1);
	close(in[0]);
	close(out[1]);

	cd = open_ok(f, "stdio");
	assert_string_equal(chardev_path(cd), "stdio");
	chardev_set_input(cd, take_input, f);
	chardev_write(cd, "to stdout", 9);
	assert_int_equal(write(in[1], "keys", 4), 4);
	pump(f->base, 20);
	close(in[1]); /* EOF */
	pump(f->base, 20);
	chardev_write(cd, "!", 1);
	chardev_close(cd);

	dup2(save0, 0);
	dup2(save1, 1);
	close(save0);
	close(save1);
	assert_int_equal(drain(f, out[0], buf, sizeof(buf), 50), 10);
	close(out[0]);
	assert_string_equal(buf, "to stdout!");
	assert_int_equal(f->in_len, 4);
	assert_memory_equal(f->in, "keys", 4);
	/* fd 1 itself stayed blocking: the reopen was our own. */
	assert_int_equal(fcntl(1, F_GETFL) & O_NONBLOCK, 0);
}

struct writer {
	struct chardev *cd;
	int n;
};

static void *
writer_main(void *arg)
{
	struct writer *w = arg;

	for (int i = 0; i < w->n; i++) {
		char c = (char)('a' + i % 26);

		chardev_write(w->cd, &c, 1);
		if (i % 64 == 0)
			usleep(200);
	}
	return NULL;
}

/* A vCPU-like thread writes while the I/O thread accepts and serves the
 * client: ordered, nothing lost while the client keeps up. */
static void
test_unix_write_from_thread(void **state)
{
	struct fixture *f = *state;
	struct writer w = { .n = 20000 };
	static char buf[20001];
	struct chardev *cd;
	pthread_t t;
	char spec[160];
	int c;

	snprintf(spec, sizeof(spec), "unix=%s", f->path);
	cd = w.cd = open_ok(f, spec);
	assert_int_equal(pthread_create(&t, NULL, writer_main, &w), 0);
	c = client(f);
	assert_int_equal(drain(f, c, buf, sizeof(buf), 3000), (size_t)w.n);
	pthread_join(t, NULL);
	for (int i = 0; i < w.n; i++)
		assert_int_equal(buf[i], 'a' + i % 26);
	close(c);
	chardev_close(cd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_spec_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unix_socket_basics, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unix_stale_path_replaced,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_unix_backlog_replay,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_unix_backlog_keeps_newest,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_unix_new_client_replaces_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unix_input_backpressure,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_unix_write_from_thread,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_pty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_appends, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stdio_pipes, setup,
						teardown),
	};

	evthread_use_pthreads();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
