/* Character back-ends: see chardev.h.
 *
 * Threads: input is read and handed to the front-end on the I/O thread
 * only; chardev_write() runs on vCPU threads. cd->lock guards the output
 * side (out_fd, the ring, the counters) and the identity of the unix
 * client, which the I/O thread may replace while a vCPU writes. The input
 * callback is called without cd->lock held, so a front-end may call
 * chardev_write() and chardev_accept_input() under its own lock. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "chardev.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "util.h"

/* Output that could not be written yet (slow reader, or no unix client):
 * kept and written when the fd is ready, oldest dropped when full. For
 * unix= it is the backlog a late `vmctl console` sees first. */
#define CHARDEV_RING_SIZE (64 * 1024)
#define CHARDEV_INBUF_SIZE 4096

enum chardev_type { CD_STDIO, CD_FILE, CD_UNIX, CD_PTY };

/* How a write to out_fd is kept from blocking. */
enum chardev_out_mode {
	OUT_NONBLOCK, /* our own O_NONBLOCK open file description */
	OUT_SEND,     /* a shared socket: send(MSG_DONTWAIT) */
	OUT_POLL,     /* a shared blocking fd: poll() first, then write */
	OUT_FILE,     /* a regular file: never waits for a reader */
};

struct chardev {
	enum chardev_type type;
	struct event_base *base;
	char *path;

	/* Input: I/O thread only. */
	int in_fd;
	struct event *ev_in;
	struct event *ev_resume; /* activated by chardev_accept_input() */
	chardev_input_fn input_fn;
	void *input_opaque;
	uint8_t inbuf[CHARDEV_INBUF_SIZE];
	size_t in_off, in_len; /* bytes read but not yet taken */
	bool in_paused;        /* the front-end is full */
	bool in_eof;

	int listen_fd; /* unix */
	struct event *ev_listen;
	int pty_slave_fd; /* pty: held open so the master never sees EIO */

	/* Output: guarded by lock. */
	pthread_mutex_t lock;
	int out_fd;
	enum chardev_out_mode out_mode;
	bool out_broken; /* the reader went away for good: discard */
	struct event *ev_out; /* EV_WRITE on out_fd, to drain the ring */
	uint8_t *ring;
	size_t ring_head, ring_len;
	uint64_t out_dropped;
};

/* stdin's terminal settings, restored at close and at exit() even when
 * main forgets to close: a shell left in raw mode is the worst outcome. */
static struct termios chardev_saved_tio;
static bool chardev_tio_saved;

static void
chardev_restore_tty(void)
{
	if (chardev_tio_saved) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &chardev_saved_tio);
		chardev_tio_saved = false;
	}
}

static char *
chardev_errf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static int
set_nonblock_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

/* Whether epoll (libevent's back-end) accepts fd: regular files and
 * /dev/null do not, and libevent would complain on every event_add. */
static bool
fd_pollable(int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ep = epoll_create1(EPOLL_CLOEXEC);
	bool ok;

	if (ep < 0)
		return false;
	ok = epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0;
	close(ep);
	return ok;
}

/* ---- output ---- */

static void
ring_push(struct chardev *cd, const uint8_t *p, size_t len)
{
	size_t tail, n;

	if (len > CHARDEV_RING_SIZE) {
		cd->out_dropped += len - CHARDEV_RING_SIZE;
		p += len - CHARDEV_RING_SIZE;
		len = CHARDEV_RING_SIZE;
	}
	if (cd->ring_len + len > CHARDEV_RING_SIZE) {
		size_t over = cd->ring_len + len - CHARDEV_RING_SIZE;

		cd->ring_head = (cd->ring_head + over) % CHARDEV_RING_SIZE;
		cd->ring_len -= over;
		cd->out_dropped += over;
	}
	tail = (cd->ring_head + cd->ring_len) % CHARDEV_RING_SIZE;
	n = MIN(len, CHARDEV_RING_SIZE - tail);
	memcpy(cd->ring + tail, p, n);
	memcpy(cd->ring, p + n, len - n);
	cd->ring_len += len;
}

/* One write attempt that never waits. Returns bytes written, 0 when the
 * fd is full, or a negative errno when the reader is gone. Lock held. */
