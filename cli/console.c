/* `vmctl console`: attach the terminal (or a script's stdin/stdout) to a
 * domain's serial console socket.
 *
 * On a tty the terminal goes raw so every key reaches the guest, Ctrl-]
 * detaches, and the saved settings are put back on every way out, signals
 * included: a client that leaves a terminal raw is worse than no client.
 * Without a tty the bytes are copied both ways and the session ends when
 * the console closes, when --until TEXT is seen, at --timeout, or, with
 * neither option, once stdin is at EOF and the console has been quiet for
 * a moment (so `echo cmd | vmctl console NAME` prints the answer and
 * returns). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "vmctl.h"

#define VMCTL_ESCAPE_CHAR 0x1d	/* Ctrl-], as virsh and telnet */

volatile sig_atomic_t vmctl_stop_signal;

static const int vmctl_caught_signals[] = { SIGINT, SIGTERM, SIGHUP };
static struct sigaction vmctl_saved_actions[ARRAY_SIZE(vmctl_caught_signals)];

static void
vmctl_on_signal(int sig)
{
	vmctl_stop_signal = sig;
}

/* No SA_RESTART: the signal must break poll() so the loop can clean up. */
void
vmctl_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = vmctl_on_signal };
	size_t i;

	sigemptyset(&sa.sa_mask);
	vmctl_stop_signal = 0;
	for (i = 0; i < ARRAY_SIZE(vmctl_caught_signals); i++)
		sigaction(vmctl_caught_signals[i], &sa,
			  &vmctl_saved_actions[i]);
}

void
vmctl_restore_signals(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vmctl_caught_signals); i++)
		sigaction(vmctl_caught_signals[i], &vmctl_saved_actions[i],
			  NULL);
}

int
vmctl_match_init(struct vmctl_match *m, const char *text)
{
	memset(m, 0, sizeof(*m));
	if (!text)
		return 0;
	m->text = text;
	m->text_len = strlen(text);
	m->window = malloc(m->text_len ? m->text_len * 2 : 1);
	return m->window ? 0 : -ENOMEM;
}

void
vmctl_match_free(struct vmctl_match *m)
{
	free(m->window);
	m->window = NULL;
}

/* Has text appeared in everything fed so far? The window keeps the last
 * text_len - 1 bytes so a match split across two reads is still found. */
bool
vmctl_match_feed(struct vmctl_match *m, const char *buf, size_t len)
{
	size_t keep, head;

	if (!m->text || !m->text_len)
		return false;
	keep = m->text_len - 1;
	head = MIN(len, keep);
	memcpy(m->window + m->window_len, buf, head);
	if (memmem(m->window, m->window_len + head, m->text, m->text_len) ||
	    memmem(buf, len, m->text, m->text_len))
		return true;
	if (len >= keep) {
		memcpy(m->window, buf + len - keep, keep);
		m->window_len = keep;
	} else {
		size_t total = m->window_len + len;
		size_t drop = total > keep ? total - keep : 0;

		memmove(m->window, m->window + drop, total - drop);
		m->window_len = total - drop;
	}
	return false;
}

struct vmctl_console {
	const struct vmctl_console_opts *o;
	int sock;
	bool tty;
	bool stdin_eof;
	bool done;
	int result;
	uint64_t deadline_ns;	/* 0: none */
	uint64_t last_output_ns;
	struct vmctl_match match;
};

