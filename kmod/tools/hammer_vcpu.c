// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl_hammer, the vCPU fd: bad pointers and counts for every vCPU ioctl,
 * mmap of the run area with wrong sizes and offsets, fds closed in odd
 * orders and under a running vCPU, two threads on one vCPU, a slot moved
 * under a running guest, racing KVM_CREATE_VCPU, ioctls from a child
 * process.
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hammer.h"

#define PAGE 4096ul

/* ------------------------------------------------ vCPU ioctl arguments */

static const struct {
	unsigned long cmd;
	const char *name;
	size_t size;
	int writes_back;	/* the kernel writes the struct: read-only page is EFAULT */
} hammer_vcpu_structs[] = {
	{ KVM_GET_REGS, "KVM_GET_REGS", sizeof(struct kvm_regs), 1 },
	{ KVM_SET_REGS, "KVM_SET_REGS", sizeof(struct kvm_regs), 0 },
	{ KVM_GET_SREGS, "KVM_GET_SREGS", sizeof(struct kvm_sregs), 1 },
	{ KVM_SET_SREGS, "KVM_SET_SREGS", sizeof(struct kvm_sregs), 0 },
	{ KVM_GET_FPU, "KVM_GET_FPU", sizeof(struct kvm_fpu), 1 },
	{ KVM_SET_FPU, "KVM_SET_FPU", sizeof(struct kvm_fpu), 0 },
	{ KVM_INTERRUPT, "KVM_INTERRUPT", sizeof(struct kvm_interrupt), 0 },
	{ KVM_SET_CPUID2, "KVM_SET_CPUID2", sizeof(struct kvm_cpuid2), 0 },
	{ KVM_GET_MSRS, "KVM_GET_MSRS", sizeof(struct kvm_msrs), 1 },
	{ KVM_SET_MSRS, "KVM_SET_MSRS", sizeof(struct kvm_msrs), 0 },
};

static void hammer_msr_cases(struct hammer *h, int vcpu)
{
	struct kvm_msrs *m;
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[4];
	} set;
	static const uint32_t canonical_msrs[] = {
		0xc0000100 /* FS_BASE */, 0xc0000101 /* GS_BASE */,
		0xc0000102 /* KERNEL_GS_BASE */, 0xc0000082 /* LSTAR */,
		0xc0000083 /* CSTAR */,
	};
	static const struct hammer_count counts[] = {
		{ 256, E2BIG, "" }, { 0xffffffffu, E2BIG, "" }, { 0x80000000u, E2BIG, "" },
		{ 1, EFAULT, " (entries in PROT_NONE)" }, { 255, EFAULT, " (entries in PROT_NONE)" },
	};
	size_t i;
	long r;

	hammer_count_cases(h, vcpu, KVM_GET_MSRS, sizeof(*m), "vcpu: KVM_GET_MSRS nmsrs",
			   counts, 5);
	hammer_count_cases(h, vcpu, KVM_SET_MSRS, sizeof(*m), "vcpu: KVM_SET_MSRS nmsrs",
			   counts, 5);
	m = (void *)(h->guard + PAGE - sizeof(*m));
	m->nmsrs = 0;
	hammer_check(h, ioctl(vcpu, KVM_GET_MSRS, m) == 0, "vcpu: KVM_GET_MSRS nmsrs 0 is 0");

	memset(&set, 0, sizeof(set));
	set.hdr.nmsrs = 2;
	set.e[0].index = 0xc0000082;
	set.e[0].data = 0x1234;
	set.e[1].index = 0xdeadbeef;	/* no such MSR: processing stops here */
	r = ioctl(vcpu, KVM_SET_MSRS, &set);
	hammer_check(h, r == 1, "vcpu: KVM_SET_MSRS stops at an unknown MSR (returned %ld)", r);
	for (i = 0; i < sizeof(canonical_msrs) / sizeof(canonical_msrs[0]); i++) {
		set.hdr.nmsrs = 1;
		set.e[0].index = canonical_msrs[i];
		set.e[0].data = 0x8000000000000000ull;
		r = ioctl(vcpu, KVM_SET_MSRS, &set);
		hammer_check(h, r == 0, "vcpu: KVM_SET_MSRS non-canonical MSR 0x%x is refused "
			     "(returned %ld)", canonical_msrs[i], r);
	}
	set.hdr.nmsrs = 1;
	set.e[0].index = 0xc0000080;	/* EFER with every reserved bit */
	set.e[0].data = ~0ull;
	r = ioctl(vcpu, KVM_SET_MSRS, &set);
	hammer_check(h, r == 0, "vcpu: KVM_SET_MSRS EFER with reserved bits is refused "
		     "(returned %ld)", r);
	/* Random indices and values: any count, no error, no crash. */
	{
		struct {
			struct kvm_msrs hdr;
			struct kvm_msr_entry e[255];
		} big;

		hammer_random_fill(h, &big, sizeof(big));
		big.hdr.nmsrs = 255;
		r = ioctl(vcpu, KVM_GET_MSRS, &big);
		hammer_check(h, r >= 0 && r <= 255,
			     "vcpu: KVM_GET_MSRS of 255 random indices (returned %ld)", r);
	}
}

