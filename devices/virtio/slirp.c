/* libslirp on libevent. libslirp wants a poll() loop: before sleeping it
 * lists its sockets (slirp_pollfds_fill), after waking it reads the
 * results (slirp_pollfds_poll). Here each listed socket becomes a one-shot
 * libevent event; when any fires (or slirp's timeout runs out) all are
 * polled at once without waiting, handed to slirp, and listed afresh. */
#include "virtio/slirp.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <event2/event.h>
#include <poll.h>
#include <slirp/libslirp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "log.h"
#include "options.h"
#include "util.h"

/* libslirp (and the glib it drags in) is loaded only when a VM asks for
 * user-mode networking: a monitor without it stays about 1 MiB smaller and
 * starts faster. */
static struct {
	__typeof__(slirp_new) *new;
	__typeof__(slirp_cleanup) *cleanup;
	__typeof__(slirp_input) *input;
	__typeof__(slirp_add_hostfwd) *add_hostfwd;
	__typeof__(slirp_pollfds_fill) *pollfds_fill;
	__typeof__(slirp_pollfds_poll) *pollfds_poll;
} libslirp;

static int
net_slirp_load(char *err, unsigned errlen)
{
	void *h;

	if (libslirp.new)
		return 0;
	h = dlopen("libslirp.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(err, errlen,
			 "--net user: cannot load libslirp (install libslirp0): %s",
			 dlerror());
		return -ENOENT;
	}
	libslirp.cleanup = (__typeof__(libslirp.cleanup))dlsym(h, "slirp_cleanup");
	libslirp.input = (__typeof__(libslirp.input))dlsym(h, "slirp_input");
	libslirp.add_hostfwd = (__typeof__(libslirp.add_hostfwd))dlsym(h, "slirp_add_hostfwd");
	libslirp.pollfds_fill = (__typeof__(libslirp.pollfds_fill))dlsym(h, "slirp_pollfds_fill");
	libslirp.pollfds_poll = (__typeof__(libslirp.pollfds_poll))dlsym(h, "slirp_pollfds_poll");
	libslirp.new = (__typeof__(libslirp.new))dlsym(h, "slirp_new");
	if (!libslirp.new || !libslirp.cleanup || !libslirp.input ||
	    !libslirp.add_hostfwd || !libslirp.pollfds_fill ||
	    !libslirp.pollfds_poll) {
		snprintf(err, errlen, "--net user: libslirp lacks a function we need");
		libslirp.new = NULL;
		return -ENOSYS;
	}
	return 0;
}

#define NET_SLIRP_GUEST_IP "10.0.2.15"

struct net_slirp {
	Slirp *slirp;
	struct event_base *base;
	net_slirp_rx_fn rx;
	void *opaque;
	struct pollfd *pfd;
	struct event **ev;
	unsigned npfd, cap;
	struct event *timeout_ev;
	struct event *refresh_ev;
	bool polling; /* inside net_slirp_poll: refresh at its end only */
};

struct net_slirp_timer {
	struct net_slirp *s;
	struct event *ev;
	SlirpTimerCb cb;
	void *cb_opaque;
};

static void net_slirp_refresh(struct net_slirp *s);

static int
net_slirp_add_poll(int fd, int events, void *opaque)
{
	struct net_slirp *s = opaque;
	short e = 0;

	if (s->npfd == s->cap) {
		unsigned cap = s->cap ? s->cap * 2 : 16;
		struct pollfd *p = realloc(s->pfd, cap * sizeof(*p));
		struct event **ev = p ? realloc(s->ev, cap * sizeof(*ev)) : NULL;

		if (p)
			s->pfd = p;
		if (!p || !ev)
			return -1;
		s->ev = ev;
		s->cap = cap;
	}
	if (events & SLIRP_POLL_IN)
		e |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		e |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		e |= POLLPRI;
	s->pfd[s->npfd] = (struct pollfd){ .fd = fd, .events = e };
	s->ev[s->npfd] = NULL;
	return (int)s->npfd++;
}

