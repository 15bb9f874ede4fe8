// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupt delivery to a halted guest, two ways.
 *
 * irq_inject_at_hlt is the one every implementation must pass: no in-kernel
 * irqchip, so HLT exits to userspace, and the host injects with
 * KVM_INTERRUPT once run->ready_for_interrupt_injection says the guest can
 * take it.  A simple SVM backend needs only EVENTINJ, the HLT intercept and
 * RFLAGS.IF for it: no PIC, no APIC, no sleeping vCPU to wake.
 *
 * irq_window_open adds the other half of that userspace-irqchip protocol:
 * an interrupt pending while IF=0, request_interrupt_window=1, and a
 * KVM_EXIT_IRQ_WINDOW_OPEN once the guest's sti takes effect (VINTR
 * intercept on SVM).
 *
 * irq_pic_line is what a full monitor does (in-kernel PIC, KVM_IRQ_LINE,
 * HLT handled in the kernel); it is skipped where KVM_CAP_IRQCHIP is 0.
 *
 * Both guests are real mode with an IVT entry for vector 0x20 whose handler
 * writes 'I' to KVMT_PORT_HANDLER and IRETs back behind the HLT.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_cases.h"

#define IRQ_VECTOR	0x20

/*
 * Phase 1: READY (IF=0), sti; hlt -> HLT exit, inject, handler, AFTER 1.
 * Phase 2: cli, READY 2, sti; nop... -> IRQ_WINDOW_OPEN, inject, handler,
 * AFTER 2, hlt.  The handler sits at 0x102c.
 */
static const uint8_t irq_window_code[] = {
	0xc7, 0x06, 0x80, 0x00, 0x2c, 0x10,	/* movw $0x102c,0x80: IVT[0x20].ip */
	0xc7, 0x06, 0x82, 0x00, 0x00, 0x00,	/* movw $0x0,0x82: IVT[0x20].cs */
	0xba, 0x01, 0x05,	/* movw $0x501,%dx */
	0xb0, 0x01,	/* movb $0x1,%al */
	0xee,	/* outb %al,(%dx) */
	0xfb,	/* sti */
	0xf4,	/* hlt */
	0xba, 0x03, 0x05,	/* movw $0x503,%dx */
	0xb0, 0x01,	/* movb $0x1,%al */
	0xee,	/* outb %al,(%dx) */
	0xfa,	/* cli */
	0xba, 0x01, 0x05,	/* movw $0x501,%dx */
	0xb0, 0x02,	/* movb $0x2,%al */
	0xee,	/* outb %al,(%dx) */
	0xfb,	/* sti */
	0x90,	/* nop */
	0x90,	/* nop */
	0x90,	/* nop */
	0xba, 0x03, 0x05,	/* movw $0x503,%dx */
	0xb0, 0x02,	/* movb $0x2,%al */
	0xee,	/* outb %al,(%dx) */
	0xf4,	/* hlt */
	0x50,	/* pushw %ax */
	0x52,	/* pushw %dx */
	0xba, 0x02, 0x05,	/* movw $0x502,%dx */
	0xb0, 0x49,	/* movb $0x49,%al */
	0xee,	/* outb %al,(%dx) */
	0x5a,	/* popw %dx */
	0x58,	/* popw %ax */
	0xcf,	/* iretw */
};

#define IRQ_WINDOW_HLT1	(KVMT_CODE + 0x14)	/* just past the first hlt */

static int irq_check_flags(struct kvmt_vm *vm, int if_flag, int ready)
{
	struct kvm_run *run = vm->run;

	if (!run->if_flag != !if_flag ||
	    !run->ready_for_interrupt_injection != !ready)
		return kvmt_fail(vm->ctx, "exit #%u (%s): if_flag %u "
				 "ready_for_interrupt_injection %u, expected %d %d",
				 vm->nr_exits, kvmt_exit_name(run->exit_reason),
				 run->if_flag, run->ready_for_interrupt_injection,
				 if_flag, ready);
	return 0;
}