static void hammer_cpuid_cases(struct hammer *h, int vcpu)
{
	static const struct hammer_count counts[] = {
		{ 257, E2BIG, "" }, { 0xffffffffu, E2BIG, "" },
		{ 0x06666667u, E2BIG, " (its size wraps 32 bits)" },
		{ 1, EFAULT, " (entries in PROT_NONE)" },
	};
	struct {
		struct kvm_cpuid2 hdr;
		struct kvm_cpuid_entry2 e[256];
	} *big;

	hammer_count_cases(h, vcpu, KVM_SET_CPUID2, sizeof(struct kvm_cpuid2),
			   "vcpu: KVM_SET_CPUID2 nent", counts, 4);
	big = mmap(NULL, sizeof(*big), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (big == MAP_FAILED)
		return;
	hammer_random_fill(h, big, sizeof(*big));
	big->hdr.nent = 256;
	hammer_succeeds(h, ioctl(vcpu, KVM_SET_CPUID2, big),
			"vcpu: KVM_SET_CPUID2 with 256 random entries");
	big->hdr.nent = 0;
	hammer_succeeds(h, ioctl(vcpu, KVM_SET_CPUID2, big),
			"vcpu: KVM_SET_CPUID2 with no entries");
	munmap(big, sizeof(*big));
}

void hammer_vcpu_cases(struct hammer *h)
{
	struct kvm_interrupt irq;
	struct kvm_fpu fpu;
	struct kvmt_vm vm;
	size_t i;
	int b;

	if (!hammer_check(h, hammer_vm_with_code(h, &vm, hammer_out_hlt,
						 sizeof(hammer_out_hlt)) == 0,
			  "vcpu: a VM with a vCPU: %s", h->ctx.msg))
		return;
	for (i = 0; i < sizeof(hammer_vcpu_structs) / sizeof(hammer_vcpu_structs[0]); i++) {
		for (b = 0; b < HAMMER_NR_BAD_PTRS; b++)
			hammer_fail_with(h, HAMMER_ERRS(EFAULT),
					 ioctl(vm.vcpu_fd, hammer_vcpu_structs[i].cmd, h->bad[b]),
					 "vcpu: %s %s pointer is EFAULT",
					 hammer_vcpu_structs[i].name, h->bad_name[b]);
		/* The header of CPUID2/MSRS is 8 bytes: straddle that, not the whole. */
		hammer_fail_with(h, HAMMER_ERRS(EFAULT),
				 ioctl(vm.vcpu_fd, hammer_vcpu_structs[i].cmd,
				       hammer_straddling(h, hammer_vcpu_structs[i].size)),
				 "vcpu: %s struct across a guard page is EFAULT",
				 hammer_vcpu_structs[i].name);
		if (hammer_vcpu_structs[i].writes_back)
			hammer_fail_with(h, HAMMER_ERRS(EFAULT),
					 ioctl(vm.vcpu_fd, hammer_vcpu_structs[i].cmd, h->rdonly),
					 "vcpu: %s into a read-only page is EFAULT",
					 hammer_vcpu_structs[i].name);
	}
	hammer_msr_cases(h, vm.vcpu_fd);
	hammer_cpuid_cases(h, vm.vcpu_fd);

	irq.irq = 256;
	hammer_fail_with(h, HAMMER_ERRS(EINVAL), ioctl(vm.vcpu_fd, KVM_INTERRUPT, &irq),
			 "vcpu: KVM_INTERRUPT vector 256 is EINVAL");
	irq.irq = 0xffffffffu;
	hammer_fail_with(h, HAMMER_ERRS(EINVAL), ioctl(vm.vcpu_fd, KVM_INTERRUPT, &irq),
			 "vcpu: KVM_INTERRUPT vector 2^32-1 is EINVAL");
	irq.irq = 0x30;
	hammer_succeeds(h, ioctl(vm.vcpu_fd, KVM_INTERRUPT, &irq), "vcpu: KVM_INTERRUPT 0x30");
	/*
	 * Stricter than KVM (6.1 accepts both, the second replacing the
	 * first; our README documents EEXIST; an MXCSR KVM takes would fault
	 * its next XRSTOR): checked on /dev/vmm only.
	 */
	if (!h->is_kvm) {
		hammer_fail_with(h, HAMMER_ERRS(EEXIST), ioctl(vm.vcpu_fd, KVM_INTERRUPT, &irq),
				 "vcpu: a second KVM_INTERRUPT before delivery is EEXIST");
		memset(&fpu, 0, sizeof(fpu));
		fpu.fcw = 0x37f;
		fpu.mxcsr = 0xffffffffu;
		hammer_fail_with(h, HAMMER_ERRS(EINVAL), ioctl(vm.vcpu_fd, KVM_SET_FPU, &fpu),
				 "vcpu: KVM_SET_FPU with reserved MXCSR bits is EINVAL");
	}

	hammer_fail_with(h, HAMMER_ERRS(EINVAL), ioctl(vm.vcpu_fd, KVM_RUN, 1),
			 "vcpu: KVM_RUN with a non-zero argument is EINVAL");
	/* Other fds' ioctls on a vCPU fd. */
	hammer_fail_with(h, HAMMER_ERRS(ENOTTY, EINVAL), ioctl(vm.vcpu_fd, KVM_CREATE_VCPU, 1),
			 "vcpu: KVM_CREATE_VCPU on a vCPU fd is refused");
	hammer_fail_with(h, HAMMER_ERRS(ENOTTY, EINVAL), ioctl(vm.vcpu_fd, KVM_CREATE_VM, 0),
			 "vcpu: KVM_CREATE_VM on a vCPU fd is refused");
	hammer_fail_with(h, HAMMER_ERRS(ENOTTY, EINVAL),
			 ioctl(vm.vcpu_fd, KVM_SET_USER_MEMORY_REGION, h->guard),
			 "vcpu: KVM_SET_USER_MEMORY_REGION on a vCPU fd is refused");
	hammer_fail_with(h, HAMMER_ERRS(ENOTTY, EINVAL),
			 ioctl(vm.vcpu_fd, KVM_GET_SUPPORTED_CPUID, h->guard),
			 "vcpu: KVM_GET_SUPPORTED_CPUID on a vCPU fd is refused");
	for (i = 0; i < 3; i++) {
		static const unsigned long cmds[] = { _IO(KVMIO, 0x7f), 0x5401, 0xffffffffu };

		hammer_fail_with(h, HAMMER_ERRS(ENOTTY, EINVAL), ioctl(vm.vcpu_fd, cmds[i], h->guard),
				 "vcpu: unknown ioctl 0x%lx is refused", cmds[i]);
	}
	/* After all that the vCPU still runs its guest. */
	irq.irq = 0;
	kvmt_setup_real(&vm);
	{
		long r = hammer_run_bounded(vm.vcpu_fd, 5000);

		hammer_check(h, r == 0 && vm.run->exit_reason == KVM_EXIT_IO &&
			     vm.run->io.port == 0x80,
			     "vcpu: the guest still runs to its OUT (r %ld, exit %u)",
			     r, vm.run->exit_reason);
	}
	kvmt_destroy_vm(&vm);
}

/* ---------------------------------------------------------- mmap */

static sigjmp_buf hammer_fault_jmp;
static volatile sig_atomic_t hammer_fault_sig;

static void hammer_on_fault(int sig)
{
	hammer_fault_sig = sig;
	siglongjmp(hammer_fault_jmp, 1);
}

/* Reads one byte; returns the signal it raised or 0. */
static int hammer_touch(const volatile uint8_t *p)
{
	struct sigaction sa, old_bus, old_segv;
	int sig = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = hammer_on_fault;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old_bus);
	sigaction(SIGSEGV, &sa, &old_segv);
	hammer_fault_sig = 0;
	if (sigsetjmp(hammer_fault_jmp, 1) == 0)
		(void)*p;
	else
		sig = hammer_fault_sig;
	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	return sig;
}

