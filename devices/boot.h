/* Loading Linux: the x86 64-bit boot protocol (bzImage, zero page,
 * command line, initrd, e820 map) and the CPU state it expects. */
#ifndef VMD_DEVICES_BOOT_H
#define VMD_DEVICES_BOOT_H

#include <stdint.h>

struct vm;
struct kvm_regs;
struct kvm_sregs;

struct boot_info {
	uint64_t entry;     /* 64-bit entry point */
	uint64_t zero_page; /* goes into %rsi */
};

/* Loads kernel (+ initrd) into guest RAM and writes the zero page, page
 * tables and GDT. rsdp is the ACPI RSDP address (0: none). On failure
 * returns a negative errno and a one-line message in err. */
int boot_load_linux(struct vm *vm, const char *kernel, const char *initrd,
		    const char *cmdline, uint64_t rsdp, struct boot_info *bi,
		    char *err, unsigned errlen);

/* Registers of the boot vCPU at the 64-bit entry. */
void boot_setup_regs(const struct boot_info *bi, struct kvm_regs *regs,
		     struct kvm_sregs *sregs);

#endif