static ssize_t
out_try(struct chardev *cd, const uint8_t *p, size_t len)
{
	struct pollfd pfd = { .fd = cd->out_fd, .events = POLLOUT };
	ssize_t n;

	if (cd->out_mode == OUT_POLL) {
		/* A shared blocking fd (we could not reopen stdout): a
		 * small write to a pipe or tty that polls writable does
		 * not block; writes here are a handful of bytes. */
		if (poll(&pfd, 1, 0) <= 0)
			return 0;
		if (pfd.revents & (POLLERR | POLLHUP))
			return -EPIPE;
	}
	do {
		if (cd->out_mode == OUT_SEND)
			n = send(cd->out_fd, p, len,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			n = write(cd->out_fd, p, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	return n;
}

/* Write what the fd takes from the ring. Lock held. Returns true when
 * bytes remain (the caller arms ev_out). */
static bool
ring_drain(struct chardev *cd)
{
	while (cd->ring_len) {
		size_t n = MIN(cd->ring_len, CHARDEV_RING_SIZE - cd->ring_head);
		ssize_t w = out_try(cd, cd->ring + cd->ring_head, n);

		if (w < 0) {
			/* For unix= the read side sees the hang-up and
			 * closes the client; keep the bytes for the next. */
			if (cd->type != CD_UNIX) {
				cd->out_broken = true;
				cd->out_dropped += cd->ring_len;
				cd->ring_len = 0;
			}
			return false;
		}
		if (w == 0)
			return true;
		cd->ring_head = (cd->ring_head + (size_t)w) % CHARDEV_RING_SIZE;
		cd->ring_len -= (size_t)w;
	}
	cd->ring_head = 0;
	return false;
}

static void
chardev_out_cb(evutil_socket_t fd, short what, void *arg)
{
	struct chardev *cd = arg;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&cd->lock);
	if (cd->out_fd >= 0 && ring_drain(cd) && cd->ev_out)
		event_add(cd->ev_out, NULL);
	pthread_mutex_unlock(&cd->lock);
}

void
chardev_write(struct chardev *cd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t w;

	if (!cd || !len)
		return;
	pthread_mutex_lock(&cd->lock);
	if (cd->out_broken) {
		cd->out_dropped += len;
		goto out;
	}
	/* Bytes must leave in order: anything queued goes first. */
	if (cd->out_fd >= 0 && cd->ring_len == 0) {
		w = out_try(cd, p, len);
		if (w > 0) {
			p += w;
			len -= (size_t)w;
		} else if (w < 0 && cd->type != CD_UNIX) {
			cd->out_broken = true;
			cd->out_dropped += len;
			goto out;
		}
	}
	if (!len)
		goto out;
	if (cd->ev_out || cd->type == CD_UNIX) {
		ring_push(cd, p, len);
		if (cd->out_fd >= 0 && cd->ev_out)
			event_add(cd->ev_out, NULL);
	} else {
		/* Nothing will tell us when the fd drains (a full disk). */
		cd->out_dropped += len;
	}
out:
	pthread_mutex_unlock(&cd->lock);
}

/* ---- input ---- */

static void
chardev_update_in_event(struct chardev *cd)
{
	if (!cd->ev_in)
		return;
	/* unix= reads even without a front-end, to notice the hang-up. */
	if (!cd->in_paused && !cd->in_eof &&
	    (cd->input_fn || cd->type == CD_UNIX))
		event_add(cd->ev_in, NULL);
	else
		event_del(cd->ev_in);
}

/* Hand pending bytes to the front-end; pause reading if it is full. */
static void
chardev_deliver(struct chardev *cd)
{
	while (cd->in_len) {
		size_t n;

		if (!cd->input_fn) {
			cd->in_len = 0;
			break;
		}
		n = cd->input_fn(cd->input_opaque, cd->inbuf + cd->in_off,
				 cd->in_len);
		if (n > cd->in_len)
			n = cd->in_len;
		cd->in_off += n;
		cd->in_len -= n;
		if (n == 0)
			break;
	}
	if (cd->in_len == 0)
		cd->in_off = 0;
	cd->in_paused = cd->in_len != 0;
	chardev_update_in_event(cd);
}

static void chardev_unix_drop_client(struct chardev *cd);

static void
chardev_in_cb(evutil_socket_t fd, short what, void *arg)
{
	struct chardev *cd = arg;
	ssize_t n;

	(void)what;
	if (cd->in_len)
		return; /* paused; ev_resume will deliver first */
	n = read(fd, cd->inbuf, sizeof(cd->inbuf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (cd->type == CD_UNIX) {
			chardev_unix_drop_client(cd);
			return;
		}
		/* stdin at EOF (or a pty error): stop reading, keep the
		 * VM running; output is unaffected. */
		cd->in_eof = true;
		chardev_update_in_event(cd);
		return;
	}
	cd->in_off = 0;
	cd->in_len = (size_t)n;
	chardev_deliver(cd);
}

static void
chardev_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct chardev *cd = arg;

	(void)fd;
	(void)what;
	if (cd->in_paused)
		chardev_deliver(cd);
}

void
chardev_accept_input(struct chardev *cd)
{
	/* Any thread: the resume runs on the I/O thread, which alone owns
	 * the input state, so there is nothing to lock here. */
	if (cd && cd->ev_resume)
		event_active(cd->ev_resume, EV_READ, 0);
}

void
chardev_set_input(struct chardev *cd, chardev_input_fn fn, void *opaque)
{
	if (!cd)
		return;
	cd->input_fn = fn;
	cd->input_opaque = opaque;
	if (!fn) {
		cd->in_len = 0;
		cd->in_paused = false;
	}
	chardev_update_in_event(cd);
}

static int
chardev_watch_input(struct chardev *cd, int fd)
{
	cd->in_fd = fd;
	cd->ev_in = event_new(cd->base, fd, EV_READ | EV_PERSIST,
			      chardev_in_cb, cd);
	if (!cd->ev_in)
		return -ENOMEM;
	chardev_update_in_event(cd);
	return 0;
}

/* ---- unix=PATH ---- */

/* I/O thread. Output goes back to the backlog until the next client. */
static void
chardev_unix_drop_client(struct chardev *cd)
{
	int fd;

	if (cd->ev_in) {
		event_free(cd->ev_in);
		cd->ev_in = NULL;
	}
	pthread_mutex_lock(&cd->lock);
	if (cd->ev_out) {
		event_free(cd->ev_out);
		cd->ev_out = NULL;
	}
	fd = cd->out_fd;
	cd->out_fd = -1;
	pthread_mutex_unlock(&cd->lock);
	if (fd >= 0)
		close(fd);
	cd->in_fd = -1;
	cd->in_eof = false;
}

static void
chardev_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct chardev *cd = arg;
	struct event *ev_out;
	int fd;

	(void)what;
	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return; /* EAGAIN, or the client gave up already */
	/* The newest client is the console: `vmctl console` on a VM whose
	 * last viewer vanished without closing must still get through. */
	chardev_unix_drop_client(cd);
	ev_out = event_new(cd->base, fd, EV_WRITE, chardev_out_cb, cd);
	if (!ev_out || chardev_watch_input(cd, fd) < 0) {
		if (ev_out)
			event_free(ev_out);
		cd->in_fd = -1;
		close(fd);
		return;
	}
	pthread_mutex_lock(&cd->lock);
	cd->out_fd = fd;
	cd->out_mode = OUT_SEND;
	cd->ev_out = ev_out;
	/* Replay the backlog: what the guest said while nobody listened. */
	if (cd->ring_len)
		event_add(ev_out, NULL);
	pthread_mutex_unlock(&cd->lock);
}

static int
chardev_open_unix(struct chardev *cd, char **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, e;

	if (util_strlcpy(sa.sun_path, cd->path, sizeof(sa.sun_path)) < 0) {
		*err = chardev_errf("chardev: unix=%s: path too long (at most "
				    "%zu bytes)", cd->path,
				    sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail_errno;
	if (lstat(cd->path, &st) == 0) {
		/* Remove a socket a dead monitor left behind, but never a
		 * live one or something that is not a socket at all. */
		if (!S_ISSOCK(st.st_mode)) {
			close(fd);
			*err = chardev_errf("chardev: unix=%s: exists and is "
					    "not a socket", cd->path);
			return -EEXIST;
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ||
		    errno == EAGAIN) {
			close(fd);
			*err = chardev_errf("chardev: unix=%s: another process "
					    "is listening there", cd->path);
			return -EADDRINUSE;
		}
		close(fd);
		unlink(cd->path);
		fd = socket(AF_UNIX,
			    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			goto fail_errno;
	}
	/* On Linux bind() takes the socket inode's mode: set 0600 before
	 * the path exists, so there is no window where others may connect
	 * (the console is a root shell as often as not). */
	if (fchmod(fd, 0600) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail_errno;
	if (chmod(cd->path, 0600) < 0 || listen(fd, 4) < 0) {
		e = errno;
		unlink(cd->path);
		errno = e;
		goto fail_errno;
	}
	cd->listen_fd = fd;
	cd->ev_listen = event_new(cd->base, fd, EV_READ | EV_PERSIST,
				  chardev_accept_cb, cd);
	if (!cd->ev_listen || event_add(cd->ev_listen, NULL) < 0) {
		*err = chardev_errf("chardev: unix=%s: cannot watch the "
				    "socket", cd->path);
		return -ENOMEM; /* chardev_close unlinks and closes */
	}
	return 0;
fail_errno:
	e = errno;
	if (fd >= 0)
		close(fd);
	*err = chardev_errf("chardev: unix=%s: %s", cd->path, strerror(e));
	return -e;
}

/* ---- file=PATH, pty, stdio ---- */

static int
chardev_open_file(struct chardev *cd, char **err)
{
	/* O_NONBLOCK so a FIFO without a reader fails instead of hanging. */
	int fd = open(cd->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
		      O_NOCTTY | O_NONBLOCK, 0640);
	int e = errno;

	if (fd < 0) {
		*err = chardev_errf("chardev: file=%s: %s", cd->path,
				    strerror(e));
		return -e;
	}
	cd->out_fd = fd;
	cd->out_mode = OUT_FILE;
	return 0;
}

static int
chardev_add_out_event(struct chardev *cd)
{
	if (!fd_pollable(cd->out_fd))
		return 0;
	cd->ev_out = event_new(cd->base, cd->out_fd, EV_WRITE,
			       chardev_out_cb, cd);
	return cd->ev_out ? 0 : -ENOMEM;
}

static int
chardev_open_pty(struct chardev *cd, char **err)
{
	char name[64];
	struct termios tio;
	int m, s = -1, e;

	m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0)
		goto fail_errno;
	if (grantpt(m) < 0 || unlockpt(m) < 0 ||
	    ptsname_r(m, name, sizeof(name)) != 0 ||
	    set_nonblock_cloexec(m) < 0)
		goto fail_errno;
	/* Holding the slave open keeps the master usable while no viewer
	 * is attached (otherwise reads fail with EIO and poll says HUP
	 * forever), and keeps the raw settings across viewers. */
	s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0 || tcgetattr(s, &tio) < 0)
		goto fail_errno;
	cfmakeraw(&tio);
	if (tcsetattr(s, TCSANOW, &tio) < 0)
		goto fail_errno;
	cd->path = strdup(name);
	if (!cd->path) {
		errno = ENOMEM;
		goto fail_errno;
	}
	cd->pty_slave_fd = s;
	cd->out_fd = m;
	cd->out_mode = OUT_NONBLOCK;
	if (chardev_add_out_event(cd) < 0 || chardev_watch_input(cd, m) < 0) {
		*err = chardev_errf("chardev: pty: out of memory");
		return -ENOMEM; /* chardev_close frees what is set */
	}
	log_info("serial: pty at %s", name);
	return 0;
fail_errno:
	e = errno;
	if (s >= 0)
		close(s);
	if (m >= 0)
		close(m);
	*err = chardev_errf("chardev: pty: %s", strerror(e));
	return -e;
}

/* Our own handle on stdout. Setting O_NONBLOCK on fd 1 itself would also
 * make stderr (and stdin, on a terminal) non-blocking for everyone else:
 * the log would lose lines. So reopen it where that is possible. */
static int
chardev_open_stdout(struct chardev *cd)
{
	struct stat st;
	int fd;

	if (fstat(STDOUT_FILENO, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode)) {
		fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
		cd->out_mode = OUT_FILE;
	} else if (S_ISSOCK(st.st_mode)) {
		fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
		cd->out_mode = OUT_SEND;
	} else {
		fd = open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK |
			  O_NOCTTY | O_CLOEXEC);
		cd->out_mode = OUT_NONBLOCK;
		if (fd < 0) {
			fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
			cd->out_mode = OUT_POLL;
		}
	}
	if (fd < 0)
		return -errno;
	cd->out_fd = fd;
	return chardev_add_out_event(cd);
}

static int
chardev_open_stdio(struct chardev *cd, char **err)
{
	static bool atexit_done;
	struct termios tio;
	int ret = -ENOMEM;

	cd->path = strdup("stdio");
	if (!cd->path || (ret = chardev_open_stdout(cd)) < 0) {
		ret = cd->path ? ret : -ENOMEM;
		*err = chardev_errf("chardev: stdio: %s", strerror(-ret));
		return ret;
	}
	if (isatty(STDIN_FILENO) && !chardev_tio_saved &&
	    tcgetattr(STDIN_FILENO, &chardev_saved_tio) == 0) {
		/* Raw input, like QEMU's -serial stdio: keys go to the guest
		 * as typed. ISIG stays so Ctrl-C still stops the monitor,
		 * and OPOST stays so our log lines on stderr keep their
		 * carriage returns. */
		tio = chardev_saved_tio;
		tio.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR |
				 IGNCR | ICRNL | IXON);
		tio.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN);
		tio.c_cc[VMIN] = 1;
		tio.c_cc[VTIME] = 0;
		if (tcsetattr(STDIN_FILENO, TCSANOW, &tio) == 0) {
			chardev_tio_saved = true;
			if (!atexit_done)
				atexit(chardev_restore_tty);
			atexit_done = true;
		}
	}
	/* stdin from /dev/null or a file (vmd starts us so) is no input. */
	if (!fd_pollable(STDIN_FILENO))
		return 0;
	if (chardev_watch_input(cd, STDIN_FILENO) < 0) {
		*err = chardev_errf("chardev: stdio: out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* ---- open / close ---- */

static int
chardev_parse(struct chardev *cd, const char *spec, char **err)
{
	static const char expected[] =
		"(expected stdio, file=PATH, unix=PATH or pty)";
	const char *arg = NULL;

	if (!strcmp(spec, "stdio")) {
		cd->type = CD_STDIO;
	} else if (!strcmp(spec, "pty")) {
		cd->type = CD_PTY;
	} else if (!strncmp(spec, "file=", 5)) {
		cd->type = CD_FILE;
		arg = spec + 5;
	} else if (!strncmp(spec, "unix=", 5)) {
		cd->type = CD_UNIX;
		arg = spec + 5;
	} else {
		*err = chardev_errf("chardev: unknown back-end '%s' %s", spec,
				    expected);
		return -EINVAL;
	}
	if (arg) {
		if (!*arg) {
			*err = chardev_errf("chardev: '%s' needs a path "
					    "%s", spec, expected);
			return -EINVAL;
		}
		cd->path = strdup(arg);
		if (!cd->path) {
			*err = chardev_errf("chardev: out of memory");
			return -ENOMEM;
		}
	}
	return 0;
}

struct chardev *
chardev_open(const char *spec, struct event_base *base, char **err)
{
	struct chardev *cd;
	int ret;

	*err = NULL;
	if (!spec)
		spec = "";
	cd = calloc(1, sizeof(*cd));
	if (!cd || !(cd->ring = malloc(CHARDEV_RING_SIZE))) {
		free(cd);
		*err = chardev_errf("chardev: out of memory");
		return NULL;
	}
	cd->base = base;
	cd->in_fd = cd->out_fd = cd->listen_fd = cd->pty_slave_fd = -1;
	pthread_mutex_init(&cd->lock, NULL);
	ret = chardev_parse(cd, spec, err);
	if (ret == 0) {
		cd->ev_resume = event_new(base, -1, 0, chardev_resume_cb, cd);
		if (!cd->ev_resume) {
			*err = chardev_errf("chardev: out of memory");
			ret = -ENOMEM;
		}
	}
	if (ret == 0) {
		switch (cd->type) {
		case CD_STDIO: ret = chardev_open_stdio(cd, err); break;
		case CD_FILE:  ret = chardev_open_file(cd, err); break;
		case CD_UNIX:  ret = chardev_open_unix(cd, err); break;
		case CD_PTY:   ret = chardev_open_pty(cd, err); break;
		}
	}
	if (ret < 0) {
		if (!*err)
			*err = chardev_errf("chardev: %s: %s", spec,
					    strerror(-ret));
		chardev_close(cd);
		return NULL;
	}
	return cd;
}

const char *
chardev_path(const struct chardev *cd)
{
	return cd ? cd->path : NULL;
}

void
chardev_close(struct chardev *cd)
{
	if (!cd)
		return;
	if (cd->type == CD_UNIX) {
		chardev_unix_drop_client(cd);
		if (cd->ev_listen)
			event_free(cd->ev_listen);
		if (cd->listen_fd >= 0) {
			close(cd->listen_fd);
			unlink(cd->path);
		}
	}
	if (cd->ev_in)
		event_free(cd->ev_in);
	if (cd->ev_out)
		event_free(cd->ev_out);
	if (cd->ev_resume)
		event_free(cd->ev_resume);
	if (cd->type == CD_STDIO)
		chardev_restore_tty();
	if (cd->out_fd >= 0)
		close(cd->out_fd);
	if (cd->pty_slave_fd >= 0)
		close(cd->pty_slave_fd);
	if (cd->out_dropped)
		log_debug("chardev %s: %llu bytes of output dropped",
			  cd->path ? cd->path : "?",
			  (unsigned long long)cd->out_dropped);
	pthread_mutex_destroy(&cd->lock);
	free(cd->ring);
	free(cd->path);
	free(cd);
}
