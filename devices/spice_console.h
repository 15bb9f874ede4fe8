/* vmd-vm's SPICE server (libspice-server): listening socket, ticketing,
 * the display (devices/spice_display.c) and the keyboard and tablet
 * (devices/spice_input.c). Runs on the main thread's libevent loop;
 * libspice adds its own worker thread for the display, and nothing here
 * runs on, or waits for, a vCPU thread. */
#ifndef VMD_DEVICES_SPICE_CONSOLE_H
#define VMD_DEVICES_SPICE_CONSOLE_H

struct event_base;
struct vm_spice_config;
struct bochs_vga;
struct virtio_dev;
struct spice_console;

/* vga, keyboard and tablet may be NULL (nothing to show, no input). On
 * failure returns NULL with a message naming the cause in err. */
struct spice_console *spice_console_create(struct event_base *base,
					   const struct vm_spice_config *cfg,
					   const char *name,
					   struct bochs_vga *vga,
					   struct virtio_dev *keyboard,
					   struct virtio_dev *tablet,
					   char *err, unsigned errlen);
/* Before the devices it shows or feeds go away. */
void spice_console_destroy(struct spice_console *c);

#endif
