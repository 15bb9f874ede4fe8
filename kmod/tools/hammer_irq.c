// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl_hammer, the in-kernel interrupt family: KVM_CREATE_IRQCHIP,
 * KVM_IRQ_LINE, KVM_SET_GSI_ROUTING, KVM_IRQFD, KVM_IOEVENTFD,
 * KVM_SIGNAL_MSI, KVM_GET/SET_LAPIC, KVM_GET/SET_IRQCHIP.  What the device
 * claims with KVM_CHECK_EXTENSION decides what is checked: a capability it
 * denies must be refused (ENOTTY or EINVAL), one it claims gets KVM's
 * errnos for bad arguments.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hammer.h"

#define PAGE 4096ul

struct hammer_caps {
	int irqchip, routing, irqfd, ioeventfd, msi;
};

/* A capability the device does not claim: the ioctl must be refused. */
static void hammer_refused(struct hammer *h, int fd, unsigned long cmd, void *arg,
			   const char *name, const char *cap)
{
	hammer_fail_with(h, HAMMER_ERRS(ENOTTY, EINVAL, ENXIO), ioctl(fd, cmd, arg),
			 "irq: %s is refused without %s", name, cap);
}

static void hammer_bad_pointers(struct hammer *h, int fd, unsigned long cmd,
				const char *name, size_t size)
{
	int b;

	for (b = 0; b < HAMMER_NR_BAD_PTRS; b++)
		hammer_fail_with(h, HAMMER_ERRS(EFAULT), ioctl(fd, cmd, h->bad[b]),
				 "irq: %s %s pointer is EFAULT", name, h->bad_name[b]);
	hammer_fail_with(h, HAMMER_ERRS(EFAULT), ioctl(fd, cmd, hammer_straddling(h, size)),
			 "irq: %s struct across a guard page is EFAULT", name);
}

static void hammer_irqchip_cases(struct hammer *h, struct kvmt_vm *vm)
{
	struct kvm_irq_level line = { .irq = 4, .level = 1 };
	struct kvm_irqchip chip;
	struct kvm_lapic_state lapic;
	int i;
	long r;

	hammer_fail_with(h, HAMMER_ERRS(EEXIST), ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0),
			 "irq: a second KVM_CREATE_IRQCHIP is EEXIST");
	hammer_bad_pointers(h, vm->vm_fd, KVM_IRQ_LINE, "KVM_IRQ_LINE", sizeof(line));
	hammer_succeeds(h, ioctl(vm->vm_fd, KVM_IRQ_LINE, &line), "irq: KVM_IRQ_LINE 4 high");
	line.level = 0;
	hammer_succeeds(h, ioctl(vm->vm_fd, KVM_IRQ_LINE, &line), "irq: KVM_IRQ_LINE 4 low");
	for (i = 0; i < 3; i++) {
		static const uint32_t irqs[] = { 24, 4095, 0xffffffffu };

		line.irq = irqs[i];
		line.level = 1;
		r = ioctl(vm->vm_fd, KVM_IRQ_LINE, &line);
		/* KVM ignores lines no route names; refusing them is fine too. */
		hammer_check(h, r >= 0 || errno == EINVAL,
			     "irq: KVM_IRQ_LINE %u is ignored or EINVAL (%s)", irqs[i],
			     r >= 0 ? "ignored" : strerrorname_np(errno));
	}

	memset(&chip, 0, sizeof(chip));
	hammer_bad_pointers(h, vm->vm_fd, KVM_GET_IRQCHIP, "KVM_GET_IRQCHIP", sizeof(chip));
	chip.chip_id = 3;
	hammer_fail_with(h, HAMMER_ERRS(EINVAL, ENOTTY), ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &chip),
			 "irq: KVM_GET_IRQCHIP chip 3 is EINVAL");
	chip.chip_id = 0xffffffffu;
	hammer_fail_with(h, HAMMER_ERRS(EINVAL, ENOTTY), ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &chip),
			 "irq: KVM_SET_IRQCHIP chip 2^32-1 is EINVAL");
	for (i = 0; i < 3; i++) {
		hammer_random_fill(h, &chip, sizeof(chip));
		chip.chip_id = i;
		r = ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &chip);
		hammer_check(h, r >= 0 || errno == EINVAL || errno == ENOTTY,
			     "irq: KVM_SET_IRQCHIP chip %d with random state (%s)", i,
			     r >= 0 ? "accepted" : strerrorname_np(errno));
	}

	/* LAPIC: bad pointers, then random register pages, then a run. */
	hammer_bad_pointers(h, vm->vcpu_fd, KVM_GET_LAPIC, "KVM_GET_LAPIC", sizeof(lapic));
	hammer_bad_pointers(h, vm->vcpu_fd, KVM_SET_LAPIC, "KVM_SET_LAPIC", sizeof(lapic));
	hammer_fail_with(h, HAMMER_ERRS(EFAULT), ioctl(vm->vcpu_fd, KVM_GET_LAPIC, h->rdonly),
			 "irq: KVM_GET_LAPIC into a read-only page is EFAULT");
	hammer_succeeds(h, ioctl(vm->vcpu_fd, KVM_GET_LAPIC, &lapic), "irq: KVM_GET_LAPIC");
	for (i = 0; i < 8; i++) {
		hammer_random_fill(h, &lapic, sizeof(lapic));
		r = ioctl(vm->vcpu_fd, KVM_SET_LAPIC, &lapic);
		hammer_check(h, r >= 0 || errno == EINVAL,
			     "irq: KVM_SET_LAPIC random page #%d (%s)", i,
			     r >= 0 ? "accepted" : strerrorname_np(errno));
		kvmt_setup_real(vm);
		r = hammer_run_bounded(vm->vcpu_fd, 100);
		hammer_check(h, r >= 0 || errno == EINTR,
			     "irq: KVM_RUN after random LAPIC #%d (%s)", i,
			     r >= 0 ? "exit" : strerrorname_np(errno));
	}

	/* KVM_CREATE_IRQCHIP once a vCPU exists: KVM says EINVAL (a fresh VM). */
	{
		int sys = open(h->ctx.dev, O_RDWR | O_CLOEXEC);
		int v = ioctl(sys, KVM_CREATE_VM, 0);
		int c = ioctl(v, KVM_CREATE_VCPU, 0);

		hammer_fail_with(h, HAMMER_ERRS(EINVAL), ioctl(v, KVM_CREATE_IRQCHIP, 0),
				 "irq: KVM_CREATE_IRQCHIP after KVM_CREATE_VCPU is EINVAL");
		close(c);
		close(v);
		close(sys);
	}
}