static int
net_slirp_get_revents(int idx, void *opaque)
{
	struct net_slirp *s = opaque;
	short r;
	int out = 0;

	if (idx < 0 || (unsigned)idx >= s->npfd)
		return 0;
	r = s->pfd[idx].revents;
	if (r & POLLIN)
		out |= SLIRP_POLL_IN;
	if (r & POLLOUT)
		out |= SLIRP_POLL_OUT;
	if (r & POLLPRI)
		out |= SLIRP_POLL_PRI;
	if (r & POLLERR)
		out |= SLIRP_POLL_ERR;
	if (r & POLLHUP)
		out |= SLIRP_POLL_HUP;
	return out;
}

static void
net_slirp_poll(struct net_slirp *s)
{
	int n = s->npfd ? poll(s->pfd, s->npfd, 0) : 0;

	s->polling = true;
	libslirp.pollfds_poll(s->slirp, n < 0, net_slirp_get_revents, s);
	s->polling = false;
	net_slirp_refresh(s);
}

static void
net_slirp_event_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	net_slirp_poll(arg);
}

static void
net_slirp_refresh(struct net_slirp *s)
{
	uint32_t timeout = UINT32_MAX;
	unsigned i;

	if (s->polling)
		return;
	for (i = 0; i < s->npfd; i++)
		if (s->ev[i])
			event_free(s->ev[i]);
	s->npfd = 0;
	libslirp.pollfds_fill(s->slirp, &timeout, net_slirp_add_poll, s);
	for (i = 0; i < s->npfd; i++) {
		short what = 0;

		if (s->pfd[i].events & (POLLIN | POLLPRI))
			what |= EV_READ;
		if (s->pfd[i].events & POLLOUT)
			what |= EV_WRITE;
		if (!what)
			continue;
		s->ev[i] = event_new(s->base, s->pfd[i].fd, what,
				     net_slirp_event_cb, s);
		if (s->ev[i])
			event_add(s->ev[i], NULL);
	}
	event_del(s->timeout_ev);
	if (timeout != UINT32_MAX) {
		struct timeval tv = { .tv_sec = timeout / 1000,
				      .tv_usec = (timeout % 1000) * 1000 };

		event_add(s->timeout_ev, &tv);
	}
}

static ssize_t
net_slirp_send_packet(const void *buf, size_t len, void *opaque)
{
	struct net_slirp *s = opaque;

	s->rx(s->opaque, buf, len);
	return (ssize_t)len;
}

static void
net_slirp_guest_error(const char *msg, void *opaque)
{
	(void)opaque;
	log_once(LOG_LVL_WARN, "slirp: guest error: %s", msg);
}

static int64_t
net_slirp_clock_ns(void *opaque)
{
	(void)opaque;
	return (int64_t)util_now_ns();
}

static void
net_slirp_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net_slirp_timer *t = arg;

	(void)fd;
	(void)what;
	t->cb(t->cb_opaque);
	net_slirp_refresh(t->s);
}

static void *
net_slirp_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct net_slirp_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->s = opaque;
	t->cb = cb;
	t->cb_opaque = cb_opaque;
	t->ev = evtimer_new(t->s->base, net_slirp_timer_cb, t);
	if (!t->ev) {
		free(t);
		return NULL;
	}
	return t;
}

static void
net_slirp_timer_free(void *timer, void *opaque)
{
	struct net_slirp_timer *t = timer;

	(void)opaque;
	if (!t)
		return;
	event_free(t->ev);
	free(t);
}

/* expire is in ms on the clock_get_ns clock. */
static void
net_slirp_timer_mod(void *timer, int64_t expire, void *opaque)
{
	struct net_slirp_timer *t = timer;
	int64_t now = (int64_t)(util_now_ns() / 1000000), d = expire - now;
	struct timeval tv;

	(void)opaque;
	if (!t)
		return;
	if (d < 0)
		d = 0;
	tv.tv_sec = d / 1000;
	tv.tv_usec = (d % 1000) * 1000;
	evtimer_add(t->ev, &tv);
}

