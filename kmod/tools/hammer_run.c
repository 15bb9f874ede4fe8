// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl_hammer, KVM_RUN: a vCPU with no memory, garbage registers over
 * random memory, random FPU images, guests aimed at the exit handlers
 * (string I/O off the end of a slot, code and page tables in MMIO), slots
 * over memory that cannot be pinned or is gone, garbage in kvm_run.
 */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "hammer.h"

#define PAGE 4096ul

/* Exit reasons a hostile but harmless guest may end in. */
int hammer_benign_exit(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_IO: case KVM_EXIT_MMIO: case KVM_EXIT_HLT:
	case KVM_EXIT_SHUTDOWN: case KVM_EXIT_FAIL_ENTRY: case KVM_EXIT_INTR:
	case KVM_EXIT_INTERNAL_ERROR: case KVM_EXIT_IRQ_WINDOW_OPEN:
	case KVM_EXIT_EXCEPTION: case KVM_EXIT_SYSTEM_EVENT:
		return 1;
	default:
		return 0;
	}
}

/* Up to N runs; each must return 0 with a benign exit or EINTR/EFAULT. */
static int hammer_run_survives(struct hammer *h, struct kvmt_vm *vm, int n,
			       char *why, size_t len, int *efault)
{
	long r;
	int i;

	*efault = 0;
	for (i = 0; i < n; i++) {
		r = hammer_run_bounded(vm->vcpu_fd, 50);
		/* KVM 6.1 answers a vCPU with no memory at all with ENOSPC. */
		if (r < 0 && h->is_kvm && errno == ENOSPC)
			return 1;
		if (r < 0 && (errno == EINTR || errno == EFAULT)) {
			*efault |= errno == EFAULT;
			if (errno == EFAULT)
				return 1;
			continue;
		}
		if (r < 0) {
			snprintf(why, len, "KVM_RUN #%d failed with %s", i,
				 strerrorname_np(errno));
			return 0;
		}
		if (!hammer_benign_exit(vm->run->exit_reason)) {
			snprintf(why, len, "KVM_RUN #%d: exit reason %u", i,
				 vm->run->exit_reason);
			return 0;
		}
		/* The guest is done (or dead): no point running it on. */
		if (vm->run->exit_reason == KVM_EXIT_SHUTDOWN ||
		    vm->run->exit_reason == KVM_EXIT_FAIL_ENTRY ||
		    vm->run->exit_reason == KVM_EXIT_HLT)
			return 1;
	}
	return 1;
}

static void hammer_garbage_sregs(struct hammer *h, struct kvm_sregs *s, int wild)
{
	hammer_random_fill(h, s, sizeof(*s));
	memset(s->interrupt_bitmap, 0, sizeof(s->interrupt_bitmap));
	if (wild)
		return;
	/* Values SET_SREGS accepts, so the garbage reaches VMRUN. */
	s->cr0 &= 0xe005003full;		/* PE MP EM TS ET NE WP AM NW CD PG */
	if ((s->cr0 & (1ull << 31)) && !(s->cr0 & 1))
		s->cr0 &= ~(1ull << 31);	/* PG needs PE */
	if ((s->cr0 & (1ull << 29)) && !(s->cr0 & (1ull << 30)))
		s->cr0 &= ~(1ull << 29);	/* NW needs CD */
	s->cr4 &= 0x3ff;
	s->efer = 0;
}

/*
 * Guests aimed at the exit handlers: string I/O running off the end of a
 * slot or wrapping its index register, code fetched from MMIO, page tables
 * in MMIO.  Each must end in a benign exit (INTERNAL_ERROR and SHUTDOWN
 * included), never a host error.
 */
struct hammer_guest {
	const char *name;
	uint8_t code[24];
	size_t len;
	uint64_t es_base;	/* ES (and DS) base, real mode */
	int long_mode_cr3_mmio;
};