static void hammer_routing_cases(struct hammer *h, struct kvmt_vm *vm)
{
	struct {
		struct kvm_irq_routing hdr;
		struct kvm_irq_routing_entry e[8];
	} rt;
	struct kvm_irq_routing *tail;
	int i;
	long r;

	hammer_bad_pointers(h, vm->vm_fd, KVM_SET_GSI_ROUTING, "KVM_SET_GSI_ROUTING",
			    sizeof(struct kvm_irq_routing));
	{
		static const struct hammer_count counts[] = {
			{ 0xffffffffu, EINVAL, "" }, { 4097, EINVAL, "" },
			{ 1, EFAULT, " (entries in PROT_NONE)" },
		};

		hammer_count_cases(h, vm->vm_fd, KVM_SET_GSI_ROUTING, sizeof(*tail),
				   "irq: KVM_SET_GSI_ROUTING nr", counts, 3);
	}
	tail = (void *)(h->guard + PAGE - sizeof(*tail));
	tail->nr = 0;
	tail->flags = 1;
	hammer_fail_with(h, HAMMER_ERRS(EINVAL), ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, tail),
			 "irq: KVM_SET_GSI_ROUTING flags 1 is EINVAL");

	memset(&rt, 0, sizeof(rt));
	rt.hdr.nr = 1;
	rt.e[0].gsi = 0x10000;
	rt.e[0].type = KVM_IRQ_ROUTING_IRQCHIP;
	rt.e[0].u.irqchip.irqchip = 2;
	rt.e[0].u.irqchip.pin = 1;
	hammer_fail_with(h, HAMMER_ERRS(EINVAL), ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, &rt),
			 "irq: a route for gsi 65536 is EINVAL");
	rt.e[0].gsi = 1;
	rt.e[0].u.irqchip.pin = 24;
	hammer_fail_with(h, HAMMER_ERRS(EINVAL), ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, &rt),
			 "irq: a route to IOAPIC pin 24 is EINVAL");
	rt.e[0].u.irqchip.pin = 1;
	rt.e[0].u.irqchip.irqchip = 7;
	hammer_fail_with(h, HAMMER_ERRS(EINVAL), ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, &rt),
			 "irq: a route to irqchip 7 is EINVAL");
	rt.e[0].u.irqchip.irqchip = 2;
	rt.e[0].type = 99;
	hammer_fail_with(h, HAMMER_ERRS(EINVAL), ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, &rt),
			 "irq: a route of type 99 is EINVAL");
	rt.e[0].type = KVM_IRQ_ROUTING_IRQCHIP;
	rt.e[0].flags = 0x80;
	hammer_fail_with(h, HAMMER_ERRS(EINVAL), ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, &rt),
			 "irq: a route with flags 0x80 is EINVAL");
	/* Random tables: accepted or EINVAL, never anything else. */
	for (i = 0; i < 16; i++) {
		hammer_random_fill(h, &rt, sizeof(rt));
		rt.hdr.nr = 1 + i % 8;
		rt.hdr.flags = 0;
		r = ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, &rt);
		if (r < 0 && errno != EINVAL)
			break;
	}
	hammer_check(h, i == 16, "irq: 16 random routing tables are accepted or EINVAL%s%s",
		     i < 16 ? ", got " : "", i < 16 ? strerrorname_np(errno) : "");
	/* Back to a sane table: gsi 0-23 to the IOAPIC, one MSI route. */
	memset(&rt, 0, sizeof(rt));
	rt.hdr.nr = 2;
	rt.e[0].gsi = 5;
	rt.e[0].type = KVM_IRQ_ROUTING_IRQCHIP;
	rt.e[0].u.irqchip.irqchip = 2;
	rt.e[0].u.irqchip.pin = 5;
	rt.e[1].gsi = 30;
	rt.e[1].type = KVM_IRQ_ROUTING_MSI;
	rt.e[1].u.msi.address_lo = 0xfee00000;
	rt.e[1].u.msi.data = 0x41;
	hammer_succeeds(h, ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, &rt),
			"irq: a table with an IOAPIC and an MSI route");
}

