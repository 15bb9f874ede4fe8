// SPDX-License-Identifier: GPL-2.0
/*
 * kvmt harness: VM/vCPU setup, CPU mode setup and exit checking over raw
 * KVM ioctls.  Every helper returns 0 or -1; on -1 it has already written a
 * message into ctx->msg saying what was expected and what was seen.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#include "kvmt.h"

#define X86_CR0_PE	(1ull << 0)
#define X86_CR0_ET	(1ull << 4)
#define X86_CR0_NE	(1ull << 5)
#define X86_CR0_PG	(1ull << 31)
#define X86_CR4_PAE	(1ull << 5)
#define X86_EFER_LME	(1ull << 8)
#define X86_EFER_LMA	(1ull << 10)

#define PTE_P		(1ull << 0)
#define PTE_RW		(1ull << 1)
#define PTE_PS		(1ull << 7)

#define SEL_CODE32	0x08
#define SEL_DATA	0x10
#define SEL_CODE64	0x18

/* Where KVM_SET_TSS_ADDR puts its 3 pages: the top of 4 GiB, as QEMU does. */
#define KVMT_TSS_ADDR	0xfffbd000ul

static volatile sig_atomic_t kvmt_timed_out;

static const char *const kvmt_exit_names[] = {
#define EXIT_NAME(x) [KVM_EXIT_##x] = #x,
	EXIT_NAME(UNKNOWN) EXIT_NAME(EXCEPTION) EXIT_NAME(IO)
	EXIT_NAME(HYPERCALL) EXIT_NAME(DEBUG) EXIT_NAME(HLT) EXIT_NAME(MMIO)
	EXIT_NAME(IRQ_WINDOW_OPEN) EXIT_NAME(SHUTDOWN) EXIT_NAME(FAIL_ENTRY)
	EXIT_NAME(INTR) EXIT_NAME(SET_TPR) EXIT_NAME(TPR_ACCESS) EXIT_NAME(NMI)
	EXIT_NAME(INTERNAL_ERROR) EXIT_NAME(SYSTEM_EVENT)
	EXIT_NAME(IOAPIC_EOI) EXIT_NAME(X86_RDMSR) EXIT_NAME(X86_WRMSR)
#undef EXIT_NAME
};

const char *kvmt_exit_name(uint32_t reason)
{
	if (reason < sizeof(kvmt_exit_names) / sizeof(kvmt_exit_names[0]) &&
	    kvmt_exit_names[reason])
		return kvmt_exit_names[reason];
	return "?";
}

static void kvmt_vset(struct kvmt_ctx *ctx, const char *fmt, va_list ap)
{
	/* Keep the first message: later ones are usually consequences. */
	if (ctx->msg[0])
		return;
	vsnprintf(ctx->msg, sizeof(ctx->msg), fmt, ap);
}

enum kvmt_result kvmt_fail(struct kvmt_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvmt_vset(ctx, fmt, ap);
	va_end(ap);
	return KVMT_FAIL;
}

enum kvmt_result kvmt_skip(struct kvmt_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvmt_vset(ctx, fmt, ap);
	va_end(ap);
	return KVMT_SKIP;
}

void kvmt_note(struct kvmt_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	(void)ctx;
	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

static void kvmt_on_alarm(int sig)
{
	(void)sig;
	kvmt_timed_out = 1;
}

/*
 * SIGALRM without SA_RESTART makes a KVM_RUN stuck in the guest return
 * -EINTR: that is our watchdog.  Called once from main().
 */
void kvmt_init_watchdog(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kvmt_on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
}

int kvmt_open_dev(struct kvmt_ctx *ctx)
{
	int fd = open(ctx->dev, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		kvmt_fail(ctx, "open %s: %s", ctx->dev, strerror(errno));
	return fd;
}

int kvmt_check_cap(int fd, long cap)
{
	int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

static int kvmt_add_slot(struct kvmt_vm *vm, uint32_t slot, uint64_t gpa,
			 uint64_t size)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)(vm->mem + gpa),
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
		kvmt_fail(vm->ctx, "KVM_SET_USER_MEMORY_REGION slot %u: %s",
			  slot, strerror(errno));
		return -1;
	}
	return 0;
}

