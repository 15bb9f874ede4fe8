// SPDX-License-Identifier: GPL-2.0
/*
 * SVM events and exits: interrupt/exception injection (EVENTINJ, V_IRQ for
 * the interrupt window), and the exit handlers -- a table indexed by exit
 * code with KVM's return convention: > 0 run the guest again, 0 exit to
 * userspace with kvm_run filled in, < 0 an error for KVM_RUN to return.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/smp.h>
#include <asm/processor-flags.h>

#include "vmm_svm.h"

#define EXC_UD			6
#define EXC_GP			13

/* ------------------------------------------------------------ interrupts */

bool svm_if_flag(struct vmm_vcpu *vcpu)
{
	return to_svm(vcpu)->vmcb->save.rflags & X86_EFLAGS_IF;
}

bool svm_interrupt_allowed(struct vmm_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	return !svm->event && svm_if_flag(vcpu) &&
	       !(svm->vmcb->control.int_state & SVM_INTERRUPT_SHADOW_MASK);
}

static void svm_queue_exception(struct vmm_vcpu *vcpu, u8 vec, bool has_err,
				u32 err)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	svm->event = vec | SVM_EVTINJ_TYPE_EXEPT | SVM_EVTINJ_VALID |
		     (has_err ? SVM_EVTINJ_VALID_ERR : 0);
	svm->event_err = err;
}

/*
 * With the in-kernel LAPIC, with interrupts off just before VMRUN: a
 * pending NMI, else the highest deliverable vector if the guest can take
 * an interrupt now.  CR8 is the LAPIC's TPR (V_TPR in the VMCB).
 */
static void svm_inject_lapic(struct vmm_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_control_area *c = &svm->vmcb->control;
	int vec;

	c->int_ctl = (c->int_ctl & ~V_TPR_MASK) | vmm_lapic_cr8(vcpu);
	if (svm->event)
		return;
	if (!(c->int_state & SVM_INTERRUPT_SHADOW_MASK) &&
	    vmm_lapic_take_nmi(vcpu)) {
		svm->event = 2 | SVM_EVTINJ_TYPE_NMI | SVM_EVTINJ_VALID;
		return;
	}
	if (svm_interrupt_allowed(vcpu)) {
		vec = vmm_lapic_take_interrupt(vcpu);
		if (vec >= 0)
			svm->event = vec | SVM_EVTINJ_TYPE_INTR |
				     SVM_EVTINJ_VALID;
	}
}

/*
 * Before entry: an event cut short by the last exit goes first; else an
 * interrupt the guest can take now (the LAPIC's, or KVM_INTERRUPT's
 * vector).  A virtual interrupt (V_IRQ + VINTR intercept) makes the guest
 * exit as soon as it can take one, for a still-pending vector or for
 * request_interrupt_window.
 */
void svm_inject_events(struct vmm_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_control_area *c = &svm->vmcb->control;
	bool want_window;

	if (vcpu->apic) {
		svm_inject_lapic(vcpu);
	} else if (!svm->event && vcpu->pending_irq >= 0 &&
		   svm_interrupt_allowed(vcpu)) {
		svm->event = vcpu->pending_irq | SVM_EVTINJ_TYPE_INTR |
			     SVM_EVTINJ_VALID;
		vcpu->pending_irq = -1;
	}
	c->event_inj = svm->event;
	c->event_inj_err = svm->event_err;
	svm->event = 0;

	if (vcpu->apic)
		want_window = vmm_lapic_has_interrupt(vcpu);
	else
		want_window = vcpu->pending_irq >= 0 ||
			      READ_ONCE(vcpu->run->request_interrupt_window);
	if (want_window) {
		c->int_ctl |= V_IRQ_MASK | V_INTR_PRIO_MASK | V_IGN_TPR_MASK;
		c->int_vector = 0;
		svm_set_intercept(svm->vmcb, INTERCEPT_VINTR);
	} else {
		c->int_ctl &= ~(V_IRQ_MASK | V_INTR_PRIO_MASK | V_IGN_TPR_MASK);
		svm_clr_intercept(svm->vmcb, INTERCEPT_VINTR);
	}
}