static void
net_slirp_register_poll_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

static void
net_slirp_notify(void *opaque)
{
	struct net_slirp *s = opaque;

	event_active(s->refresh_ev, EV_READ, 0);
}

static void
net_slirp_refresh_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	net_slirp_refresh(arg);
}

static const SlirpCb net_slirp_cb = {
	.send_packet = net_slirp_send_packet,
	.guest_error = net_slirp_guest_error,
	.clock_get_ns = net_slirp_clock_ns,
	.timer_new = net_slirp_timer_new,
	.timer_free = net_slirp_timer_free,
	.timer_mod = net_slirp_timer_mod,
	.register_poll_fd = net_slirp_register_poll_fd,
	.unregister_poll_fd = net_slirp_register_poll_fd,
	.notify = net_slirp_notify,
};

struct net_slirp *
net_slirp_create(struct event_base *base, const struct vm_net_config *cfg,
		 net_slirp_rx_fn rx, void *opaque, char *err, unsigned errlen)
{
	struct net_slirp *s;
	SlirpConfig sc = { 0 };
	struct in_addr guest;
	unsigned i;

	if (net_slirp_load(err, errlen))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "--net user: %s", strerror(ENOMEM));
		return NULL;
	}
	s->base = base;
	s->rx = rx;
	s->opaque = opaque;
	s->timeout_ev = evtimer_new(base, net_slirp_event_cb, s);
	s->refresh_ev = event_new(base, -1, 0, net_slirp_refresh_cb, s);
	/* QEMU's defaults, which guests and people know. */
	sc.version = 1;
	sc.in_enabled = true;
	inet_pton(AF_INET, "10.0.2.0", &sc.vnetwork);
	inet_pton(AF_INET, "255.255.255.0", &sc.vnetmask);
	inet_pton(AF_INET, "10.0.2.2", &sc.vhost);
	inet_pton(AF_INET, NET_SLIRP_GUEST_IP, &sc.vdhcp_start);
	inet_pton(AF_INET, "10.0.2.3", &sc.vnameserver);
	sc.vhostname = "vmd-guest";
	if (s->timeout_ev && s->refresh_ev)
		s->slirp = libslirp.new(&sc, &net_slirp_cb, s);
	if (!s->slirp) {
		snprintf(err, errlen, "--net user: cannot start libslirp");
		net_slirp_destroy(s);
		return NULL;
	}
	inet_pton(AF_INET, NET_SLIRP_GUEST_IP, &guest);
	for (i = 0; i < cfg->nfwd; i++) {
		struct in_addr host = { cfg->fwd[i].host_addr };

		if (libslirp.add_hostfwd(s->slirp, 0, host, cfg->fwd[i].host_port,
				      guest, cfg->fwd[i].guest_port) < 0) {
			snprintf(err, errlen,
				 "--net user: hostfwd tcp:%u-:%u: cannot listen on host port %u",
				 cfg->fwd[i].host_port, cfg->fwd[i].guest_port,
				 cfg->fwd[i].host_port);
			net_slirp_destroy(s);
			return NULL;
		}
	}
	net_slirp_refresh(s);
	return s;
}

void
net_slirp_input(struct net_slirp *s, const uint8_t *frame, size_t len)
{
	libslirp.input(s->slirp, frame, (int)len);
	net_slirp_refresh(s);
}

void
net_slirp_destroy(struct net_slirp *s)
{
	unsigned i;

	if (!s)
		return;
	for (i = 0; i < s->npfd; i++)
		if (s->ev[i])
			event_free(s->ev[i]);
	if (s->slirp)
		libslirp.cleanup(s->slirp);
	if (s->timeout_ev)
		event_free(s->timeout_ev);
	if (s->refresh_ev)
		event_free(s->refresh_ev);
	free(s->pfd);
	free(s->ev);
	free(s);
}
