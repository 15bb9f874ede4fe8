/* The guest's framebuffer (devices/bochs_vga.c) as a SPICE display: a QXL
 * interface in the "simple display" style. The device has no drawing
 * commands of its own, so the monitor finds what changed (tiles compared
 * with what it last sent) and sends those rectangles as image draws. */
#ifndef VMD_DEVICES_SPICE_DISPLAY_H
#define VMD_DEVICES_SPICE_DISPLAY_H

#include <stdbool.h>
#include <spice.h>

struct event_base;
struct bochs_vga;
struct spice_display;

/* Adds the QXL interface to server (after spice_server_init()). Main
 * thread, like every call here. */
struct spice_display *spice_display_create(SpiceServer *server,
					   struct event_base *base,
					   struct bochs_vga *vga, char *err,
					   unsigned errlen);
/* A display client came (the next update is the whole screen) or went. */
void spice_display_client(struct spice_display *d, bool connected);
/* After spice_server_destroy() (its worker may release updates until
 * then). */
void spice_display_destroy(struct spice_display *d);

#endif