void hammer_mmap_cases(struct hammer *h)
{
	struct kvmt_vm vm;
	uint8_t *p, *q;
	size_t size;
	int sig;

	if (!hammer_check(h, hammer_vm_with_code(h, &vm, hammer_out_hlt,
						 sizeof(hammer_out_hlt)) == 0,
			  "mmap: a VM with a vCPU: %s", h->ctx.msg))
		return;
	size = vm.run_size;
	/* Larger than the run area: refused, or the page past it is SIGBUS. */
	p = mmap(NULL, size + PAGE, PROT_READ, MAP_SHARED, vm.vcpu_fd, 0);
	if (p == MAP_FAILED) {
		hammer_check(h, errno == EINVAL, "mmap: one page too many is EINVAL (%s)",
			     strerrorname_np(errno));
	} else {
		sig = hammer_touch(p + size);
		hammer_check(h, sig == SIGBUS, "mmap: the page past the run area is SIGBUS "
			     "(got signal %d)", sig);
		munmap(p, size + PAGE);
	}
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, vm.vcpu_fd, size);
	if (p == MAP_FAILED) {
		hammer_check(h, errno == EINVAL, "mmap: offset past the run area is EINVAL (%s)",
			     strerrorname_np(errno));
	} else {
		sig = hammer_touch(p);
		hammer_check(h, sig == SIGBUS, "mmap: offset past the run area is SIGBUS "
			     "(got signal %d)", sig);
		munmap(p, PAGE);
	}
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, vm.vcpu_fd, 1ull << 40);
	if (p == MAP_FAILED) {
		hammer_check(h, errno == EINVAL || errno == EOVERFLOW,
			     "mmap: offset 2^40 is refused (%s)", strerrorname_np(errno));
	} else {
		sig = hammer_touch(p);
		hammer_check(h, sig == SIGBUS, "mmap: offset 2^40 is SIGBUS (got signal %d)", sig);
		munmap(p, PAGE);
	}
	p = mmap(NULL, 0, PROT_READ, MAP_SHARED, vm.vcpu_fd, 0);
	hammer_check(h, p == MAP_FAILED && errno == EINVAL, "mmap: size 0 is EINVAL");
	/* The PIO data page alone, at offset 1 page: allowed. */
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, vm.vcpu_fd, PAGE);
	hammer_check(h, p != MAP_FAILED && hammer_touch(p) == 0,
		     "mmap: the second page alone maps and reads");
	if (p != MAP_FAILED)
		munmap(p, PAGE);
	/* mremap a legal mapping past the run area: the new pages are SIGBUS. */
	p = mmap(NULL, size, PROT_READ, MAP_SHARED, vm.vcpu_fd, 0);
	if (p != MAP_FAILED) {
		q = mremap(p, size, size + 2 * PAGE, MREMAP_MAYMOVE);
		if (q == MAP_FAILED) {
			hammer_pass(h, "mmap: growing the run mapping with mremap is refused");
			munmap(p, size);
		} else {
			sig = hammer_touch(q + size + PAGE);
			hammer_check(h, sig == SIGBUS, "mmap: a run mapping grown by mremap is "
				     "SIGBUS past the run area (got signal %d)", sig);
			hammer_check(h, hammer_touch(q) == 0,
				     "mmap: its first page still reads");
			munmap(q, size + 2 * PAGE);
		}
	}
	/* A private copy: writing it must not reach the real kvm_run. */
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, vm.vcpu_fd, 0);
	if (p != MAP_FAILED) {
		((struct kvm_run *)p)->immediate_exit = 1;
		hammer_check(h, vm.run->immediate_exit == 0,
			     "mmap: a MAP_PRIVATE write does not reach kvm_run");
		munmap(p, PAGE);
	} else {
		hammer_pass(h, "mmap: MAP_PRIVATE of the run area is refused (%s)",
			    strerrorname_np(errno));
	}
	/* The VM and /dev fds' mmap is not a thing. */
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, vm.vm_fd, 0);
	hammer_check(h, p == MAP_FAILED, "mmap: a VM fd cannot be mapped");
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, vm.sys_fd, 0);
	hammer_check(h, p == MAP_FAILED, "mmap: the /dev fd cannot be mapped");

	/* Mapping outlives every fd: still readable, then gone cleanly. */
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vm.vcpu_fd, 0);
	close(vm.vcpu_fd);
	close(vm.vm_fd);
	close(vm.sys_fd);
	vm.vcpu_fd = vm.vm_fd = vm.sys_fd = -1;
	if (p != MAP_FAILED) {
		hammer_check(h, hammer_touch(p) == 0 && hammer_touch(p + PAGE) == 0,
			     "mmap: the run area stays readable after every fd is closed");
		munmap(p, size);
	}
	kvmt_destroy_vm(&vm);
}