int kvmt_create_vm(struct kvmt_ctx *ctx, struct kvmt_vm *vm, unsigned flags)
{
	int size;

	memset(vm, 0, sizeof(*vm));
	vm->ctx = ctx;
	vm->vm_fd = vm->vcpu_fd = -1;
	vm->sys_fd = kvmt_open_dev(ctx);
	if (vm->sys_fd < 0)
		return -1;
	vm->vm_fd = ioctl(vm->sys_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		kvmt_fail(ctx, "KVM_CREATE_VM: %s", strerror(errno));
		return -1;
	}
	/* Intel without unrestricted guest needs this for real mode. */
	if (kvmt_check_cap(vm->sys_fd, KVM_CAP_SET_TSS_ADDR) > 0 &&
	    ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, KVMT_TSS_ADDR) < 0) {
		kvmt_fail(ctx, "KVM_SET_TSS_ADDR: %s", strerror(errno));
		return -1;
	}
	vm->mem = mmap(NULL, KVMT_MEM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED) {
		vm->mem = NULL;
		kvmt_fail(ctx, "mmap guest memory: %s", strerror(errno));
		return -1;
	}
	if (!(flags & KVMT_VM_NO_MEMORY) &&
	    (kvmt_add_slot(vm, 0, 0, KVMT_LOW_END) < 0 ||
	     kvmt_add_slot(vm, 1, KVMT_HIGH, KVMT_MEM_SIZE - KVMT_HIGH) < 0))
		return -1;
	if ((flags & KVMT_VM_IRQCHIP) &&
	    ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		kvmt_fail(ctx, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
		return -1;
	}
	if (flags & KVMT_VM_NO_VCPU)
		return 0;

	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0) {
		kvmt_fail(ctx, "KVM_CREATE_VCPU 0: %s", strerror(errno));
		return -1;
	}
	size = ioctl(vm->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run)) {
		kvmt_fail(ctx, "KVM_GET_VCPU_MMAP_SIZE: %d (%s), need >= %zu",
			  size, size < 0 ? strerror(errno) : "too small",
			  sizeof(struct kvm_run));
		return -1;
	}
	vm->run_size = size;
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED) {
		vm->run = NULL;
		kvmt_fail(ctx, "mmap vcpu run area: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void kvmt_destroy_vm(struct kvmt_vm *vm)
{
	if (vm->run)
		munmap(vm->run, vm->run_size);
	if (vm->mem)
		munmap(vm->mem, KVMT_MEM_SIZE);
	if (vm->vcpu_fd >= 0)
		close(vm->vcpu_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->sys_fd >= 0)
		close(vm->sys_fd);
	memset(vm, 0, sizeof(*vm));
	vm->sys_fd = vm->vm_fd = vm->vcpu_fd = -1;
}

void kvmt_load_code(struct kvmt_vm *vm, const uint8_t *code, size_t len)
{
	memcpy(vm->mem + KVMT_CODE, code, len);
}

static int kvmt_set_regs_at_code(struct kvmt_vm *vm)
{
	struct kvm_regs regs;

	memset(&regs, 0, sizeof(regs));
	regs.rip = KVMT_CODE;
	regs.rsp = KVMT_STACK;
	regs.rflags = 0x2;	/* bit 1 is always set; IF starts clear */
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs) < 0) {
		kvmt_fail(vm->ctx, "KVM_SET_REGS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int kvmt_get_sregs(struct kvmt_vm *vm, struct kvm_sregs *sregs)
{
	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, sregs) < 0) {
		kvmt_fail(vm->ctx, "KVM_GET_SREGS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int kvmt_set_sregs(struct kvmt_vm *vm, struct kvm_sregs *sregs)
{
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, sregs) < 0) {
		kvmt_fail(vm->ctx, "KVM_SET_SREGS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int kvmt_setup_real(struct kvmt_vm *vm)
{
	struct kvm_sregs sregs;
	struct kvm_segment *segs[6];
	int i;

	if (kvmt_get_sregs(vm, &sregs) < 0)
		return -1;
	/* Reset CS is f000:fff0 with base 0xffff0000; flatten everything to 0. */
	segs[0] = &sregs.cs; segs[1] = &sregs.ds; segs[2] = &sregs.es;
	segs[3] = &sregs.fs; segs[4] = &sregs.gs; segs[5] = &sregs.ss;
	for (i = 0; i < 6; i++) {
		segs[i]->base = 0;
		segs[i]->selector = 0;
	}
	if (kvmt_set_sregs(vm, &sregs) < 0)
		return -1;
	return kvmt_set_regs_at_code(vm);
}

static void kvmt_write_gdt(struct kvmt_vm *vm)
{
	/* Real descriptors matching the caches we load, so a reload agrees. */
	static const uint64_t gdt[] = {
		0,
		0x00cf9b000000ffffull,	/* 0x08: code32, flat, 4 GiB */
		0x00cf93000000ffffull,	/* 0x10: data, flat, 4 GiB */
		0x00af9b000000ffffull,	/* 0x18: code64 */
	};

	memcpy(vm->mem + KVMT_GDT, gdt, sizeof(gdt));
}

static void kvmt_flat_segment(struct kvm_segment *s, uint16_t sel, int code)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = code ? 0xb : 0x3;	/* exec/read accessed, or read/write accessed */
	s->present = 1;
	s->dpl = 0;
	s->db = 1;
	s->s = 1;
	s->g = 1;
}

static int kvmt_setup_flat(struct kvmt_vm *vm, struct kvm_sregs *sregs)
{
	if (kvmt_get_sregs(vm, sregs) < 0)
		return -1;
	kvmt_write_gdt(vm);
	sregs->gdt.base = KVMT_GDT;
	sregs->gdt.limit = 4 * 8 - 1;
	kvmt_flat_segment(&sregs->cs, SEL_CODE32, 1);
	kvmt_flat_segment(&sregs->ds, SEL_DATA, 0);
	sregs->es = sregs->fs = sregs->gs = sregs->ss = sregs->ds;
	sregs->cr0 |= X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
	return 0;
}

int kvmt_setup_protected(struct kvmt_vm *vm)
{
	struct kvm_sregs sregs;

	if (kvmt_setup_flat(vm, &sregs) < 0 || kvmt_set_sregs(vm, &sregs) < 0)
		return -1;
	return kvmt_set_regs_at_code(vm);
}

/*
 * Identity map: PML4[0] -> PDPT[0] -> PD; PD[0] -> a PT of 4 KiB pages for
 * the first 2 MiB (so the walk uses all four levels where the code runs),
 * PD[1..511] are 2 MiB pages up to 1 GiB.
 */
static void kvmt_build_page_tables(struct kvmt_vm *vm)
{
	uint64_t *pml4 = (uint64_t *)(vm->mem + KVMT_PML4);
	uint64_t *pdpt = pml4 + 512;
	uint64_t *pd = pdpt + 512;
	uint64_t *pt = pd + 512;
	uint64_t i;

	memset(pml4, 0, 4 * 4096);
	pml4[0] = (KVMT_PML4 + 0x1000) | PTE_P | PTE_RW;
	pdpt[0] = (KVMT_PML4 + 0x2000) | PTE_P | PTE_RW;
	pd[0] = (KVMT_PML4 + 0x3000) | PTE_P | PTE_RW;
	for (i = 1; i < 512; i++)
		pd[i] = (i << 21) | PTE_P | PTE_RW | PTE_PS;
	for (i = 0; i < 512; i++)
		pt[i] = (i << 12) | PTE_P | PTE_RW;
}

int kvmt_setup_long(struct kvmt_vm *vm)
{
	struct kvm_sregs sregs;

	if (kvmt_setup_flat(vm, &sregs) < 0)
		return -1;
	kvmt_build_page_tables(vm);
	sregs.cs.selector = SEL_CODE64;
	sregs.cs.l = 1;
	sregs.cs.db = 0;
	sregs.cr3 = KVMT_PML4;
	sregs.cr4 |= X86_CR4_PAE;
	sregs.cr0 |= X86_CR0_PG;
	sregs.efer |= X86_EFER_LME | X86_EFER_LMA;
	if (kvmt_set_sregs(vm, &sregs) < 0)
		return -1;
	return kvmt_set_regs_at_code(vm);
}

static void kvmt_describe_exit(struct kvmt_vm *vm, char *buf, size_t len)
{
	struct kvm_run *run = vm->run;
	uint64_t v = 0;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		if (run->io.data_offset + run->io.size <= vm->run_size &&
		    run->io.size <= sizeof(v))
			memcpy(&v, (uint8_t *)run + run->io.data_offset,
			       run->io.size);
		snprintf(buf, len, "IO %s port 0x%x size %u count %u data 0x%llx",
			 run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
			 run->io.port, run->io.size, run->io.count,
			 run->io.direction == KVM_EXIT_IO_OUT ?
			 (unsigned long long)v : 0ull);
		break;
	case KVM_EXIT_MMIO:
		if (run->mmio.len <= sizeof(v))
			memcpy(&v, run->mmio.data, run->mmio.len);
		snprintf(buf, len, "MMIO %s addr 0x%llx len %u data 0x%llx",
			 run->mmio.is_write ? "write" : "read",
			 (unsigned long long)run->mmio.phys_addr, run->mmio.len,
			 run->mmio.is_write ? (unsigned long long)v : 0ull);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(buf, len, "FAIL_ENTRY hw reason 0x%llx",
			 (unsigned long long)
			 run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(buf, len, "INTERNAL_ERROR suberror %u",
			 run->internal.suberror);
		break;
	default:
		snprintf(buf, len, "%s (%u)", kvmt_exit_name(run->exit_reason),
			 run->exit_reason);
		break;
	}
}

int kvmt_run_vcpu(struct kvmt_vm *vm)
{
	struct itimerval arm = {
		/* Re-fire every second in case the first one hit outside KVM_RUN. */
		.it_interval = { .tv_sec = 1 },
		.it_value = { .tv_sec = vm->ctx->timeout },
	};
	struct itimerval disarm;
	char what[160];
	int r, err;

	memset(&disarm, 0, sizeof(disarm));
	kvmt_timed_out = 0;
	setitimer(ITIMER_REAL, &arm, NULL);
	do {
		r = ioctl(vm->vcpu_fd, KVM_RUN, 0);
		err = errno;
	} while (r < 0 && err == EINTR && !kvmt_timed_out);
	setitimer(ITIMER_REAL, &disarm, NULL);

	if (r < 0 && err == EINTR)
		return kvmt_fail(vm->ctx, "no exit within %u s after exit #%u "
				 "(guest halted with nothing to wake it, or looping)",
				 vm->ctx->timeout, vm->nr_exits);
	if (r < 0)
		return kvmt_fail(vm->ctx, "KVM_RUN after exit #%u: %s",
				 vm->nr_exits, strerror(err));
	vm->nr_exits++;
	if (vm->ctx->verbose) {
		kvmt_describe_exit(vm, what, sizeof(what));
		kvmt_note(vm->ctx, "exit #%u: %s", vm->nr_exits, what);
	}
	return 0;
}

static int kvmt_mismatch(struct kvmt_vm *vm, const char *expected)
{
	char seen[160];

	kvmt_describe_exit(vm, seen, sizeof(seen));
	return kvmt_fail(vm->ctx, "exit #%u: expected %s, saw %s",
			 vm->nr_exits, expected, seen);
}

int kvmt_expect_io(struct kvmt_vm *vm, uint16_t port, uint8_t size,
		   uint8_t dir, uint64_t value)
{
	struct kvm_run *run = vm->run;
	char want[128];
	uint64_t v = 0;
	uint8_t *data;

	snprintf(want, sizeof(want), "IO %s port 0x%x size %u count 1 data 0x%llx",
		 dir == KVM_EXIT_IO_OUT ? "out" : "in", port, size,
		 dir == KVM_EXIT_IO_OUT ? (unsigned long long)value : 0ull);
	if (kvmt_run_vcpu(vm) < 0)
		return -1;
	if (run->exit_reason != KVM_EXIT_IO || run->io.direction != dir ||
	    run->io.port != port || run->io.size != size || run->io.count != 1)
		return kvmt_mismatch(vm, want);
	if (run->io.data_offset < sizeof(*run) ||
	    run->io.data_offset + size > vm->run_size)
		return kvmt_fail(vm->ctx, "exit #%u: io.data_offset 0x%llx is "
				 "outside the run area (size 0x%zx)", vm->nr_exits,
				 (unsigned long long)run->io.data_offset,
				 vm->run_size);
	data = (uint8_t *)run + run->io.data_offset;
	if (dir == KVM_EXIT_IO_IN) {
		memcpy(data, &value, size);	/* little-endian host */
		return 0;
	}
	memcpy(&v, data, size);
	if (v != value)
		return kvmt_mismatch(vm, want);
	return 0;
}

int kvmt_expect_mmio(struct kvmt_vm *vm, uint64_t addr, uint32_t len,
		     int is_write, uint64_t value)
{
	struct kvm_run *run = vm->run;
	char want[128];
	uint64_t v = 0;

	snprintf(want, sizeof(want), "MMIO %s addr 0x%llx len %u data 0x%llx",
		 is_write ? "write" : "read", (unsigned long long)addr, len,
		 is_write ? (unsigned long long)value : 0ull);
	if (kvmt_run_vcpu(vm) < 0)
		return -1;
	if (run->exit_reason != KVM_EXIT_MMIO || run->mmio.phys_addr != addr ||
	    run->mmio.len != len || !run->mmio.is_write != !is_write ||
	    len > sizeof(v))
		return kvmt_mismatch(vm, want);
	if (!is_write) {
		memcpy(run->mmio.data, &value, len);
		return 0;
	}
	memcpy(&v, run->mmio.data, len);
	if (v != value)
		return kvmt_mismatch(vm, want);
	return 0;
}

int kvmt_expect_exit(struct kvmt_vm *vm, uint32_t reason)
{
	char want[64];

	snprintf(want, sizeof(want), "%s", kvmt_exit_name(reason));
	if (kvmt_run_vcpu(vm) < 0)
		return -1;
	if (vm->run->exit_reason != reason)
		return kvmt_mismatch(vm, want);
	return 0;
}

int kvmt_expect_hlt(struct kvmt_vm *vm, uint64_t rip)
{
	struct kvm_regs regs;

	if (kvmt_expect_exit(vm, KVM_EXIT_HLT) < 0)
		return -1;
	if (!rip)
		return 0;
	if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &regs) < 0)
		return kvmt_fail(vm->ctx, "KVM_GET_REGS: %s", strerror(errno));
	/* KVM reports HLT with RIP already past the instruction. */
	if (regs.rip != rip)
		return kvmt_fail(vm->ctx, "exit #%u: HLT with rip 0x%llx, "
				 "expected 0x%llx (just past the hlt)",
				 vm->nr_exits, (unsigned long long)regs.rip,
				 (unsigned long long)rip);
	return 0;
}
