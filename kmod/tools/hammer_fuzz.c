// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl_hammer, the random phase: a few thousand seeded calls of every KVM
 * ioctl (and unknown numbers) on every kind of fd, with random, truncated
 * or bad arguments.  Nothing is asserted per call except that it returns,
 * with success or an errno the ABI uses; afterwards a fresh VM must still
 * run a guest.  A third of the calls read a vCPU's state, flip a few bits,
 * write it back and run the vCPU on random code.  The same seed makes the same calls.  KVM_SET_SIGNAL_MASK
 * is left out: a mask blocking SIGALRM would let a spinning guest hold
 * KVM_RUN forever.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hammer.h"

#define PAGE 4096ul
#define FUZZ_MEM (64 * PAGE)

static const unsigned long hammer_fuzz_cmds[] = {
	/* /dev */
	KVM_GET_API_VERSION, KVM_CREATE_VM, KVM_CHECK_EXTENSION,
	KVM_GET_VCPU_MMAP_SIZE, KVM_GET_SUPPORTED_CPUID, KVM_GET_MSR_INDEX_LIST,
	/* VM */
	KVM_SET_USER_MEMORY_REGION, KVM_CREATE_VCPU, KVM_SET_TSS_ADDR,
	KVM_CREATE_IRQCHIP, KVM_IRQ_LINE, KVM_IRQ_LINE_STATUS, KVM_SET_GSI_ROUTING,
	KVM_IRQFD, KVM_IOEVENTFD, KVM_SIGNAL_MSI, KVM_GET_IRQCHIP, KVM_SET_IRQCHIP,
	KVM_SET_IDENTITY_MAP_ADDR, KVM_ENABLE_CAP, KVM_GET_CLOCK,
	/* vCPU */
	KVM_RUN, KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS,
	KVM_INTERRUPT, KVM_SET_CPUID2, KVM_GET_CPUID2, KVM_GET_MSRS, KVM_SET_MSRS,
	KVM_GET_FPU, KVM_SET_FPU, KVM_GET_LAPIC, KVM_SET_LAPIC, KVM_NMI,
	KVM_GET_MP_STATE, KVM_SET_MP_STATE, KVM_GET_VCPU_EVENTS,
	KVM_SET_VCPU_EVENTS, KVM_GET_XSAVE, KVM_SET_XSAVE, KVM_GET_XCRS,
	KVM_SET_XCRS, KVM_TRANSLATE, KVM_SET_GUEST_DEBUG,
	KVM_GET_DEBUGREGS, KVM_SET_DEBUGREGS,
};

/* Errnos the KVM ABI uses; anything else is reported. */
static const int hammer_fuzz_errnos[] = {
	EFAULT, EINVAL, ENOTTY, E2BIG, EEXIST, ENOENT, ENXIO, EBADF, EINTR,
	ENOMEM, EBUSY, EPERM, EOPNOTSUPP, ENOSPC, EAGAIN, ENODEV, EOVERFLOW,
};

enum { FD_SYS, FD_VM, FD_VCPU, FD_VCPU2, FD_EVENT, FD_NULL, FD_CLOSED, NR_FUZZ_FDS };

struct hammer_fuzz {
	int fd[NR_FUZZ_FDS];
	uint8_t *mem;		/* guest memory slots may point at */
	uint8_t *buf;		/* random argument page, PROT_NONE after it */
	unsigned hist[NR_FUZZ_FDS][2];	/* calls per fd kind: ok, error */
	unsigned odd;
	char first_odd[5][160];
};

static int hammer_fuzz_allowed(int err)
{
	size_t i;

	for (i = 0; i < sizeof(hammer_fuzz_errnos) / sizeof(hammer_fuzz_errnos[0]); i++)
		if (hammer_fuzz_errnos[i] == err)
			return 1;
	return 0;
}

static void hammer_fuzz_slot(int vm, uint32_t slot, uint64_t gpa, uint8_t *mem)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .guest_phys_addr = gpa, .memory_size = FUZZ_MEM,
		.userspace_addr = (uintptr_t)mem,
	};

	ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r);
}

/*
 * Valid state with a few bits flipped: read a vCPU's registers, segment
 * state, FPU image or MSRs, flip 1-3 random bits, write it back and
 * sometimes run.  Nearly-valid state is what gets past the checks of
 * KVM_SET_* to VMRUN.  Returns the ioctl result of the write or the run.
 */