/* Console bytes to stdout; true when the session should end. */
static bool
vmctl_console_output(struct vmctl_console *c)
{
	char buf[65536];
	ssize_t n = read(c->sock, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return false;
	if (n <= 0) {
		/* The console closed: success unless we were waiting for
		 * text that now can never come. */
		if (c->o->until) {
			log_error("console closed before '%s' appeared",
				  c->o->until);
			c->result = -ECONNRESET;
		}
		return true;
	}
	c->last_output_ns = util_now_ns();
	/* A closed stdout (`| head`) ends the session quietly. */
	if (util_write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
		return true;
	return vmctl_match_feed(&c->match, buf, (size_t)n);
}

/* stdin to the console; true when the session should end. */
static bool
vmctl_console_input(struct vmctl_console *c)
{
	char buf[4096], *esc;
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
	bool detach = false;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return false;
	if (n <= 0) {
		c->stdin_eof = true;
		return false;
	}
	if (c->tty && (esc = memchr(buf, VMCTL_ESCAPE_CHAR, (size_t)n))) {
		n = esc - buf;
		detach = true;
	}
	if (n > 0 && util_write_all(c->sock, buf, (size_t)n) < 0) {
		log_error("console: %s", strerror(errno));
		c->result = -EIO;
		return true;
	}
	return detach;
}

/* The poll timeout, or the end of the session when one is due now. */
static int
vmctl_console_wait_ms(struct vmctl_console *c)
{
	uint64_t now = util_now_ns(), until = UINT64_MAX;
	bool idle_rule = c->stdin_eof && !c->tty && c->o->idle_ms;

	if (c->deadline_ns)
		until = c->deadline_ns;
	if (idle_rule)
		until = MIN(until, c->last_output_ns +
			    (uint64_t)c->o->idle_ms * 1000000u);
	if (until == UINT64_MAX)
		return -1;
	if (now < until)
		return (int)MIN((until - now + 999999) / 1000000,
				(uint64_t)INT32_MAX);
	c->done = true;
	if (c->deadline_ns && now >= c->deadline_ns && c->o->until) {
		log_error("console: '%s' did not appear within %u s",
			  c->o->until, c->o->timeout_ms / 1000);
		c->result = -ETIMEDOUT;
	}
	return 0;
}

static void
vmctl_console_loop(struct vmctl_console *c)
{
	while (!c->done) {
		struct pollfd pfd[2] = {
			{ .fd = c->sock, .events = POLLIN },
			{ .fd = c->stdin_eof ? -1 : STDIN_FILENO,
			  .events = POLLIN },
		};
		int timeout = vmctl_console_wait_ms(c);
		int n;

		if (c->done)
			break;
		n = poll(pfd, 2, timeout);
		if (vmctl_stop_signal) {
			if (c->o->until) {
				log_error("console: interrupted before '%s' "
					  "appeared", c->o->until);
				c->result = -EINTR;
			}
			break;
		}
		if (n < 0 && errno != EINTR) {
			c->result = -errno;
			log_error("console: %s", strerror(errno));
			break;
		}
		if (n <= 0)
			continue;
		if (pfd[0].revents && vmctl_console_output(c))
			break;
		if (pfd[1].revents && vmctl_console_input(c))
			break;
	}
}

int
vmctl_console_attach(const char *path, const struct vmctl_console_opts *o)
{
	struct vmctl_console c = { .o = o, .tty = isatty(STDIN_FILENO) };
	struct termios saved, raw;
	bool raw_set = false;

	c.sock = vmctl_unix_connect(path);
	if (c.sock < 0) {
		log_error("cannot connect to the console of %s at %s: %s",
			  o->name, path, strerror(-c.sock));
		return c.sock;
	}
	if (vmctl_match_init(&c.match, o->until) < 0) {
		close(c.sock);
		return -ENOMEM;
	}
	c.last_output_ns = util_now_ns();
	if (o->timeout_ms)
		c.deadline_ns = c.last_output_ns +
				(uint64_t)o->timeout_ms * 1000000u;
	if (c.tty && tcgetattr(STDIN_FILENO, &saved) < 0)
		c.tty = false;
	if (c.tty) {
		printf("Connected to domain %s\nEscape character is ^]\n",
		       o->name);
		fflush(stdout);
		raw = saved;
		cfmakeraw(&raw);
		raw_set = tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0;
	}
	vmctl_catch_signals();
	vmctl_console_loop(&c);
	vmctl_restore_signals();
	if (raw_set) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
		/* The guest's last line may lack one; the shell prompt
		 * should not land after it. */
		fputc('\n', stdout);
		fflush(stdout);
	}
	vmctl_match_free(&c.match);
	close(c.sock);
	return c.result;
}