static const struct hammer_guest hammer_hostile_guests[] = {
	/* mov di,0xfff0; mov cx,64; mov dx,0x3f8; rep insb (ES 0xb0000: crosses 0xc0000) */
	{ "rep insb across the end of slot 0",
	  { 0xbf, 0xf0, 0xff, 0xb9, 0x40, 0x00, 0xba, 0xf8, 0x03, 0xf3, 0x6c, 0xf4 },
	  12, 0xb0000, 0 },
	/* mov si,0xfff0; mov cx,64; mov dx,0x3f8; rep outsb (DS 0xb0000) */
	{ "rep outsb across the end of slot 0",
	  { 0xbe, 0xf0, 0xff, 0xb9, 0x40, 0x00, 0xba, 0xf8, 0x03, 0xf3, 0x6e, 0xf4 },
	  12, 0xb0000, 0 },
	/* std; mov di,8; mov cx,0x2000; rep insw: DI wraps below 0 */
	{ "std; rep insw wrapping DI below 0",
	  { 0xfd, 0xbf, 0x08, 0x00, 0xb9, 0x00, 0x20, 0xba, 0xf8, 0x03, 0xf3, 0x6d, 0xf4 },
	  13, 0, 0 },
	/* mov si,0; mov cx,0xffff; rep outsw from the MMIO hole (DS 0xd0000) */
	{ "rep outsw from unbacked memory",
	  { 0xbe, 0x00, 0x00, 0xb9, 0xff, 0xff, 0xba, 0xf8, 0x03, 0xf3, 0x6f, 0xf4 },
	  12, 0xd0000, 0 },
	/* jmp far 0xd000:0000 -- code fetched from MMIO */
	{ "code fetched from MMIO", { 0xea, 0x00, 0x00, 0x00, 0xd0 }, 5, 0, 0 },
	/* mov word [0xfffe],ax with DS 0xbf000: a store crossing into the hole */
	{ "store crossing from RAM into MMIO",
	  { 0xa3, 0xff, 0x0f, 0xf4 }, 4, 0xbf000, 0 },
	/* long mode, then CR3 moved into the hole: every walk is MMIO */
	{ "long mode with page tables in MMIO", { 0x90, 0xf4 }, 2, 0, 1 },
};

static void hammer_hostile_guest_cases(struct hammer *h)
{
	struct kvm_sregs sregs;
	struct kvmt_vm vm;
	char why[160];
	size_t i;
	int efault, ok;

	for (i = 0; i < sizeof(hammer_hostile_guests) / sizeof(hammer_hostile_guests[0]); i++) {
		const struct hammer_guest *g = &hammer_hostile_guests[i];

		if (hammer_vm_with_code(h, &vm, g->code, g->len) < 0) {
			hammer_fail(h, "run: %s: %s", g->name, h->ctx.msg);
			continue;
		}
		if (g->long_mode_cr3_mmio) {
			kvmt_setup_long(&vm);
			ioctl(vm.vcpu_fd, KVM_GET_SREGS, &sregs);
			sregs.cr3 = KVMT_MMIO;
			ioctl(vm.vcpu_fd, KVM_SET_SREGS, &sregs);
		} else if (g->es_base) {
			ioctl(vm.vcpu_fd, KVM_GET_SREGS, &sregs);
			sregs.es.base = sregs.ds.base = g->es_base;
			ioctl(vm.vcpu_fd, KVM_SET_SREGS, &sregs);
		}
		why[0] = 0;
		ok = hammer_run_survives(h, &vm, 40, why, sizeof(why), &efault);
		hammer_check(h, ok, "run: hostile guest: %s (%s; last exit %u)", g->name,
			     why[0] ? why : "benign exits", vm.run->exit_reason);
		kvmt_destroy_vm(&vm);
	}
}