/* After exit: an event whose delivery the exit interrupted is redone. */
void svm_collect_event(struct vmm_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_control_area *c = &svm->vmcb->control;
	u32 info = c->exit_int_info;

	svm->event = 0;
	if (vcpu->apic)
		vmm_lapic_sync_tpr(vcpu, c->int_ctl & V_TPR_MASK, true);
	if (!(info & SVM_EXITINTINFO_VALID))
		return;
	switch (info & SVM_EXITINTINFO_TYPE_MASK) {
	case SVM_EXITINTINFO_TYPE_INTR:
	case SVM_EXITINTINFO_TYPE_EXEPT:
	case SVM_EXITINTINFO_TYPE_NMI:
		svm->event = info;
		svm->event_err = c->exit_int_info_err;
		break;
	default:
		/* INTn: RIP still points at it; running it again redoes it. */
		break;
	}
}

/* --------------------------------------------------------- exit handlers */

void svm_skip_insn(struct vmm_vcpu *vcpu, unsigned int len)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	vmcb->save.rip += len;
	if (!((vmcb->save.efer & EFER_LMA) &&
	      (vmcb->save.cs.attrib & SVM_SELECTOR_L_MASK)))
		vmcb->save.rip &= 0xffffffff;
	vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
}

/* Skip the intercepted instruction: next_rip if the CPU gives it. */
static void svm_skip_exit_insn(struct vmm_vcpu *vcpu, unsigned int len)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	if (svm_hw.nrips && vmcb->control.next_rip > vmcb->save.rip)
		len = vmcb->control.next_rip - vmcb->save.rip;
	svm_skip_insn(vcpu, len);
}

static int svm_exit_internal_error(struct vmm_vcpu *vcpu, u32 suberror)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = suberror;
	run->internal.ndata = 4;
	run->internal.data[0] = c->exit_code;
	run->internal.data[1] = c->exit_info_1;
	run->internal.data[2] = c->exit_info_2;
	run->internal.data[3] = smp_processor_id();
	return 0;
}

static int intr_interception(struct vmm_vcpu *vcpu)
{
	/* The host already handled it after stgi; just go back in. */
	return 1;
}

static int vintr_interception(struct vmm_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	vmcb->control.int_ctl &= ~(V_IRQ_MASK | V_INTR_PRIO_MASK |
				   V_IGN_TPR_MASK);
	svm_clr_intercept(vmcb, INTERCEPT_VINTR);
	return 1;
}

static int cpuid_interception(struct vmm_vcpu *vcpu)
{
	unsigned long *g = vcpu->regs;
	u32 out[4];

	vmm_cpuid(vcpu, g[VMM_RAX], g[VMM_RCX], out);
	g[VMM_RAX] = out[0];
	g[VMM_RBX] = out[1];
	g[VMM_RCX] = out[2];
	g[VMM_RDX] = out[3];
	svm_skip_exit_insn(vcpu, 2);
	return 1;
}

static int halt_interception(struct vmm_vcpu *vcpu)
{
	svm_skip_exit_insn(vcpu, 1);
	/* In-kernel irqchip: sleep in KVM_RUN until an interrupt comes. */
	if (vcpu->apic) {
		vcpu->mp_state = VMM_MP_HALTED;
		return 1;
	}
	/* Else userspace decides what wakes the vCPU. */
	vcpu->run->exit_reason = KVM_EXIT_HLT;
	return 0;
}

static int skip2_interception(struct vmm_vcpu *vcpu)
{
	/* INVD and WBINVD: nothing of the host's to flush for the guest. */
	svm_skip_exit_insn(vcpu, 2);
	return 1;
}

static int ud_interception(struct vmm_vcpu *vcpu)
{
	svm_queue_exception(vcpu, EXC_UD, false, 0);
	return 1;
}