static int irq_inject(struct kvmt_vm *vm)
{
	struct kvm_interrupt irq = { .irq = IRQ_VECTOR };

	if (ioctl(vm->vcpu_fd, KVM_INTERRUPT, &irq) < 0)
		return kvmt_fail(vm->ctx, "KVM_INTERRUPT 0x%x: %s", IRQ_VECTOR,
				 strerror(errno));
	vm->run->request_interrupt_window = 0;
	return 0;
}

/* Phase 1: the interrupt arrives while the guest sits in HLT. */
static int irq_run_phase1(struct kvmt_vm *vm)
{
	if (kvmt_setup_real(vm) < 0)
		return -1;
	kvmt_load_code(vm, irq_window_code, sizeof(irq_window_code));
	if (kvmt_expect_io(vm, KVMT_PORT_READY, 1, KVM_EXIT_IO_OUT, 1) < 0 ||
	    irq_check_flags(vm, 0, 0) < 0)
		return -1;
	/* IF=0: a real monitor asks to be told when it may inject. */
	vm->run->request_interrupt_window = 1;
	if (kvmt_expect_hlt(vm, IRQ_WINDOW_HLT1) < 0 ||
	    irq_check_flags(vm, 1, 1) < 0 ||
	    irq_inject(vm) < 0 ||
	    kvmt_expect_io(vm, KVMT_PORT_HANDLER, 1, KVM_EXIT_IO_OUT, 'I') < 0 ||
	    kvmt_expect_io(vm, KVMT_PORT_AFTER, 1, KVM_EXIT_IO_OUT, 1) < 0)
		return -1;
	return 0;
}

enum kvmt_result kvm_test_irq_inject_at_hlt(struct kvmt_ctx *ctx)
{
	struct kvmt_vm vm;
	int r = -1;

	if (kvmt_create_vm(ctx, &vm, 0) < 0)
		goto out;
	r = irq_run_phase1(&vm);
out:
	kvmt_destroy_vm(&vm);
	return r < 0 ? KVMT_FAIL : KVMT_PASS;
}

enum kvmt_result kvm_test_irq_window_open(struct kvmt_ctx *ctx)
{
	struct kvmt_vm vm;
	int r = -1;

	if (kvmt_create_vm(ctx, &vm, 0) < 0 || irq_run_phase1(&vm) < 0)
		goto out;
	/* Phase 2: pending while IF=0; sti opens the window, which exits. */
	if (kvmt_expect_io(&vm, KVMT_PORT_READY, 1, KVM_EXIT_IO_OUT, 2) < 0 ||
	    irq_check_flags(&vm, 0, 0) < 0)
		goto out;
	vm.run->request_interrupt_window = 1;
	if (kvmt_expect_exit(&vm, KVM_EXIT_IRQ_WINDOW_OPEN) < 0 ||
	    irq_check_flags(&vm, 1, 1) < 0 ||
	    irq_inject(&vm) < 0 ||
	    kvmt_expect_io(&vm, KVMT_PORT_HANDLER, 1, KVM_EXIT_IO_OUT, 'I') < 0 ||
	    kvmt_expect_io(&vm, KVMT_PORT_AFTER, 1, KVM_EXIT_IO_OUT, 2) < 0 ||
	    kvmt_expect_hlt(&vm, KVMT_CODE + 0x2c) < 0)
		goto out;
	r = 0;
out:
	kvmt_destroy_vm(&vm);
	return r < 0 ? KVMT_FAIL : KVMT_PASS;
}

/*
 * Program both 8259s (ICW1-4; vectors 0x20/0x28; only IRQ0 unmasked), say
 * READY, then sti; hlt.  The handler EOIs the PIC.  With the PIC in the
 * kernel, its ports never exit and the final hlt never returns, so the test
 * stops at the AFTER exit.  The handler sits at 0x1042.
 */