/* Slots over memory pin_user_pages cannot or should not take. */
static void hammer_special_slot_cases(struct hammer *h)
{
	/* mov al,[fs:0]; mov [fs:0],al; out 0x80,al; hlt */
	static const uint8_t code[] = { 0x64, 0xa0, 0x00, 0x00, 0x64, 0xa2, 0x00, 0x00,
					0xe6, 0x80, 0xf4 };
	struct kvm_userspace_memory_region reg;
	unsigned long lo = 0, hi = 0;
	struct kvm_sregs sregs;
	struct kvmt_vm vm, other;
	char line[256];
	FILE *maps;
	long r;
	int k;

	maps = fopen("/proc/self/maps", "r");
	while (maps && fgets(line, sizeof(line), maps))
		if (strstr(line, "[vvar]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			break;
	if (maps)
		fclose(maps);
	for (k = 0; k < 3; k++) {
		const char *what = k == 0 ? "the [vvar] page" :
				   k == 1 ? "its own vCPU's run area" : "another VM's run area";

		if (hammer_vm_with_code(h, &vm, code, sizeof(code)) < 0)
			return;
		memset(&reg, 0, sizeof(reg));
		reg.slot = 2;
		reg.guest_phys_addr = 0x400000;
		if (k == 0) {
			reg.userspace_addr = lo;
			reg.memory_size = PAGE;
		} else if (k == 1) {
			reg.userspace_addr = (uintptr_t)vm.run;
			reg.memory_size = vm.run_size & ~(PAGE - 1);
		} else {
			if (hammer_vm_with_code(h, &other, code, sizeof(code)) < 0) {
				kvmt_destroy_vm(&vm);
				return;
			}
			reg.userspace_addr = (uintptr_t)other.run;
			reg.memory_size = other.run_size & ~(PAGE - 1);
		}
		if (k == 0 && !lo) {
			kvmt_destroy_vm(&vm);
			continue;
		}
		r = ioctl(vm.vm_fd, KVM_SET_USER_MEMORY_REGION, &reg);
		ioctl(vm.vcpu_fd, KVM_GET_SREGS, &sregs);
		sregs.fs.base = 0x400000;
		ioctl(vm.vcpu_fd, KVM_SET_SREGS, &sregs);
		if (r == 0)
			r = hammer_run_bounded(vm.vcpu_fd, 2000);
		hammer_check(h, (r == 0 && hammer_benign_exit(vm.run->exit_reason)) ||
			     (r < 0 && (errno == EFAULT || errno == EINVAL)),
			     "run: a slot over %s: refused, EFAULT or a clean exit (r %ld %s, exit %u)",
			     what, r, r < 0 ? strerrorname_np(errno) : "", vm.run->exit_reason);
		/* Close the VM whose run area is pinned first, then the pinner. */
		if (k == 2)
			kvmt_destroy_vm(&other);
		kvmt_destroy_vm(&vm);
	}
}

void hammer_run_cases(struct hammer *h)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvmt_vm vm;
	char why[160];
	int i, efault, ok, rejected = 0, ran = 0;
	long r;

	/* No memory at all: the reset vector is in no slot. */
	h->ctx.msg[0] = 0;
	if (kvmt_create_vm(&h->ctx, &vm, KVMT_VM_NO_MEMORY) == 0) {
		why[0] = 0;
		ok = hammer_run_survives(h, &vm, 5, why, sizeof(why), &efault);
		hammer_check(h, ok, "run: KVM_RUN with no memory ends cleanly (%s)",
			     why[0] ? why : "ok");
		kvmt_destroy_vm(&vm);
	} else {
		hammer_fail(h, "run: KVM_RUN with no memory: %s", h->ctx.msg);
	}

	/* Garbage registers over random memory: 24 guests, seeded. */
	for (i = 0; i < 24; i++) {
		if (hammer_vm_with_code(h, &vm, hammer_spin, sizeof(hammer_spin)) < 0)
			break;
		hammer_random_fill(h, vm.mem, KVMT_MEM_SIZE);
		hammer_random_fill(h, &regs, sizeof(regs));
		if (i & 1)
			regs.rip &= 0xffff;
		regs.rflags = (regs.rflags & 0x3f7fd5) | 2;
		ioctl(vm.vcpu_fd, KVM_SET_REGS, &regs);
		ioctl(vm.vcpu_fd, KVM_GET_SREGS, &sregs);
		hammer_garbage_sregs(h, &sregs, i % 3 == 0);
		if (ioctl(vm.vcpu_fd, KVM_SET_SREGS, &sregs) < 0) {
			if (errno != EINVAL) {
				hammer_fail(h, "run: KVM_SET_SREGS garbage #%d: %s", i,
					    strerrorname_np(errno));
			}
			rejected++;
		}
		why[0] = 0;
		if (!hammer_run_survives(h, &vm, 8, why, sizeof(why), &efault))
			hammer_fail(h, "run: garbage guest #%d: %s", i, why);
		else
			ran++;
		kvmt_destroy_vm(&vm);
	}
	hammer_check(h, ran == 24, "run: 24 guests with garbage registers and memory "
		     "(%d ran, %d sregs refused)", ran, rejected);

	hammer_hostile_guest_cases(h);
	hammer_special_slot_cases(h);

	/* Random x87/SSE images (MXCSR kept legal): the host restores them. */
	if (hammer_vm_with_code(h, &vm, hammer_out_hlt, sizeof(hammer_out_hlt)) == 0) {
		struct kvm_fpu fpu;
		int good = 0;

		r = 0;
		for (i = 0; i < 8; i++) {
			hammer_random_fill(h, &fpu, sizeof(fpu));
			fpu.mxcsr &= 0xffbf;
			if (ioctl(vm.vcpu_fd, KVM_SET_FPU, &fpu) < 0)
				break;
			kvmt_setup_real(&vm);
			r = hammer_run_bounded(vm.vcpu_fd, 2000);
			/* HLT: KVM finishes the OUT still pending at the same RIP. */
			if (r < 0 || (vm.run->exit_reason != KVM_EXIT_IO &&
				      vm.run->exit_reason != KVM_EXIT_HLT))
				break;
			good++;
		}
		hammer_check(h, good == 8, "run: 8 random FPU images set and run "
			     "(%d ok, then r %ld %s)", good, r,
			     r < 0 ? strerrorname_np(errno) : "");
		kvmt_destroy_vm(&vm);
	}

	/* Guest memory the slot points at is gone or read-only: EFAULT. */
	for (i = 0; i < 2; i++) {
		struct kvm_userspace_memory_region reg;

		if (hammer_vm_with_code(h, &vm, hammer_out_hlt, sizeof(hammer_out_hlt)) < 0)
			break;
		memset(&reg, 0, sizeof(reg));
		reg.memory_size = KVMT_LOW_END;
		reg.userspace_addr = (uintptr_t)vm.mem;
		if (i == 0)
			munmap(vm.mem, KVMT_LOW_END);
		else
			mprotect(vm.mem, KVMT_LOW_END, PROT_READ);
		r = hammer_run_bounded(vm.vcpu_fd, 2000);
		if (i == 0)
			hammer_check(h, r < 0 && errno == EFAULT,
				     "run: guest memory unmapped after the slot was set gives "
				     "EFAULT (r %ld, %s, exit %u)", r,
				     r < 0 ? strerrorname_np(errno) : "-", vm.run->exit_reason);
		else	/* KVM maps it read-only for the guest; EFAULT is fine too */
			hammer_check(h, (r < 0 && errno == EFAULT) ||
				     (r == 0 && vm.run->exit_reason == KVM_EXIT_IO),
				     "run: guest memory mapped read-only gives EFAULT or runs "
				     "(r %ld, %s, exit %u)", r,
				     r < 0 ? strerrorname_np(errno) : "-", vm.run->exit_reason);
		if (i == 0) {
			/* Put memory back so kvmt_destroy_vm's munmap stays sane. */
			mmap(vm.mem, KVMT_LOW_END, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		}
		kvmt_destroy_vm(&vm);
	}

	/* A pending IN/MMIO read, then a garbage kvm_run before the next run. */
	if (hammer_vm_with_code(h, &vm, (const uint8_t[]){ 0xec, 0xeb, 0xfd }, 3) == 0) {
		struct kvm_regs rr;

		memset(&rr, 0, sizeof(rr));
		rr.rip = KVMT_CODE;
		rr.rflags = 2;
		rr.rdx = 0x3f8;
		ioctl(vm.vcpu_fd, KVM_SET_REGS, &rr);
		r = hammer_run_bounded(vm.vcpu_fd, 2000);
		hammer_random_fill(h, vm.run, vm.run_size);
		vm.run->immediate_exit = 0;
		r = hammer_run_bounded(vm.vcpu_fd, 50);
		/* EINVAL: KVM checks the sync-regs bits of kvm_run. */
		hammer_check(h, (r == 0 && hammer_benign_exit(vm.run->exit_reason)) ||
			     (r < 0 && (errno == EINTR || errno == EINVAL)),
			     "run: garbage in kvm_run after an IN exit (r %ld, %s)", r,
			     r < 0 ? strerrorname_np(errno) : "exit");
		kvmt_destroy_vm(&vm);
	}
}