/* ------------------------------------------------------- lifetime */

struct hammer_runner {
	int fd;
	long ret;
	int err;
	volatile int started;
};

static void *hammer_runner_thread(void *arg)
{
	struct hammer_runner *t = arg;

	t->started = 1;
	t->ret = ioctl(t->fd, KVM_RUN, 0);
	t->err = errno;
	return NULL;
}

static void hammer_sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000l };

	nanosleep(&ts, NULL);
}

/* Two threads in KVM_RUN of one vCPU; fds closed while one runs. */
static void hammer_thread_cases(struct hammer *h)
{
	struct hammer_runner a = { 0 }, b = { 0 };
	pthread_t ta, tb;
	struct kvmt_vm vm;

	if (hammer_vm_with_code(h, &vm, hammer_spin, sizeof(hammer_spin)) < 0) {
		hammer_fail(h, "lifetime: VM for the thread cases: %s", h->ctx.msg);
		return;
	}
	a.fd = b.fd = vm.vcpu_fd;
	pthread_create(&ta, NULL, hammer_runner_thread, &a);
	while (!a.started)
		hammer_sleep_ms(1);
	hammer_sleep_ms(100);
	pthread_create(&tb, NULL, hammer_runner_thread, &b);
	hammer_sleep_ms(100);
	/* Close every fd and unmap while both threads are inside. */
	munmap(vm.run, vm.run_size);
	vm.run = NULL;
	close(vm.vcpu_fd);
	close(vm.vm_fd);
	close(vm.sys_fd);
	vm.vcpu_fd = vm.vm_fd = vm.sys_fd = -1;
	/* Keep kicking both until they are out: each gets EINTR. */
	{
		int i, done = 0;

		for (i = 0; i < 200 && done != 2; i++) {
			if (!a.ret && !a.err)
				pthread_kill(ta, SIGUSR1);
			if (!b.ret && !b.err)
				pthread_kill(tb, SIGUSR1);
			hammer_sleep_ms(10);
			done = (a.err != 0) + (b.err != 0);
		}
		hammer_check(h, done == 2, "lifetime: two threads in KVM_RUN of one vCPU "
			     "both end on a signal after every fd was closed");
		if (done != 2) {
			/* Do not join a stuck thread; report and move on. */
			pthread_detach(ta);
			pthread_detach(tb);
			kvmt_destroy_vm(&vm);
			return;
		}
	}
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	hammer_check(h, a.ret < 0 && a.err == EINTR && b.ret < 0 && b.err == EINTR,
		     "lifetime: both KVM_RUNs returned EINTR (%s, %s)",
		     strerrorname_np(a.err), strerrorname_np(b.err));
	kvmt_destroy_vm(&vm);
}

