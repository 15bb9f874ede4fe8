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

enum vm_on_reboot { VM_ON_REBOOT_RESTART, VM_ON_REBOOT_EXIT };

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