static void hammer_irqfd_cases(struct hammer *h, struct kvmt_vm *vm)
{
	struct kvm_irqfd fd = { .gsi = 5 };
	int efd, efd2, i, many[64], n;
	uint64_t one = 1;
	long r;

	hammer_bad_pointers(h, vm->vm_fd, KVM_IRQFD, "KVM_IRQFD", sizeof(fd));
	fd.fd = -1;
	hammer_fail_with(h, HAMMER_ERRS(EBADF), ioctl(vm->vm_fd, KVM_IRQFD, &fd),
			 "irq: KVM_IRQFD fd -1 is EBADF");
	fd.fd = vm->vm_fd;
	hammer_fail_with(h, HAMMER_ERRS(EINVAL), ioctl(vm->vm_fd, KVM_IRQFD, &fd),
			 "irq: KVM_IRQFD on a VM fd (not an eventfd) is EINVAL");
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	fd.fd = efd;
	fd.flags = 0x80;
	hammer_fail_with(h, HAMMER_ERRS(EINVAL), ioctl(vm->vm_fd, KVM_IRQFD, &fd),
			 "irq: KVM_IRQFD flags 0x80 is EINVAL");
	fd.flags = KVM_IRQFD_FLAG_RESAMPLE;
	fd.resamplefd = -1;
	hammer_fail_with(h, HAMMER_ERRS(EBADF, EINVAL), ioctl(vm->vm_fd, KVM_IRQFD, &fd),
			 "irq: KVM_IRQFD resample with resamplefd -1 is EBADF");
	fd.flags = 0;
	hammer_succeeds(h, ioctl(vm->vm_fd, KVM_IRQFD, &fd), "irq: KVM_IRQFD gsi 5");
	hammer_fail_with(h, HAMMER_ERRS(EBUSY), ioctl(vm->vm_fd, KVM_IRQFD, &fd),
			 "irq: the same eventfd twice is EBUSY");
	hammer_check(h, write(efd, &one, 8) == 8, "irq: signalling the irqfd");
	fd.flags = KVM_IRQFD_FLAG_DEASSIGN;
	hammer_succeeds(h, ioctl(vm->vm_fd, KVM_IRQFD, &fd), "irq: KVM_IRQFD deassign");
	r = ioctl(vm->vm_fd, KVM_IRQFD, &fd);
	hammer_check(h, r >= 0 || errno == ENOENT,
		     "irq: deassigning it again is a no-op or ENOENT (%s)",
		     r >= 0 ? "no-op" : strerrorname_np(errno));
	/* Close the eventfd while assigned; its number is then reused. */
	fd.flags = 0;
	hammer_succeeds(h, ioctl(vm->vm_fd, KVM_IRQFD, &fd), "irq: KVM_IRQFD assigned again");
	close(efd);
	efd2 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	fd.fd = efd2;
	hammer_succeeds(h, ioctl(vm->vm_fd, KVM_IRQFD, &fd),
			"irq: a new eventfd on the number of a closed, assigned one");
	/* Many irqfds on odd gsis, left assigned when the VM goes. */
	for (n = 0; n < 64; n++) {
		many[n] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		fd.fd = many[n];
		fd.gsi = n * 67 % 1024;
		if (ioctl(vm->vm_fd, KVM_IRQFD, &fd) < 0) {
			close(many[n]);
			break;
		}
	}
	hammer_check(h, n == 64, "irq: 64 irqfds (%d assigned%s%s)", n,
		     n < 64 ? ", then " : "", n < 64 ? strerrorname_np(errno) : "");
	fd.gsi = 0xffffffffu;
	fd.fd = many[0];
	r = ioctl(vm->vm_fd, KVM_IRQFD, &fd);
	hammer_check(h, r >= 0 || errno == EINVAL || errno == EBUSY,
		     "irq: KVM_IRQFD gsi 2^32-1 (%s)", r >= 0 ? "accepted" : strerrorname_np(errno));
	for (i = 0; i < n; i++)
		if (write(many[i], &one, 8) != 8)
			break;
	hammer_check(h, i == n, "irq: signalling all of them");
	/* The VM goes with its irqfds assigned; they are signalled after. */
	kvmt_destroy_vm(vm);
	for (i = 0; i < n; i++) {
		if (write(many[i], &one, 8) != 8)
			break;
		close(many[i]);
	}
	hammer_check(h, i == n, "irq: irqfds signalled and closed after their VM went");
	hammer_check(h, write(efd2, &one, 8) == 8, "irq: the reused-number eventfd too");
	close(efd2);
}