/* Two vCPUs walking slot 1's pages while slot 1 comes and goes. */
struct hammer_toggle {
	int vcpu_fd;
	struct kvm_run *run;
	volatile int stop;
	unsigned runs, bad;
	uint32_t bad_reason;
	int bad_errno;
};

static void *hammer_toggle_runner(void *arg)
{
	struct hammer_toggle *t = arg;
	long r;

	while (!t->stop) {
		r = ioctl(t->vcpu_fd, KVM_RUN, 0);
		t->runs++;
		if (r < 0 && errno == EINTR)
			continue;
		/* Slot gone: MMIO exits; anything worse is a failure. */
		if (r < 0 || !hammer_benign_exit(t->run->exit_reason) ||
		    t->run->exit_reason == KVM_EXIT_SHUTDOWN ||
		    t->run->exit_reason == KVM_EXIT_INTERNAL_ERROR) {
			t->bad++;
			t->bad_errno = r < 0 ? errno : 0;
			t->bad_reason = t->run->exit_reason;
			break;
		}
	}
	return NULL;
}

static void hammer_slot_toggle_case(struct hammer *h)
{
	/* FS base is slot 1's gpa: touch a page of it, next page, out, again. */
	static const uint8_t code[] = {
		0x64, 0x88, 0x04,		/* mov [fs:si],al */
		0x64, 0x8a, 0x04,		/* mov al,[fs:si] */
		0x81, 0xc6, 0x00, 0x10,		/* add si,0x1000 */
		0xe6, 0x80,			/* out 0x80,al */
		0xeb, 0xf2,			/* jmp to the start */
	};
	struct kvm_userspace_memory_region reg;
	struct hammer_toggle t[2];
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvmt_vm vm;
	pthread_t th[2];
	int i, k, errs = 0, joined = 0, vcpu2;
	size_t run_size;

	memset(t, 0, sizeof(t));
	if (hammer_vm_with_code(h, &vm, code, sizeof(code)) < 0) {
		hammer_fail(h, "lifetime: VM for the slot toggle: %s", h->ctx.msg);
		return;
	}
	ioctl(vm.vcpu_fd, KVM_GET_SREGS, &sregs);
	sregs.fs.base = KVMT_HIGH;
	ioctl(vm.vcpu_fd, KVM_SET_SREGS, &sregs);
	ioctl(vm.vcpu_fd, KVM_GET_REGS, &regs);
	vcpu2 = ioctl(vm.vm_fd, KVM_CREATE_VCPU, 1);
	run_size = vm.run_size;
	t[0].vcpu_fd = vm.vcpu_fd;
	t[0].run = vm.run;
	t[1].vcpu_fd = vcpu2;
	t[1].run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu2, 0);
	if (vcpu2 < 0 || t[1].run == MAP_FAILED) {
		hammer_fail(h, "lifetime: a second vCPU: %s", strerror(errno));
		kvmt_destroy_vm(&vm);
		return;
	}
	ioctl(vcpu2, KVM_SET_SREGS, &sregs);
	ioctl(vcpu2, KVM_SET_REGS, &regs);
	for (k = 0; k < 2; k++)
		pthread_create(&th[k], NULL, hammer_toggle_runner, &t[k]);
	memset(&reg, 0, sizeof(reg));
	reg.slot = 1;
	reg.userspace_addr = (uintptr_t)vm.mem + KVMT_HIGH;
	for (i = 0; i < 300 && !t[0].bad && !t[1].bad; i++) {
		/* Delete, re-add at the same place, move it away. */
		reg.guest_phys_addr = KVMT_HIGH;
		reg.memory_size = (i % 3 == 0) ? 0 : KVMT_MEM_SIZE - KVMT_HIGH;
		if (i % 3 == 2)
			reg.guest_phys_addr = 0x40000000;
		errs += ioctl(vm.vm_fd, KVM_SET_USER_MEMORY_REGION, &reg) < 0;
		if (i % 4 == 0)
			hammer_sleep_ms(1);	/* let the vCPUs fault pages back in */
	}
	t[0].stop = t[1].stop = 1;
	for (i = 0; i < 100 && joined != 3; i++) {
		for (k = 0; k < 2; k++)
			if (!(joined & (1 << k)))
				pthread_kill(th[k], SIGUSR1);
		hammer_sleep_ms(10);
		for (k = 0; k < 2; k++)
			if (!(joined & (1 << k)) && pthread_tryjoin_np(th[k], NULL) == 0)
				joined |= 1 << k;
	}
	hammer_check(h, joined == 3 && !t[0].bad && !t[1].bad && !errs,
		     "lifetime: slot 1 deleted/moved 300 times under two running vCPUs "
		     "(%u+%u runs, %d ioctl errors, bad exit %u/%u %s)", t[0].runs, t[1].runs,
		     errs, t[0].bad_reason, t[1].bad_reason,
		     t[0].bad || t[1].bad ? strerrorname_np(t[0].bad ? t[0].bad_errno :
							     t[1].bad_errno) ?: "-" : "-");
	if (joined != 3)
		return;	/* a thread stuck in KVM_RUN still uses all of it */
	munmap(t[1].run, run_size);
	close(vcpu2);
	kvmt_destroy_vm(&vm);
}

