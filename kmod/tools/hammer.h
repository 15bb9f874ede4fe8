/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ioctl_hammer: hostile arguments to every ioctl of a KVM-compatible device
 * (/dev/vmm, or /dev/kvm to check that the expectations are KVM's).  Each
 * check prints "ok - hammer NAME" or "not ok - hammer NAME: why"; a check
 * that expects an error names the errno(s) the ABI defines for it.
 *
 * Files: ioctl_hammer.c (main, checks, system and VM fds), hammer_vcpu.c
 * (vCPU fd arguments, mmap, threads, fork, close orders), hammer_run.c
 * (KVM_RUN on hostile state and guests), hammer_irq.c (in-kernel irqchip
 * family: checked against what KVM_CHECK_EXTENSION claims), hammer_fuzz.c
 * (seeded random calls).  A working VM comes from tests/kvm/kvmt.c.
 */
#ifndef HAMMER_H
#define HAMMER_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "kvmt.h"

/* Kinds of pointer a user may hand the kernel instead of a real buffer. */
enum hammer_bad_ptr {
	HAMMER_PTR_NULL,
	HAMMER_PTR_UNMAPPED,	/* a page that was munmap()ed */
	HAMMER_PTR_PROT_NONE,	/* mapped, no access */
	HAMMER_PTR_KERNEL,	/* the kernel's half of the address space */
	HAMMER_PTR_NONCANONICAL,
	HAMMER_NR_BAD_PTRS,
};

struct hammer {
	struct kvmt_ctx ctx;	/* for kvmt_create_vm() and friends */
	int is_kvm;		/* the device is KVM: a few answers differ */
	uint64_t rng;		/* xorshift64 state, from --seed */
	unsigned fuzz_calls;
	int passed, failed;
	void *bad[HAMMER_NR_BAD_PTRS];
	const char *bad_name[HAMMER_NR_BAD_PTRS];
	uint8_t *guard;		/* one read-write page, then a PROT_NONE page */
	uint8_t *rdonly;	/* four read-only pages, starting with a count of 200 */
};

/* Guest code: "out 0x80,al; hlt; jmp back to the out", and "jmp $". */
#define HAMMER_OUT_HLT_LEN 5
#define HAMMER_SPIN_LEN 2
extern const uint8_t hammer_out_hlt[HAMMER_OUT_HLT_LEN];
extern const uint8_t hammer_spin[HAMMER_SPIN_LEN];

/* The list of errnos a failing call may give, 0-terminated. */
#define HAMMER_ERRS(...) ((const int[]){ __VA_ARGS__, 0 })

/*
 * hammer_fail_with(h, errs, call, name...): CALL must fail (-1) with one
 * of ERRS.  hammer_succeeds(h, call, name...): CALL must return >= 0.
 */
#define hammer_fail_with(h, errs, call, ...) do {			\
		long r_;						\
		errno = 0;						\
		r_ = (call);						\
		hammer_check_errno(h, r_, errno, errs, __VA_ARGS__);	\
	} while (0)
#define hammer_succeeds(h, call, ...) do {				\
		long r_;						\
		errno = 0;						\
		r_ = (call);						\
		hammer_check_errno(h, r_, errno, NULL, __VA_ARGS__);	\
	} while (0)

/*
 * ERRS NULL: RET must be >= 0.  Otherwise RET must be -1 with ERR in ERRS.
 * Returns 1 when the check passed.
 */
int hammer_check_errno(struct hammer *h, long ret, int err, const int *errs,
		       const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
int hammer_check(struct hammer *h, int cond, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void hammer_pass(struct hammer *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void hammer_fail(struct hammer *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

uint64_t hammer_random(struct hammer *h);
void hammer_random_fill(struct hammer *h, void *buf, size_t len);

/*
 * Counts (nent, nmsrs, nr) that head a struct of HDR_SIZE bytes placed at
 * the end of the guard page, so any entries run into PROT_NONE: CMD with
 * each count must fail with its errno.  LABEL names ioctl and field.
 */
struct hammer_count {
	uint32_t count;
	int err;
	const char *what;	/* "" or a note such as " into a short buffer" */
};
void hammer_count_cases(struct hammer *h, int fd, unsigned long cmd, size_t hdr_size,
			const char *label, const struct hammer_count *c, size_t n);

/* A struct of LEN bytes whose second half lies in the PROT_NONE page. */
void *hammer_straddling(struct hammer *h, size_t len);

/* A VM (kvmt layout, real mode at KVMT_CODE) running CODE; 0 or -1. */
int hammer_vm_with_code(struct hammer *h, struct kvmt_vm *vm,
			const uint8_t *code, size_t len);
/* KVM_RUN bounded by MS milliseconds (a signal ends it): ioctl's result. */
long hammer_run_bounded(int vcpu_fd, unsigned ms);
/* An exit a hostile but harmless guest may end in (SHUTDOWN included). */
int hammer_benign_exit(uint32_t reason);

void hammer_system_cases(struct hammer *h);
void hammer_vm_cases(struct hammer *h);
void hammer_vcpu_cases(struct hammer *h);
void hammer_run_cases(struct hammer *h);
void hammer_mmap_cases(struct hammer *h);
void hammer_lifetime_cases(struct hammer *h);
void hammer_irq_cases(struct hammer *h);
void hammer_fuzz(struct hammer *h);

#endif /* HAMMER_H */