static int io_interception(struct vmm_vcpu *vcpu)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;
	struct kvm_run *run = vcpu->run;
	u32 info = c->exit_info_1;
	unsigned int size = (info & SVM_IOIO_SIZE_MASK) >> SVM_IOIO_SIZE_SHIFT;

	if (info & SVM_IOIO_STR_MASK)
		return vmm_emulate_string_io(vcpu, info & SVM_IOIO_TYPE_MASK,
					     size, info >> 16,
					     info & SVM_IOIO_REP_MASK,
					     c->exit_info_2);
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = (info & SVM_IOIO_TYPE_MASK) ? KVM_EXIT_IO_IN :
							  KVM_EXIT_IO_OUT;
	run->io.size = size;
	run->io.port = info >> 16;
	run->io.count = 1;
	run->io.data_offset = VMM_PIO_OFFSET;
	if (run->io.direction == KVM_EXIT_IO_OUT &&
	    vmm_ioeventfd_write(vcpu->vm, true, info >> 16, size,
				vcpu->regs[VMM_RAX])) {
		to_svm(vcpu)->vmcb->save.rip = c->exit_info_2;
		c->int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
		return 1;
	}
	if (run->io.direction == KVM_EXIT_IO_OUT) {
		memcpy(page_address(vcpu->run_pages[1]),
		       &vcpu->regs[VMM_RAX], size);
	} else {
		vcpu->pending = VMM_PENDING_IO_IN;
		vcpu->pending_size = size;
	}
	/* EXITINFO2 is the address of the next instruction. */
	to_svm(vcpu)->vmcb->save.rip = c->exit_info_2;
	c->int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
	return 0;
}

static int msr_interception(struct vmm_vcpu *vcpu)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;
	unsigned long *g = vcpu->regs;
	u32 index = g[VMM_RCX];
	u64 data;

	if (c->exit_info_1) {
		data = (u32)g[VMM_RAX] | ((u64)(u32)g[VMM_RDX] << 32);
		if (vmm_set_msr(vcpu, index, data, false))
			goto gp;
	} else {
		if (vmm_get_msr(vcpu, index, &data))
			goto gp;
		g[VMM_RAX] = (u32)data;
		g[VMM_RDX] = data >> 32;
	}
	svm_skip_exit_insn(vcpu, 2);
	return 1;
gp:
	svm_queue_exception(vcpu, EXC_GP, true, 0);
	return 1;
}

static int xsetbv_interception(struct vmm_vcpu *vcpu)
{
	unsigned long *g = vcpu->regs;
	u64 v = (u32)g[VMM_RAX] | ((u64)(u32)g[VMM_RDX] << 32);

	/* XCR0 is not switched: only the host's own value is accepted. */
	if ((u32)g[VMM_RCX] != 0 || v != vmm_guest_xcr0_allowed()) {
		svm_queue_exception(vcpu, EXC_GP, true, 0);
		return 1;
	}
	vcpu->xcr0 = v;
	svm_skip_exit_insn(vcpu, 3);
	return 1;
}

static int shutdown_interception(struct vmm_vcpu *vcpu)
{
	/* The VMCB is undefined after a shutdown intercept: reset it. */
	svm_init_vmcb(vcpu);
	vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
	return 0;
}

#define NPF_FETCH		BIT_ULL(4)
#define NPF_GUEST_PAGE_WALK	BIT_ULL(33)

static int npf_interception(struct vmm_vcpu *vcpu)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;
	u64 gpa = c->exit_info_2, err = c->exit_info_1;
	unsigned int len = 0;
	int r;

	r = vmm_npt_map(vcpu->vm, gpa);
	if (r != -ENOENT)
		return r ? r : 1;
	/* Not RAM: MMIO, unless the guest executes or walks tables there. */
	if (err & (NPF_FETCH | NPF_GUEST_PAGE_WALK))
		return svm_exit_internal_error(vcpu,
					       KVM_INTERNAL_ERROR_EMULATION);
	if (svm_hw.decode_assist)
		len = min_t(unsigned int, c->insn_len, sizeof(c->insn_bytes));
	return vmm_emulate_mmio(vcpu, gpa, c->insn_bytes, len);
}