/* Concurrent KVM_CREATE_VCPU of the same id: exactly one wins. */
struct hammer_creator {
	int vm_fd, fd, err;
	pthread_barrier_t *barrier;
};

static void *hammer_creator_thread(void *arg)
{
	struct hammer_creator *c = arg;

	pthread_barrier_wait(c->barrier);
	c->fd = ioctl(c->vm_fd, KVM_CREATE_VCPU, 5);
	c->err = errno;
	return NULL;
}

static void hammer_create_race_case(struct hammer *h)
{
	struct hammer_creator c[4];
	pthread_barrier_t barrier;
	pthread_t th[4];
	int sys, vm, round, i, won, lost, bad = 0;

	sys = open(h->ctx.dev, O_RDWR | O_CLOEXEC);
	pthread_barrier_init(&barrier, NULL, 4);
	for (round = 0; round < 20; round++) {
		vm = ioctl(sys, KVM_CREATE_VM, 0);
		if (vm < 0)
			break;
		for (i = 0; i < 4; i++) {
			c[i].vm_fd = vm;
			c[i].barrier = &barrier;
			pthread_create(&th[i], NULL, hammer_creator_thread, &c[i]);
		}
		won = lost = 0;
		for (i = 0; i < 4; i++) {
			pthread_join(th[i], NULL);
			if (c[i].fd >= 0) {
				won++;
				close(c[i].fd);
			} else {
				lost += c[i].err == EEXIST;
			}
		}
		bad += won != 1 || lost != 3;
		close(vm);
	}
	pthread_barrier_destroy(&barrier);
	close(sys);
	hammer_check(h, round == 20 && !bad,
		     "lifetime: 4 threads creating vCPU 5 at once: one wins, "
		     "three get EEXIST (%d of %d rounds wrong)", bad, round);
}

