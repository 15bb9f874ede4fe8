#include "spice_console.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <spice.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "options.h"
#include "spice_display.h"
#include "spice_input.h"
#include "spice_loop.h"

#define SPICE_CONSOLE_MAX_DISPLAYS 16

struct spice_console {
	SpiceServer *server;
	struct spice_display *display;
	struct spice_input *input;
	/* Display channels that completed their link (by connection id):
	 * the display runs at full rate while there is one. */
	int display_conn[SPICE_CONSOLE_MAX_DISPLAYS];
	unsigned ndisplay;
};

static void
spice_console_channel_event(void *opaque, int event,
			    const SpiceChannelEventInfo *info)
{
	struct spice_console *c = opaque;
	unsigned i;

	if (info->type == SPICE_CHANNEL_MAIN)
		log_info("spice: client %s (connection %u)",
			 event == SPICE_CHANNEL_EVENT_INITIALIZED ? "connected" :
			 event == SPICE_CHANNEL_EVENT_DISCONNECTED ?
			 "disconnected" : "linking", (unsigned)info->connection_id);
	if (info->type != SPICE_CHANNEL_DISPLAY || !c->display)
		return;
	for (i = 0; i < c->ndisplay; i++)
		if (c->display_conn[i] == info->connection_id)
			break;
	if (event == SPICE_CHANNEL_EVENT_INITIALIZED && i == c->ndisplay &&
	    c->ndisplay < SPICE_CONSOLE_MAX_DISPLAYS) {
		c->display_conn[c->ndisplay++] = info->connection_id;
		spice_display_client(c->display, true);
	} else if (event == SPICE_CHANNEL_EVENT_DISCONNECTED && i < c->ndisplay) {
		c->display_conn[i] = c->display_conn[--c->ndisplay];
		spice_display_client(c->display, false);
	}
}

/* libspice only says it could not listen; find out why, the way it
 * tried, so the message names the cause (port taken, no such address). */
static void
spice_console_listen_error(const struct vm_spice_config *cfg, char *err,
			   unsigned errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE }, *ai = NULL;
	char port[8];
	int fd, one = 1, ret, e = 0;

	if (cfg->unix_path[0]) {
		snprintf(err, errlen,
			 "--spice: cannot listen on unix socket %s (does its folder exist and can we write there?)",
			 cfg->unix_path);
		return;
	}
	snprintf(port, sizeof(port), "%u", cfg->port);
	ret = getaddrinfo(cfg->addr, port, &hints, &ai);
	if (ret) {
		snprintf(err, errlen, "--spice: address %s: %s", cfg->addr,
			 gai_strerror(ret));
		return;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen))
			e = errno;
		close(fd);
	} else {
		e = errno;
	}
	freeaddrinfo(ai);
	if (e == EADDRINUSE)
		snprintf(err, errlen,
			 "--spice: port %u on %s is in use (another VM or program listens there)",
			 cfg->port, cfg->addr);
	else if (e)
		snprintf(err, errlen, "--spice: cannot listen on %s port %u: %s",
			 cfg->addr, cfg->port, strerror(e));
	else
		snprintf(err, errlen,
			 "--spice: the SPICE server could not start on %s port %u",
			 cfg->addr, cfg->port);
}

struct spice_console *
spice_console_create(struct event_base *base, const struct vm_spice_config *cfg,
		     const char *name, struct bochs_vga *vga,
		     struct virtio_dev *keyboard, struct virtio_dev *tablet,
		     char *err, unsigned errlen)
{
	struct spice_console *c;
	SpiceCoreInterface *core;

	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "spice: out of memory");
		return NULL;
	}
	c->server = spice_server_new();
	if (!c->server) {
		snprintf(err, errlen, "spice: cannot create the server");
		free(c);
		return NULL;
	}
	if (cfg->unix_path[0]) {
		spice_server_set_addr(c->server, cfg->unix_path,
				      SPICE_ADDR_FLAG_UNIX_ONLY);
	} else {
		spice_server_set_addr(c->server, cfg->addr, 0);
		spice_server_set_port(c->server, cfg->port);
	}
	if (cfg->password[0]) {
		spice_server_set_ticket(c->server, cfg->password, 0, 0, 0);
	} else {
		spice_server_set_noauth(c->server);
		if (!cfg->disable_ticketing && !cfg->unix_path[0] &&
		    strcmp(cfg->addr, "127.0.0.1") && strcmp(cfg->addr, "::1") &&
		    strcmp(cfg->addr, "localhost"))
			log_warn("spice: no password: anyone who reaches %s port %u gets the console (set one, or say disable-ticketing)",
				 cfg->addr, cfg->port);
	}
	spice_server_set_name(c->server, name);
	/* A text console scrolls: not a video to re-encode lossily. */
	spice_server_set_streaming_video(c->server, SPICE_STREAM_VIDEO_OFF);
	spice_server_set_agent_mouse(c->server, 0);

	core = spice_loop_core(base, spice_console_channel_event, c);
	if (spice_server_init(c->server, core)) {
		spice_console_listen_error(cfg, err, errlen);
		/* A server that failed to init cannot be torn down safely;
		 * the process is about to exit anyway. */
		free(c);
		return NULL;
	}
	if (vga) {
		c->display = spice_display_create(c->server, base, vga, err,
						  errlen);
		if (!c->display) {
			spice_console_destroy(c);
			return NULL;
		}
	}
	if (keyboard || tablet) {
		c->input = spice_input_create(c->server, keyboard, tablet, err,
					      errlen);
		if (!c->input) {
			spice_console_destroy(c);
			return NULL;
		}
	}
	spice_server_vm_start(c->server);
	if (cfg->unix_path[0])
		log_info("spice: listening on unix socket %s%s", cfg->unix_path,
			 cfg->password[0] ? " (password required)" : "");
	else
		log_info("spice: listening on %s port %u%s", cfg->addr,
			 cfg->port,
			 cfg->password[0] ? " (password required)" : "");
	return c;
}

void
spice_console_destroy(struct spice_console *c)
{
	if (!c)
		return;
	spice_server_vm_stop(c->server);
	spice_input_destroy(c->input);
	/* Stops the display worker, which releases what it still holds,
	 * before the display's memory goes. */
	spice_server_destroy(c->server);
	spice_display_destroy(c->display);
	free(c);
}