static void hammer_ioeventfd_cases(struct hammer *h, int cap)
{
	/* out 0x80,al; hlt */
	static const uint8_t code[] = { 0xe6, 0x80, 0xf4 };
	struct kvm_ioeventfd io = { .addr = 0x80, .len = 1 };
	struct kvmt_vm vm;
	uint64_t count = 0;
	int efd;
	long r;

	if (hammer_vm_with_code(h, &vm, code, sizeof(code)) < 0)
		return;
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	io.fd = efd;
	io.flags = KVM_IOEVENTFD_FLAG_PIO;
	if (!cap) {
		hammer_refused(h, vm.vm_fd, KVM_IOEVENTFD, &io, "KVM_IOEVENTFD",
			       "KVM_CAP_IOEVENTFD");
		goto out;
	}
	hammer_bad_pointers(h, vm.vm_fd, KVM_IOEVENTFD, "KVM_IOEVENTFD", sizeof(io));
	io.fd = -1;
	hammer_fail_with(h, HAMMER_ERRS(EBADF), ioctl(vm.vm_fd, KVM_IOEVENTFD, &io),
			 "irq: KVM_IOEVENTFD fd -1 is EBADF");
	io.fd = vm.vm_fd;
	hammer_fail_with(h, HAMMER_ERRS(EINVAL), ioctl(vm.vm_fd, KVM_IOEVENTFD, &io),
			 "irq: KVM_IOEVENTFD on a VM fd (not an eventfd) is EINVAL");
	io.fd = efd;
	io.len = 3;
	hammer_fail_with(h, HAMMER_ERRS(EINVAL), ioctl(vm.vm_fd, KVM_IOEVENTFD, &io),
			 "irq: KVM_IOEVENTFD len 3 is EINVAL");
	io.len = 1;
	io.flags = 0x100 | KVM_IOEVENTFD_FLAG_PIO;
	hammer_fail_with(h, HAMMER_ERRS(EINVAL), ioctl(vm.vm_fd, KVM_IOEVENTFD, &io),
			 "irq: KVM_IOEVENTFD flags 0x100 is EINVAL");
	io.flags = 0;
	io.addr = 0xfffffffffffffffeull;
	io.len = 4;
	hammer_fail_with(h, HAMMER_ERRS(EINVAL), ioctl(vm.vm_fd, KVM_IOEVENTFD, &io),
			 "irq: KVM_IOEVENTFD range wrapping past 2^64 is EINVAL");
	io.addr = 0xd0000;
	io.len = 0;
	io.flags = KVM_IOEVENTFD_FLAG_DATAMATCH;
	hammer_fail_with(h, HAMMER_ERRS(EINVAL), ioctl(vm.vm_fd, KVM_IOEVENTFD, &io),
			 "irq: KVM_IOEVENTFD len 0 with datamatch is EINVAL");
	io.flags = KVM_IOEVENTFD_FLAG_PIO | KVM_IOEVENTFD_FLAG_DEASSIGN;
	io.addr = 0x80;
	io.len = 1;
	hammer_fail_with(h, HAMMER_ERRS(ENOENT), ioctl(vm.vm_fd, KVM_IOEVENTFD, &io),
			 "irq: deassigning an ioeventfd that is not there is ENOENT");
	io.flags = KVM_IOEVENTFD_FLAG_PIO;
	hammer_succeeds(h, ioctl(vm.vm_fd, KVM_IOEVENTFD, &io), "irq: KVM_IOEVENTFD port 0x80");
	hammer_fail_with(h, HAMMER_ERRS(EEXIST), ioctl(vm.vm_fd, KVM_IOEVENTFD, &io),
			 "irq: the same ioeventfd twice is EEXIST");
	/* The OUT is swallowed in the kernel: the guest runs on to its HLT. */
	r = hammer_run_bounded(vm.vcpu_fd, 5000);
	if (read(efd, &count, 8) != 8)
		count = 0;
	hammer_check(h, r == 0 && vm.run->exit_reason == KVM_EXIT_HLT && count == 1,
		     "irq: an OUT to an ioeventfd port signals it, no exit (exit %u, count %llu)",
		     vm.run->exit_reason, (unsigned long long)count);
	/* Close the eventfd while registered, then hit the port again. */
	close(efd);
	efd = -1;
	kvmt_setup_real(&vm);
	r = hammer_run_bounded(vm.vcpu_fd, 5000);
	hammer_check(h, r == 0 && (vm.run->exit_reason == KVM_EXIT_HLT ||
				   vm.run->exit_reason == KVM_EXIT_IO),
		     "irq: the port after its eventfd was closed (exit %u)",
		     vm.run->exit_reason);
out:
	if (efd >= 0)
		close(efd);
	kvmt_destroy_vm(&vm);
}