static long hammer_fuzz_mutate(struct hammer *h, struct hammer_fuzz *f,
			       unsigned long *cmd)
{
	static const uint32_t msrs[] = {
		0xc0000080, 0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084,
		0xc0000100, 0xc0000101, 0xc0000102, 0x174, 0x175, 0x176, 0x277,
		0x1b, 0x10, 0xc0000103, 0x1a0, 0x2ff,
	};
	union {
		struct kvm_regs regs;
		struct kvm_sregs sregs;
		struct kvm_fpu fpu;
		struct {
			struct kvm_msrs hdr;
			struct kvm_msr_entry e[1];
		} msr;
	} u;
	uint64_t r = hammer_random(h);
	int vcpu = f->fd[FD_VCPU], flips = 1 + r % 3, i;
	size_t size;
	uint8_t *p = (uint8_t *)&u;
	unsigned long get, set;

	memset(&u, 0, sizeof(u));
	switch ((r >> 8) % 4) {
	case 0:
		get = KVM_GET_REGS, set = KVM_SET_REGS, size = sizeof(u.regs);
		break;
	case 1:
		get = KVM_GET_SREGS, set = KVM_SET_SREGS, size = sizeof(u.sregs);
		break;
	case 2:
		get = KVM_GET_FPU, set = KVM_SET_FPU, size = sizeof(u.fpu);
		break;
	default:
		get = KVM_GET_MSRS, set = KVM_SET_MSRS, size = sizeof(u.msr);
		u.msr.hdr.nmsrs = 1;
		u.msr.e[0].index = msrs[(r >> 16) % (sizeof(msrs) / sizeof(msrs[0]))];
		break;
	}
	ioctl(vcpu, get, &u);
	for (i = 0; i < flips; i++) {
		uint64_t bit = hammer_random(h);
		size_t off = get == KVM_GET_MSRS ? 16 + bit % 8 : (bit >> 8) % size;

		p[off] ^= 1u << (bit & 7);
	}
	*cmd = set;
	if (ioctl(vcpu, set, &u) < 0)
		return -1;
	if ((r >> 24) % 3 == 0) {
		*cmd = KVM_RUN;
		return hammer_run_bounded(vcpu, 20);
	}
	return 0;
}

/* A new VM with a vCPU or two, replacing the old ones in odd orders. */
static void hammer_fuzz_new_vm(struct hammer *h, struct hammer_fuzz *f)
{
	uint64_t r = hammer_random(h);
	int old[3] = { f->fd[FD_VM], f->fd[FD_VCPU], f->fd[FD_VCPU2] }, i;

	f->fd[FD_VM] = ioctl(f->fd[FD_SYS], KVM_CREATE_VM, 0);
	/* Random bytes at gpa 0 and under the reset vector: the vCPU runs them. */
	hammer_fuzz_slot(f->fd[FD_VM], 0, 0, f->mem);
	hammer_fuzz_slot(f->fd[FD_VM], 1, 0xffff0000ull, f->mem);
	f->fd[FD_VCPU] = ioctl(f->fd[FD_VM], KVM_CREATE_VCPU, r & 63);
	f->fd[FD_VCPU2] = ioctl(f->fd[FD_VM], KVM_CREATE_VCPU, (r >> 8) & 63);
	for (i = 0; i < 3; i++)
		if (old[(i + r) % 3] >= 0)
			close(old[(i + r) % 3]);
}

/* An argument: a small number, a bad pointer, or random bytes in buf. */
static unsigned long hammer_fuzz_arg(struct hammer *h, struct hammer_fuzz *f,
				     unsigned long cmd)
{
	uint64_t r = hammer_random(h);
	size_t size = _IOC_SIZE(cmd), off;
	uint32_t *hdr;

	switch (r % 8) {
	case 0:
		return (r >> 8) % 4;
	case 1:
		return (r >> 8) & 0xff;
	case 2:
		return (unsigned long)h->bad[(r >> 8) % HAMMER_NR_BAD_PTRS];
	case 3:
		return r >> 8;
	case 4:
		/* The struct ends exactly at the guard page. */
		off = size && size <= PAGE ? PAGE - size : 0;
		hammer_random_fill(h, f->buf + off, PAGE - off);
		return (unsigned long)(f->buf + off);
	default:
		/* Random bytes with a plausible count/slot first (nent, nmsrs, nr, slot). */
		hammer_random_fill(h, f->buf, PAGE);
		hdr = (uint32_t *)f->buf;
		hdr[0] = (r >> 8) % 40;
		hdr[1] = (r >> 16) % 3 == 0 ? 0 : hdr[1];
		if (cmd == KVM_SET_USER_MEMORY_REGION) {
			/* Sometimes a slot the guest can really use. */
			struct kvm_userspace_memory_region *m = (void *)f->buf;

			m->slot = (r >> 8) % 34;
			m->flags = (r >> 16) % 4 == 0 ? 1 : 0;
			m->guest_phys_addr = ((r >> 20) % 512) * PAGE;
			m->memory_size = ((r >> 32) % 17) * PAGE;
			m->userspace_addr = (uintptr_t)f->mem + ((r >> 40) % 48) * PAGE;
		}
		return (unsigned long)f->buf;
	}
}

