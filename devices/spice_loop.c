#include "spice_loop.h"

#include <event2/event.h>
#include <stdlib.h>
#include <sys/time.h>

#include "log.h"

static struct event_base *spice_loop_base;
static spice_loop_channel_fn spice_loop_on_channel;
static void *spice_loop_opaque;

struct SpiceTimer {
	struct event *ev;
	SpiceTimerFunc func;
	void *opaque;
};

struct SpiceWatch {
	struct event *ev;
	int fd;
	SpiceWatchFunc func;
	void *opaque;
};

static void
spice_loop_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	SpiceTimer *t = arg;

	(void)fd;
	(void)what;
	t->func(t->opaque);
}

static SpiceTimer *
spice_loop_timer_add(SpiceTimerFunc func, void *opaque)
{
	SpiceTimer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->func = func;
	t->opaque = opaque;
	t->ev = evtimer_new(spice_loop_base, spice_loop_timer_cb, t);
	if (!t->ev) {
		free(t);
		return NULL;
	}
	return t;
}

static void
spice_loop_timer_start(SpiceTimer *t, uint32_t ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (ms % 1000) * 1000 };

	evtimer_add(t->ev, &tv);
}

static void
spice_loop_timer_cancel(SpiceTimer *t)
{
	evtimer_del(t->ev);
}

static void
spice_loop_timer_remove(SpiceTimer *t)
{
	if (!t)
		return;
	event_free(t->ev);
	free(t);
}

static void
spice_loop_watch_cb(evutil_socket_t fd, short what, void *arg)
{
	SpiceWatch *w = arg;
	int mask = 0;

	if (what & EV_READ)
		mask |= SPICE_WATCH_EVENT_READ;
	if (what & EV_WRITE)
		mask |= SPICE_WATCH_EVENT_WRITE;
	w->func((int)fd, mask, w->opaque);
}

/* A watch is one persistent event whose read/write interest is replaced
 * as a whole when libspice changes its mask (often: on every write that
 * would block), so it is re-assigned in place rather than reallocated. */
static void
spice_loop_watch_update_mask(SpiceWatch *w, int mask)
{
	short what = EV_PERSIST;

	event_del(w->ev);
	if (mask & SPICE_WATCH_EVENT_READ)
		what |= EV_READ;
	if (mask & SPICE_WATCH_EVENT_WRITE)
		what |= EV_WRITE;
	event_assign(w->ev, spice_loop_base, w->fd, what, spice_loop_watch_cb, w);
	if (what != EV_PERSIST && event_add(w->ev, NULL))
		log_warn("spice: cannot watch fd %d", w->fd);
}

static SpiceWatch *
spice_loop_watch_add(int fd, int mask, SpiceWatchFunc func, void *opaque)
{
	SpiceWatch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->fd = fd;
	w->func = func;
	w->opaque = opaque;
	w->ev = event_new(spice_loop_base, fd, EV_PERSIST, spice_loop_watch_cb, w);
	if (!w->ev) {
		free(w);
		return NULL;
	}
	spice_loop_watch_update_mask(w, mask);
	return w;
}

static void
spice_loop_watch_remove(SpiceWatch *w)
{
	if (!w)
		return;
	event_free(w->ev);
	free(w);
}

static void
spice_loop_channel_event(int event, SpiceChannelEventInfo *info)
{
	if (spice_loop_on_channel)
		spice_loop_on_channel(spice_loop_opaque, event, info);
}

static SpiceCoreInterface spice_loop_iface = {
	.base = {
		.type = SPICE_INTERFACE_CORE,
		.description = "vmd-vm libevent loop",
		.major_version = SPICE_INTERFACE_CORE_MAJOR,
		.minor_version = SPICE_INTERFACE_CORE_MINOR,
	},
	.timer_add = spice_loop_timer_add,
	.timer_start = spice_loop_timer_start,
	.timer_cancel = spice_loop_timer_cancel,
	.timer_remove = spice_loop_timer_remove,
	.watch_add = spice_loop_watch_add,
	.watch_update_mask = spice_loop_watch_update_mask,
	.watch_remove = spice_loop_watch_remove,
	.channel_event = spice_loop_channel_event,
};

SpiceCoreInterface *
spice_loop_core(struct event_base *base, spice_loop_channel_fn on_channel,
		void *opaque)
{
	spice_loop_base = base;
	spice_loop_on_channel = on_channel;
	spice_loop_opaque = opaque;
	return &spice_loop_iface;
}