static int (*const svm_exit_handlers[])(struct vmm_vcpu *vcpu) = {
	[SVM_EXIT_INTR] = intr_interception,
	[SVM_EXIT_NMI] = intr_interception,
	[SVM_EXIT_SMI] = intr_interception,
	[SVM_EXIT_VINTR] = vintr_interception,
	[SVM_EXIT_CPUID] = cpuid_interception,
	[SVM_EXIT_INVD] = skip2_interception,
	[SVM_EXIT_HLT] = halt_interception,
	[SVM_EXIT_INVLPGA] = ud_interception,
	[SVM_EXIT_IOIO] = io_interception,
	[SVM_EXIT_MSR] = msr_interception,
	[SVM_EXIT_SHUTDOWN] = shutdown_interception,
	[SVM_EXIT_VMRUN] = ud_interception,
	[SVM_EXIT_VMMCALL] = ud_interception,
	[SVM_EXIT_VMLOAD] = ud_interception,
	[SVM_EXIT_VMSAVE] = ud_interception,
	[SVM_EXIT_STGI] = ud_interception,
	[SVM_EXIT_CLGI] = ud_interception,
	[SVM_EXIT_SKINIT] = ud_interception,
	[SVM_EXIT_WBINVD] = skip2_interception,
	[SVM_EXIT_MONITOR] = ud_interception,
	[SVM_EXIT_MWAIT] = ud_interception,
	[SVM_EXIT_XSETBV] = xsetbv_interception,
	[SVM_EXIT_NPF] = npf_interception,
};

bool vmm_exit_stats;
module_param_named(exit_stats, vmm_exit_stats, bool, 0644);
MODULE_PARM_DESC(exit_stats, "count exits by kind, logged when a vCPU goes");

static enum vmm_stat svm_exit_kind(u64 code, u64 info2, struct vmm_vcpu *vcpu)
{
	switch (code) {
	case SVM_EXIT_INTR: return VMM_STAT_INTR;
	case SVM_EXIT_VINTR: return VMM_STAT_WINDOW;
	case SVM_EXIT_IOIO: return VMM_STAT_IO;
	case SVM_EXIT_MSR: return VMM_STAT_MSR;
	case SVM_EXIT_HLT: return VMM_STAT_HLT;
	case SVM_EXIT_NPF:
		return vmm_find_slot(vcpu->vm, info2 >> PAGE_SHIFT) ?
		       VMM_STAT_NPT : VMM_STAT_MMIO;
	}
	return VMM_STAT_OTHER;
}

static bool trace_exits;
module_param(trace_exits, bool, 0644);
MODULE_PARM_DESC(trace_exits, "log every #VMEXIT (debugging only: slow)");

int svm_handle_exit(struct vmm_vcpu *vcpu)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;
	u64 code = c->exit_code | ((u64)c->exit_code_hi << 32);

	if (unlikely(trace_exits))
		pr_info(VMM_NAME ": vcpu %u exit 0x%llx info %llx %llx intinfo %x rip %llx rflags %llx int_state %x int_ctl %x\n",
			vcpu->id, code, c->exit_info_1, c->exit_info_2,
			c->exit_int_info, to_svm(vcpu)->vmcb->save.rip,
			to_svm(vcpu)->vmcb->save.rflags, c->int_state,
			c->int_ctl);

	if (unlikely(vmm_exit_stats))
		vcpu->stat[svm_exit_kind(code, c->exit_info_2, vcpu)]++;
	if (code == (u64)SVM_EXIT_ERR) {
		vcpu->run->exit_reason = KVM_EXIT_FAIL_ENTRY;
		vcpu->run->fail_entry.hardware_entry_failure_reason = code;
		vcpu->run->fail_entry.cpu = smp_processor_id();
		return 0;
	}
	if (code < ARRAY_SIZE(svm_exit_handlers) && svm_exit_handlers[code])
		return svm_exit_handlers[code](vcpu);
	return svm_exit_internal_error(vcpu,
			KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON);
}