static void hammer_msi_cases(struct hammer *h, struct kvmt_vm *vm)
{
	struct kvm_msi msi = { .address_lo = 0xfee00000, .data = 0x41 };
	int i;
	long r;

	hammer_bad_pointers(h, vm->vm_fd, KVM_SIGNAL_MSI, "KVM_SIGNAL_MSI", sizeof(msi));
	msi.flags = 0x80;
	hammer_fail_with(h, HAMMER_ERRS(EINVAL), ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi),
			 "irq: KVM_SIGNAL_MSI flags 0x80 is EINVAL");
	msi.flags = 0;
	r = ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi);
	hammer_check(h, r >= 0, "irq: KVM_SIGNAL_MSI to APIC 0 vector 0x41 (returned %ld)", r);
	for (i = 0; i < 32; i++) {
		hammer_random_fill(h, &msi, sizeof(msi));
		msi.flags = 0;
		r = ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi);
		/* KVM 6.1 says EPERM for some addresses, EINVAL for others. */
		if (r < 0 && errno != EINVAL && errno != EPERM)
			break;
	}
	hammer_check(h, i == 32, "irq: 32 random MSIs are delivered, dropped, EINVAL or EPERM%s%s",
		     i < 32 ? ", got " : "", i < 32 ? strerrorname_np(errno) : "");
}

