/* libspice-server's core interface (timers, fd watches, channel events)
 * on vmd-vm's libevent loop. libspice calls these from the thread that
 * called spice_server_init() (the main thread), its workers keep their
 * own GLib loops. */
#ifndef VMD_DEVICES_SPICE_LOOP_H
#define VMD_DEVICES_SPICE_LOOP_H

#include <spice.h>

struct event_base;

/* Channel events arrive on the main thread (libspice's main dispatcher
 * forwards them there from its workers). */
typedef void (*spice_loop_channel_fn)(void *opaque, int event,
				      const SpiceChannelEventInfo *info);

/* The one core interface of the process (libspice's callbacks carry no
 * context of their own), bound to base. */
SpiceCoreInterface *spice_loop_core(struct event_base *base,
				    spice_loop_channel_fn on_channel,
				    void *opaque);

#endif