static void hammer_fuzz_call(struct hammer *h, struct hammer_fuzz *f, unsigned i)
{
	uint64_t r = hammer_random(h);
	int kind = r % NR_FUZZ_FDS, err;
	unsigned long cmd, arg;
	long ret;

	if (r % 11 == 0)
		cmd = hammer_random(h) & 0xffffffffu;
	else if (r % 13 == 0)
		cmd = _IOC(hammer_random(h) % 4, KVMIO, hammer_random(h) & 0xff,
			   hammer_random(h) % 2048);
	else
		cmd = hammer_fuzz_cmds[(r >> 8) % (sizeof(hammer_fuzz_cmds) /
						   sizeof(hammer_fuzz_cmds[0]))];
	/* Mostly VM and vCPU fds: that is where the state is. */
	if ((r >> 32) % 4)
		kind = (r >> 40) % 2 ? FD_VCPU : FD_VM;
	arg = hammer_fuzz_arg(h, f, cmd);
	if (r % 3 == 0) {
		kind = FD_VCPU;
		arg = 0;
		ret = hammer_fuzz_mutate(h, f, &cmd);
	} else if (cmd == KVM_RUN) {
		ret = hammer_run_bounded(f->fd[kind], 20);
	} else {
		ret = ioctl(f->fd[kind], cmd, arg);
	}
	err = errno;
	f->hist[kind][ret < 0]++;
	if (ret > 2 && (cmd == KVM_CREATE_VM || cmd == KVM_CREATE_VCPU))
		close(ret);	/* a new fd: not ours to keep */
	if (ret < 0 && !hammer_fuzz_allowed(err) && !(kind == FD_NULL && err == ENOTTY)) {
		if (f->odd < 5)
			snprintf(f->first_odd[f->odd], sizeof(f->first_odd[0]),
				 "call %u: ioctl(fd kind %d, 0x%lx, 0x%lx) gave %s", i,
				 kind, cmd, arg, strerrorname_np(err) ?: "?");
		f->odd++;
	}
	/* Now and then, a fresh VM (fds closed in a random order). */
	if (r % 97 == 0)
		hammer_fuzz_new_vm(h, f);
}

void hammer_fuzz(struct hammer *h)
{
	static const uint8_t code[] = { 0xe6, 0x80, 0xf4 };
	struct hammer_fuzz f;
	struct kvmt_vm vm;
	unsigned i, total_ok = 0;
	long r;
	int k;

	memset(&f, 0, sizeof(f));
	f.mem = mmap(NULL, FUZZ_MEM, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	f.buf = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (f.mem == MAP_FAILED || f.buf == MAP_FAILED) {
		hammer_fail(h, "fuzz: mmap: %s", strerror(errno));
		return;
	}
	mprotect(f.buf + PAGE, PAGE, PROT_NONE);
	hammer_random_fill(h, f.mem, FUZZ_MEM);
	f.fd[FD_SYS] = open(h->ctx.dev, O_RDWR | O_CLOEXEC);
	f.fd[FD_VM] = f.fd[FD_VCPU] = f.fd[FD_VCPU2] = -1;
	hammer_fuzz_new_vm(h, &f);
	f.fd[FD_EVENT] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	f.fd[FD_NULL] = open("/dev/null", O_RDWR | O_CLOEXEC);
	f.fd[FD_CLOSED] = dup(f.fd[FD_NULL]);
	close(f.fd[FD_CLOSED]);
	if (!hammer_check(h, f.fd[FD_SYS] >= 0 && f.fd[FD_VM] >= 0 && f.fd[FD_VCPU] >= 0,
			  "fuzz: open %s, a VM and a vCPU", h->ctx.dev))
		return;

	for (i = 0; i < h->fuzz_calls; i++)
		hammer_fuzz_call(h, &f, i);
	for (k = 0; k < NR_FUZZ_FDS; k++)
		total_ok += f.hist[k][0];
	printf("# fuzz: %u calls, %u succeeded; per fd (ok/error): /dev %u/%u, VM %u/%u, "
	       "vCPU %u/%u, vCPU2 %u/%u, eventfd %u/%u, /dev/null %u/%u, closed %u/%u\n",
	       h->fuzz_calls, total_ok, f.hist[0][0], f.hist[0][1], f.hist[1][0],
	       f.hist[1][1], f.hist[2][0], f.hist[2][1], f.hist[3][0], f.hist[3][1],
	       f.hist[4][0], f.hist[4][1], f.hist[5][0], f.hist[5][1], f.hist[6][0],
	       f.hist[6][1]);
	for (i = 0; i < f.odd && i < 5; i++)
		printf("# fuzz: unexpected errno: %s\n", f.first_odd[i]);
	hammer_check(h, f.odd == 0, "fuzz: %u random calls returned, each with success "
		     "or a KVM errno (%u unexpected)", h->fuzz_calls, f.odd);
	for (k = 0; k < NR_FUZZ_FDS; k++)
		if (k != FD_CLOSED && f.fd[k] >= 0)
			close(f.fd[k]);
	munmap(f.mem, FUZZ_MEM);
	munmap(f.buf, 2 * PAGE);

	/* The device still works after all that. */
	if (hammer_vm_with_code(h, &vm, code, sizeof(code)) == 0) {
		r = hammer_run_bounded(vm.vcpu_fd, 5000);
		hammer_check(h, r == 0 && vm.run->exit_reason == KVM_EXIT_IO,
			     "fuzz: a fresh VM runs its guest afterwards");
		kvmt_destroy_vm(&vm);
	} else {
		hammer_fail(h, "fuzz: a fresh VM afterwards: %s", h->ctx.msg);
	}
}