/* A child process (another mm) gets EIO from the parent's VM and vCPU. */
static void hammer_fork_case(struct hammer *h)
{
	struct kvm_regs regs;
	struct kvmt_vm vm;
	int status = -1;
	pid_t pid;

	if (hammer_vm_with_code(h, &vm, hammer_out_hlt, sizeof(hammer_out_hlt)) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		int bits = 0;

		bits |= (ioctl(vm.vm_fd, KVM_CREATE_VCPU, 3) < 0 && errno == EIO) << 0;
		bits |= (ioctl(vm.vcpu_fd, KVM_GET_REGS, &regs) < 0 && errno == EIO) << 1;
		bits |= (ioctl(vm.vcpu_fd, KVM_RUN, 0) < 0 && errno == EIO) << 2;
		bits |= (ioctl(vm.sys_fd, KVM_GET_API_VERSION, 0) == 12) << 3;
		_exit(bits);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	hammer_check(h, WIFEXITED(status) && WEXITSTATUS(status) == 15,
		     "lifetime: a child process gets EIO on the parent's VM and vCPU fds "
		     "(checks passed: 0x%x of 0xf)", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	/* And the parent's vCPU is unharmed. */
	hammer_check(h, hammer_run_bounded(vm.vcpu_fd, 5000) == 0 &&
		     vm.run->exit_reason == KVM_EXIT_IO,
		     "lifetime: the parent's vCPU still runs after the child's tries");
	kvmt_destroy_vm(&vm);
}

/* Closing order: VM first, /dev first, vCPUs in a scatter, runs between. */
static void hammer_close_order_case(struct hammer *h)
{
	int sys, vm, vcpu[4], i, ok = 1;
	struct kvmt_vm kv;

	for (i = 0; i < 3; i++) {
		sys = open(h->ctx.dev, O_RDWR | O_CLOEXEC);
		vm = ioctl(sys, KVM_CREATE_VM, 0);
		vcpu[0] = ioctl(vm, KVM_CREATE_VCPU, 0);
		vcpu[1] = ioctl(vm, KVM_CREATE_VCPU, 1);
		vcpu[2] = dup(vcpu[1]);
		ok &= sys >= 0 && vm >= 0 && vcpu[0] >= 0 && vcpu[1] >= 0;
		switch (i) {
		case 0:
			close(vm); close(vcpu[1]); close(sys); close(vcpu[0]); close(vcpu[2]);
			break;
		case 1:
			close(vcpu[2]); close(vcpu[0]); close(vm); close(vcpu[1]); close(sys);
			break;
		default:
			close(sys); close(vcpu[0]); close(vcpu[1]); close(vcpu[2]); close(vm);
			break;
		}
	}
	hammer_check(h, ok, "lifetime: VM, vCPU, dup()ed vCPU and /dev fds closed in three orders");

	/* A vCPU keeps running with the VM and /dev fds closed. */
	if (hammer_vm_with_code(h, &kv, hammer_out_hlt, sizeof(hammer_out_hlt)) == 0) {
		close(kv.vm_fd);
		close(kv.sys_fd);
		kv.vm_fd = kv.sys_fd = -1;
		hammer_check(h, hammer_run_bounded(kv.vcpu_fd, 5000) == 0 &&
			     kv.run->exit_reason == KVM_EXIT_IO,
			     "lifetime: a vCPU runs with its VM and /dev fds closed");
		kvmt_destroy_vm(&kv);
	}
}

void hammer_lifetime_cases(struct hammer *h)
{
	hammer_close_order_case(h);
	hammer_thread_cases(h);
	hammer_slot_toggle_case(h);
	hammer_create_race_case(h);
	hammer_fork_case(h);
}
