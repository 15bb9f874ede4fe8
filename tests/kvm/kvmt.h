/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmt: a tiny harness for raw-ioctl tests of a KVM-compatible device
 * (/dev/kvm, or our own /dev/vmm).  Each case builds a VM with one vCPU,
 * loads a few hand-assembled bytes of guest code and checks, exit by exit,
 * what the device reports.  Only libc: the point is to see the ABI itself.
 */
#ifndef KVMT_H
#define KVMT_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

/*
 * Guest physical layout shared by all cases.  RAM is two slots with a hole
 * at 0xc0000-0xfffff, like a PC's VGA/ROM window, so that MMIO tests have an
 * address that no slot backs and protected/long mode can show that RAM above
 * 1 MiB (slot 1) works.
 */
#define KVMT_IVT		0x0000
#define KVMT_GDT		0x0500
#define KVMT_CODE		0x1000
#define KVMT_PML4		0x2000	/* then PDPT, PD, PT on the next pages */
#define KVMT_STACK		0x8000
#define KVMT_LOW_END		0xc0000
#define KVMT_MMIO		0xd0000	/* in the hole: never backed */
#define KVMT_HIGH		0x100000
#define KVMT_MEM_SIZE		0x200000

/* Ports the guests use; 0x3f8 mimics a UART, the 0x5xx ones are markers. */
#define KVMT_PORT_OUT		0x3f8
#define KVMT_PORT_DATA		0x510
#define KVMT_PORT_READY		0x501
#define KVMT_PORT_HANDLER	0x502
#define KVMT_PORT_AFTER		0x503

enum kvmt_result {
	KVMT_PASS = 0,
	KVMT_FAIL = -1,
	KVMT_SKIP = 1,
};

/* What a case may ask of kvmt_create_vm(). */
#define KVMT_VM_IRQCHIP		(1u << 0)	/* KVM_CREATE_IRQCHIP before the vCPU */
#define KVMT_VM_NO_VCPU		(1u << 1)	/* just the VM fd and memory */
#define KVMT_VM_NO_MEMORY	(1u << 2)	/* no memory slots registered */

struct kvmt_ctx {
	const char *dev;	/* device path, --dev */
	int verbose;		/* print every exit as a TAP comment */
	unsigned timeout;	/* seconds a single KVM_RUN may take */
	char msg[512];		/* why the current case failed or skipped */
};

struct kvmt_vm {
	struct kvmt_ctx *ctx;
	int sys_fd;
	int vm_fd;
	int vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *mem;		/* KVMT_MEM_SIZE bytes; host offset == guest phys */
	unsigned nr_exits;	/* exits seen so far, to say which one went wrong */
};

struct kvmt_case {
	const char *name;
	enum kvmt_result (*fn)(struct kvmt_ctx *ctx);
};

/* Record why a case failed (first message wins) and return KVMT_FAIL. */
enum kvmt_result kvmt_fail(struct kvmt_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
enum kvmt_result kvmt_skip(struct kvmt_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void kvmt_note(struct kvmt_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

const char *kvmt_exit_name(uint32_t reason);
void kvmt_init_watchdog(void);

int kvmt_open_dev(struct kvmt_ctx *ctx);
int kvmt_check_cap(int fd, long cap);
int kvmt_create_vm(struct kvmt_ctx *ctx, struct kvmt_vm *vm, unsigned flags);
void kvmt_destroy_vm(struct kvmt_vm *vm);
void kvmt_load_code(struct kvmt_vm *vm, const uint8_t *code, size_t len);

/* Put the vCPU in a mode with CS:IP at KVMT_CODE; build the tables it needs. */
int kvmt_setup_real(struct kvmt_vm *vm);
int kvmt_setup_protected(struct kvmt_vm *vm);
int kvmt_setup_long(struct kvmt_vm *vm);

/* One KVM_RUN; fails (with a message) on an ioctl error or the watchdog. */
int kvmt_run_vcpu(struct kvmt_vm *vm);

/*
 * Run to the next exit and check it.  For an IN or an MMIO read the
 * expected value is what the host hands the guest.
 */
int kvmt_expect_io(struct kvmt_vm *vm, uint16_t port, uint8_t size,
		   uint8_t dir, uint64_t value);
int kvmt_expect_mmio(struct kvmt_vm *vm, uint64_t addr, uint32_t len,
		     int is_write, uint64_t value);
int kvmt_expect_hlt(struct kvmt_vm *vm, uint64_t rip);
int kvmt_expect_exit(struct kvmt_vm *vm, uint32_t reason);

#endif /* KVMT_H */
