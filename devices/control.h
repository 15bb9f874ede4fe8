/* vmd-vm's control socket: JSON lines on a unix socket, one request per
 * line ({"cmd": "pause"}), one reply per line ({"ok": true} or
 * {"ok": false, "error": "..."}). This is how vmd drives a running VM.
 *   status     {"ok":true,"state":"running"|"paused","name":..,"cpus":..,
 *               "memory_mib":..,"pid":..,"accel":..}
 *   pause, resume, powerdown (ACPI power button), reset, quit */
#ifndef VMD_DEVICES_CONTROL_H
#define VMD_DEVICES_CONTROL_H

struct vm;
struct vm_config;
struct control;

struct control *control_create(struct vm *vm, const struct vm_config *cfg,
			       const char *path, char *err, unsigned errlen);
void control_destroy(struct control *c);

#endif
