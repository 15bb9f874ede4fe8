/* vmd-vm's command line: parsed into a vm_config, nothing else. Kept apart
 * from main() so unit tests can feed it bad arguments. */
#ifndef VMD_DEVICES_OPTIONS_H
#define VMD_DEVICES_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define VM_MAX_CPUS 64
#define VM_MIN_MEMORY (16ull << 20)
#define VM_MAX_MEMORY (1ull << 40)

#define VM_MAX_DISKS 8
#define VM_MAX_HOSTFWD 8
#define VM_DISK_SERIAL_LEN 20 /* VIRTIO_BLK_ID_BYTES */

enum vm_on_reboot { VM_ON_REBOOT_RESTART, VM_ON_REBOOT_EXIT };
enum vm_disk_cache { VM_DISK_CACHE_WRITEBACK, VM_DISK_CACHE_NONE };
enum vm_net_mode { VM_NET_NONE, VM_NET_USER, VM_NET_TAP };

/* --disk PATH[,readonly][,cache=none|writeback][,serial=S] */
struct vm_disk_config {
	char path[4096];
	bool readonly;
	enum vm_disk_cache cache;
	char serial[VM_DISK_SERIAL_LEN + 1];
};

/* --net user[,hostfwd=tcp:[ADDR:]HOSTPORT-:GUESTPORT]... | tap=NAME */
struct vm_net_config {
	enum vm_net_mode mode;
	char tap[16]; /* IFNAMSIZ */
	struct {
		uint32_t host_addr; /* network order; 127.0.0.1 by default */
		uint16_t host_port, guest_port;
	} fwd[VM_MAX_HOSTFWD];
	unsigned nfwd;
	uint8_t mac[6];
	bool mac_set;
};

/* --spice port=N[,addr=A][,password=P][,password-file=PATH]
 *         [,unix=PATH][,disable-ticketing] */
#define VM_SPICE_PASSWORD_MAX 256
struct vm_spice_config {
	bool enabled;
	uint16_t port;        /* TCP port, or 0 with unix_path */
	char addr[256];       /* default 127.0.0.1 */
	char unix_path[108];  /* sun_path */
	char password[VM_SPICE_PASSWORD_MAX]; /* "": no ticketing */
	bool disable_ticketing;
};

/* --vga: the display adapter. Default: bochs with --spice, else none. */
enum vm_vga { VM_VGA_NONE, VM_VGA_BOCHS };

struct vm_config {
	const char *name;
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	uint64_t memory;
	unsigned cpus;
	const char *serial;  /* chardev spec */
	const char *accel;   /* "kvm" or "vmm"; NULL: kvm */
	const char *control; /* unix socket path, or NULL */
	const char *status_file; /* "STATUS reason" written at exit, or NULL */
	enum vm_on_reboot on_reboot;
	struct vm_disk_config disks[VM_MAX_DISKS];
	unsigned ndisks;
	bool rng;     /* --rng: a virtio-rng device */
	bool balloon; /* --balloon: a virtio-balloon device */
	const char *console; /* --console SPEC: a virtio-console, or NULL */
	struct vm_net_config net;
	struct vm_spice_config spice;
	enum vm_vga vga;
	bool help;
	bool version;
	bool verbose;
};

/* Fills cfg from argv. On a bad command line returns -EINVAL and puts a
 * one-line message naming the argument into err. */
int options_parse(int argc, char **argv, struct vm_config *cfg, char *err,
		  unsigned errlen);
void options_usage(FILE *out, const char *prog);

#endif