static const uint8_t irq_pic_code[] = {
	0xc7, 0x06, 0x80, 0x00, 0x42, 0x10,	/* movw $0x1042,0x80: IVT[0x20].ip */
	0xc7, 0x06, 0x82, 0x00, 0x00, 0x00,	/* movw $0x0,0x82: IVT[0x20].cs */
	0xb0, 0x11,	/* movb $0x11,%al */
	0xe6, 0x20,	/* outb %al,$0x20 */
	0xe6, 0xa0,	/* outb %al,$0xa0 */
	0xb0, 0x20,	/* movb $0x20,%al */
	0xe6, 0x21,	/* outb %al,$0x21 */
	0xb0, 0x28,	/* movb $0x28,%al */
	0xe6, 0xa1,	/* outb %al,$0xa1 */
	0xb0, 0x04,	/* movb $0x4,%al */
	0xe6, 0x21,	/* outb %al,$0x21 */
	0xb0, 0x02,	/* movb $0x2,%al */
	0xe6, 0xa1,	/* outb %al,$0xa1 */
	0xb0, 0x01,	/* movb $0x1,%al */
	0xe6, 0x21,	/* outb %al,$0x21 */
	0xe6, 0xa1,	/* outb %al,$0xa1 */
	0xb0, 0xfe,	/* movb $0xfe,%al */
	0xe6, 0x21,	/* outb %al,$0x21 */
	0xb0, 0xff,	/* movb $0xff,%al */
	0xe6, 0xa1,	/* outb %al,$0xa1 */
	0xba, 0x01, 0x05,	/* movw $0x501,%dx */
	0xb0, 0x01,	/* movb $0x1,%al */
	0xee,	/* outb %al,(%dx) */
	0xfb,	/* sti */
	0xf4,	/* hlt */
	0xba, 0x03, 0x05,	/* movw $0x503,%dx */
	0xb0, 0x01,	/* movb $0x1,%al */
	0xee,	/* outb %al,(%dx) */
	0xfa,	/* cli */
	0xf4,	/* hlt */
	0xeb, 0xfd,	/* jmp back to the hlt */
	0x50,	/* pushw %ax */
	0x52,	/* pushw %dx */
	0xb0, 0x20,	/* movb $0x20,%al */
	0xe6, 0x20,	/* outb %al,$0x20 */
	0xba, 0x02, 0x05,	/* movw $0x502,%dx */
	0xb0, 0x49,	/* movb $0x49,%al */
	0xee,	/* outb %al,(%dx) */
	0x5a,	/* popw %dx */
	0x58,	/* popw %ax */
	0xcf,	/* iretw */
};

static int irq_pulse_line(struct kvmt_vm *vm, uint32_t line)
{
	struct kvm_irq_level lvl = { .irq = line, .level = 1 };

	/* The 8259 is edge-triggered here: raise then lower latches IRR. */
	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &lvl) < 0)
		return kvmt_fail(vm->ctx, "KVM_IRQ_LINE %u level 1: %s", line,
				 strerror(errno));
	lvl.level = 0;
	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &lvl) < 0)
		return kvmt_fail(vm->ctx, "KVM_IRQ_LINE %u level 0: %s", line,
				 strerror(errno));
	return 0;
}

enum kvmt_result kvm_test_irq_pic_line(struct kvmt_ctx *ctx)
{
	struct kvmt_vm vm;
	int fd, r = -1;

	fd = kvmt_open_dev(ctx);
	if (fd < 0)
		return KVMT_FAIL;
	r = kvmt_check_cap(fd, KVM_CAP_IRQCHIP);
	close(fd);
	if (r <= 0)
		return kvmt_skip(ctx, "KVM_CAP_IRQCHIP is 0");

	r = -1;
	if (kvmt_create_vm(ctx, &vm, KVMT_VM_IRQCHIP) < 0 ||
	    kvmt_setup_real(&vm) < 0)
		goto out;
	kvmt_load_code(&vm, irq_pic_code, sizeof(irq_pic_code));
	if (kvmt_expect_io(&vm, KVMT_PORT_READY, 1, KVM_EXIT_IO_OUT, 1) < 0 ||
	    irq_pulse_line(&vm, 0) < 0 ||
	    kvmt_expect_io(&vm, KVMT_PORT_HANDLER, 1, KVM_EXIT_IO_OUT, 'I') < 0 ||
	    kvmt_expect_io(&vm, KVMT_PORT_AFTER, 1, KVM_EXIT_IO_OUT, 1) < 0)
		goto out;
	r = 0;
out:
	kvmt_destroy_vm(&vm);
	return r < 0 ? KVMT_FAIL : KVMT_PASS;
}
