/* Character back-ends for the serial port and consoles:
 *   stdio        the monitor's stdin/stdout (raw mode when stdin is a tty)
 *   file=PATH    output appended to PATH, no input
 *   unix=PATH    a listening unix socket; one client at a time is the
 *                console (later clients replace the earlier one); output is
 *                dropped while nobody is connected, never blocks the guest
 *   pty          a new pseudo-terminal; its path is logged and returned by
 *                chardev_path()
 * All input is read on the I/O thread (the libevent base); output may be
 * written from any thread. */
#ifndef VMD_DEVICES_CHARDEV_H
#define VMD_DEVICES_CHARDEV_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct chardev;

/* The front-end (device) takes up to len bytes and returns how many it
 * took. When it takes fewer, the chardev stops reading its fd until the
 * device calls chardev_accept_input() again: no byte is lost. */
typedef size_t (*chardev_input_fn)(void *opaque, const uint8_t *buf,
				   size_t len);

/* Parses spec; on error returns NULL and sets *err to a malloc'd one-line
 * message naming what is wrong (the caller frees it). */
struct chardev *chardev_open(const char *spec, struct event_base *base,
			     char **err);
void chardev_set_input(struct chardev *cd, chardev_input_fn fn, void *opaque);
/* The front-end has room again: resume reading (thread-safe). */
void chardev_accept_input(struct chardev *cd);
/* Never blocks for long: output that cannot be written is dropped. */
void chardev_write(struct chardev *cd, const void *buf, size_t len);
/* pty: the slave path; unix/file: the path; stdio: "stdio". */
const char *chardev_path(const struct chardev *cd);
void chardev_close(struct chardev *cd);

#endif