void hammer_irq_cases(struct hammer *h)
{
	static const uint8_t code[] = { 0xfb, 0xf4, 0xeb, 0xfc };	/* sti; hlt; jmp */
	struct kvm_irq_level line = { .irq = 4, .level = 1 };
	struct kvm_irq_routing routing = { .nr = 0 };
	struct kvm_msi msi = { .address_lo = 0xfee00000, .data = 0x41 };
	struct kvm_irqfd irqfd = { .gsi = 5 };
	struct kvm_lapic_state lapic;
	struct hammer_caps caps;
	struct kvmt_vm vm;
	int sys;

	sys = open(h->ctx.dev, O_RDWR | O_CLOEXEC);
	if (!hammer_check(h, sys >= 0, "irq: open %s", h->ctx.dev))
		return;
	caps.irqchip = ioctl(sys, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP) > 0;
	caps.routing = ioctl(sys, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING) > 0;
	caps.irqfd = ioctl(sys, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD) > 0;
	caps.ioeventfd = ioctl(sys, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD) > 0;
	caps.msi = ioctl(sys, KVM_CHECK_EXTENSION, KVM_CAP_SIGNAL_MSI) > 0;
	close(sys);
	printf("# irq: capabilities irqchip %d routing %d irqfd %d ioeventfd %d signal_msi %d\n",
	       caps.irqchip, caps.routing, caps.irqfd, caps.ioeventfd, caps.msi);

	if (hammer_vm_with_code(h, &vm, code, sizeof(code)) < 0) {
		hammer_fail(h, "irq: a VM: %s", h->ctx.msg);
		return;
	}
	/* Before any irqchip exists (the vCPU is there already). */
	hammer_fail_with(h, HAMMER_ERRS(ENXIO, ENOTTY, EINVAL),
			 ioctl(vm.vm_fd, KVM_IRQ_LINE, &line),
			 "irq: KVM_IRQ_LINE with no irqchip is refused");
	hammer_fail_with(h, HAMMER_ERRS(ENXIO, ENOTTY, EINVAL),
			 ioctl(vm.vcpu_fd, KVM_GET_LAPIC, &lapic),
			 "irq: KVM_GET_LAPIC with no irqchip is refused");
	hammer_fail_with(h, HAMMER_ERRS(ENXIO, ENOTTY, EINVAL),
			 ioctl(vm.vm_fd, KVM_SIGNAL_MSI, &msi),
			 "irq: KVM_SIGNAL_MSI with no irqchip is refused");
	hammer_fail_with(h, HAMMER_ERRS(ENXIO, ENOTTY, EINVAL),
			 ioctl(vm.vm_fd, KVM_SET_GSI_ROUTING, &routing),
			 "irq: KVM_SET_GSI_ROUTING with no irqchip is refused");
	irqfd.fd = eventfd(0, EFD_CLOEXEC);
	hammer_fail_with(h, HAMMER_ERRS(EAGAIN, ENXIO, ENOTTY, EINVAL),
			 ioctl(vm.vm_fd, KVM_IRQFD, &irqfd),
			 "irq: KVM_IRQFD with no irqchip is refused");
	close(irqfd.fd);
	kvmt_destroy_vm(&vm);

	if (!caps.irqchip) {
		int sys2 = open(h->ctx.dev, O_RDWR | O_CLOEXEC);
		int v = ioctl(sys2, KVM_CREATE_VM, 0);

		hammer_refused(h, v, KVM_CREATE_IRQCHIP, NULL, "KVM_CREATE_IRQCHIP",
			       "KVM_CAP_IRQCHIP");
		close(v);
		close(sys2);
	} else {
		h->ctx.msg[0] = 0;
		if (kvmt_create_vm(&h->ctx, &vm, KVMT_VM_IRQCHIP) < 0) {
			hammer_fail(h, "irq: a VM with KVM_CREATE_IRQCHIP: %s", h->ctx.msg);
		} else {
			kvmt_load_code(&vm, code, sizeof(code));
			kvmt_setup_real(&vm);
			hammer_pass(h, "irq: a VM with KVM_CREATE_IRQCHIP");
			hammer_irqchip_cases(h, &vm);
			if (caps.routing)
				hammer_routing_cases(h, &vm);
			if (caps.msi)
				hammer_msi_cases(h, &vm);
			if (caps.irqfd)
				hammer_irqfd_cases(h, &vm);	/* destroys the VM */
			else
				kvmt_destroy_vm(&vm);
		}
	}
	hammer_ioeventfd_cases(h, caps.ioeventfd);
}
