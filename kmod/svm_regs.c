// SPDX-License-Identifier: GPL-2.0
/*
 * SVM guest registers: the general ones (RAX/RSP/RIP/RFLAGS live in the
 * VMCB), segments and control registers (KVM_GET/SET_SREGS), and the MSRs
 * the VMCB holds.
 */
#include <linux/bitops.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <asm/msr.h>
#include <asm/tsc.h>
#include <asm/processor-flags.h>

#include "vmm_svm.h"

/* ------------------------------------------------------------ registers */

void svm_get_regs(struct vmm_vcpu *vcpu, struct kvm_regs *r)
{
	struct vmcb_save_area *s = &to_svm(vcpu)->vmcb->save;
	const unsigned long *g = vcpu->regs;

	r->rax = g[VMM_RAX]; r->rbx = g[VMM_RBX];
	r->rcx = g[VMM_RCX]; r->rdx = g[VMM_RDX];
	r->rsi = g[VMM_RSI]; r->rdi = g[VMM_RDI];
	r->rsp = g[VMM_RSP]; r->rbp = g[VMM_RBP];
	r->r8 = g[VMM_R8]; r->r9 = g[VMM_R9];
	r->r10 = g[VMM_R10]; r->r11 = g[VMM_R11];
	r->r12 = g[VMM_R12]; r->r13 = g[VMM_R13];
	r->r14 = g[VMM_R14]; r->r15 = g[VMM_R15];
	r->rip = s->rip;
	r->rflags = s->rflags;
}

void svm_set_regs(struct vmm_vcpu *vcpu, const struct kvm_regs *r)
{
	struct vmcb_save_area *s = &to_svm(vcpu)->vmcb->save;
	unsigned long *g = vcpu->regs;

	g[VMM_RAX] = r->rax; g[VMM_RBX] = r->rbx;
	g[VMM_RCX] = r->rcx; g[VMM_RDX] = r->rdx;
	g[VMM_RSI] = r->rsi; g[VMM_RDI] = r->rdi;
	g[VMM_RSP] = r->rsp; g[VMM_RBP] = r->rbp;
	g[VMM_R8] = r->r8; g[VMM_R9] = r->r9;
	g[VMM_R10] = r->r10; g[VMM_R11] = r->r11;
	g[VMM_R12] = r->r12; g[VMM_R13] = r->r13;
	g[VMM_R14] = r->r14; g[VMM_R15] = r->r15;
	s->rip = r->rip;
	s->rflags = r->rflags;
}

static void svm_seg_get(const struct vmcb_seg *s, struct kvm_segment *k)
{
	u16 a = s->attrib;

	k->base = s->base;
	k->limit = s->limit;
	k->selector = s->selector;
	k->type = a & SVM_SELECTOR_TYPE_MASK;
	k->s = !!(a & SVM_SELECTOR_S_MASK);
	k->dpl = (a & SVM_SELECTOR_DPL_MASK) >> SVM_SELECTOR_DPL_SHIFT;
	k->present = !!(a & SVM_SELECTOR_P_MASK);
	k->avl = !!(a & SVM_SELECTOR_AVL_MASK);
	k->l = !!(a & SVM_SELECTOR_L_MASK);
	k->db = !!(a & SVM_SELECTOR_DB_MASK);
	k->g = !!(a & SVM_SELECTOR_G_MASK);
	k->unusable = !k->present;
}

static void svm_seg_set(struct vmcb_seg *s, const struct kvm_segment *k)
{
	s->base = k->base;
	s->limit = k->limit;
	s->selector = k->selector;
	if (k->unusable) {
		s->attrib = 0;
		return;
	}
	s->attrib = (k->type & SVM_SELECTOR_TYPE_MASK) |
		    (k->s ? SVM_SELECTOR_S_MASK : 0) |
		    ((k->dpl & 3) << SVM_SELECTOR_DPL_SHIFT) |
		    (k->present ? SVM_SELECTOR_P_MASK : 0) |
		    (k->avl ? SVM_SELECTOR_AVL_MASK : 0) |
		    (k->l ? SVM_SELECTOR_L_MASK : 0) |
		    (k->db ? SVM_SELECTOR_DB_MASK : 0) |
		    (k->g ? SVM_SELECTOR_G_MASK : 0);
}

void svm_get_sregs(struct vmm_vcpu *vcpu, struct kvm_sregs *sr)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_save_area *s = &svm->vmcb->save;
	int vec = -1;

	svm_seg_get(&s->cs, &sr->cs);
	svm_seg_get(&s->ds, &sr->ds);
	svm_seg_get(&s->es, &sr->es);
	svm_seg_get(&s->fs, &sr->fs);
	svm_seg_get(&s->gs, &sr->gs);
	svm_seg_get(&s->ss, &sr->ss);
	svm_seg_get(&s->tr, &sr->tr);
	svm_seg_get(&s->ldtr, &sr->ldt);
	sr->gdt.base = s->gdtr.base;
	sr->gdt.limit = s->gdtr.limit;
	sr->idt.base = s->idtr.base;
	sr->idt.limit = s->idtr.limit;
	sr->cr0 = s->cr0;
	sr->cr2 = s->cr2;
	sr->cr3 = s->cr3;
	sr->cr4 = s->cr4;
	sr->cr8 = svm->vmcb->control.int_ctl & V_TPR_MASK;
	sr->efer = s->efer & ~EFER_SVME;
	sr->apic_base = vcpu->apic_base;
	/* The external interrupt not yet delivered, as KVM reports it. */
	if ((svm->event & SVM_EVTINJ_VALID) &&
	    (svm->event & SVM_EVTINJ_TYPE_MASK) == SVM_EVTINJ_TYPE_INTR)
		vec = svm->event & SVM_EVTINJ_VEC_MASK;
	else if (vcpu->pending_irq >= 0)
		vec = vcpu->pending_irq;
	if (vec >= 0)
		__set_bit(vec, (unsigned long *)sr->interrupt_bitmap);
}

static bool svm_sregs_valid(const struct kvm_sregs *sr)
{
	if (sr->cr0 >> 32 || sr->cr4 >> 32)
		return false;
	if ((sr->cr0 & X86_CR0_PG) && !(sr->cr0 & X86_CR0_PE))
		return false;
	if ((sr->cr0 & X86_CR0_NW) && !(sr->cr0 & X86_CR0_CD))
		return false;
	if (sr->cr4 & (X86_CR4_VMXE | X86_CR4_SMXE | X86_CR4_LA57))
		return false;
	if (sr->efer & ~EFER_GUEST_BITS)
		return false;
	if ((sr->efer & EFER_LME) && (sr->cr0 & X86_CR0_PG)) {
		if (!(sr->cr4 & X86_CR4_PAE) || !(sr->efer & EFER_LMA))
			return false;
	} else if (sr->efer & EFER_LMA) {
		return false;
	}
	return true;
}

int svm_set_sregs(struct vmm_vcpu *vcpu, const struct kvm_sregs *sr)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_save_area *s = &svm->vmcb->save;
	int i;

	if (!svm_sregs_valid(sr))
		return -EINVAL;
	svm_seg_set(&s->cs, &sr->cs);
	svm_seg_set(&s->ds, &sr->ds);
	svm_seg_set(&s->es, &sr->es);
	svm_seg_set(&s->fs, &sr->fs);
	svm_seg_set(&s->gs, &sr->gs);
	svm_seg_set(&s->ss, &sr->ss);
	svm_seg_set(&s->tr, &sr->tr);
	svm_seg_set(&s->ldtr, &sr->ldt);
	s->gdtr.base = sr->gdt.base;
	s->gdtr.limit = sr->gdt.limit;
	s->idtr.base = sr->idt.base;
	s->idtr.limit = sr->idt.limit;
	s->cr0 = sr->cr0;
	s->cr2 = sr->cr2;
	s->cr3 = sr->cr3;
	s->cr4 = sr->cr4;
	s->efer = sr->efer | EFER_SVME;
	s->cpl = (sr->cr0 & X86_CR0_PE) ? sr->ss.dpl & 3 : 0;
	svm->vmcb->control.int_ctl &= ~V_TPR_MASK;
	svm->vmcb->control.int_ctl |= sr->cr8 & V_TPR_MASK;
	vcpu->apic_base = sr->apic_base;
	/* A bit in interrupt_bitmap is an interrupt to deliver (KVM_INTERRUPT). */
	i = find_first_bit((const unsigned long *)sr->interrupt_bitmap, 256);
	if (i < 256)
		vcpu->pending_irq = i;
	return 0;
}

void svm_get_mode(struct vmm_vcpu *vcpu, struct vmm_mode *m)
{
	struct vmcb_save_area *s = &to_svm(vcpu)->vmcb->save;

	m->cr0 = s->cr0;
	m->cr3 = s->cr3;
	m->cr4 = s->cr4;
	m->efer = s->efer;
	m->rip = s->rip;
	m->rflags = s->rflags;
	m->seg_base[VMM_ES] = s->es.base;
	m->seg_base[VMM_CS] = s->cs.base;
	m->seg_base[VMM_SS] = s->ss.base;
	m->seg_base[VMM_DS] = s->ds.base;
	m->seg_base[VMM_FS] = s->fs.base;
	m->seg_base[VMM_GS] = s->gs.base;
	m->cs_l = !!(s->cs.attrib & SVM_SELECTOR_L_MASK);
	m->cs_db = !!(s->cs.attrib & SVM_SELECTOR_DB_MASK);
	m->cr8 = to_svm(vcpu)->vmcb->control.int_ctl & V_TPR_MASK;
}

/* ---------------------------------------------------------------- MSRs */

static bool is_canonical(u64 a)
{
	return (u64)((s64)(a << 16) >> 16) == a;
}

static bool pat_valid(u64 pat)
{
	int i;
	u8 t;

	for (i = 0; i < 8; i++) {
		t = pat >> (i * 8);
		if (t == 2 || t == 3 || t > 7)
			return false;
	}
	return true;
}

static u64 *svm_msr_field(struct vmcb_save_area *s, u32 index)
{
	switch (index) {
	case MSR_STAR: return &s->star;
	case MSR_LSTAR: return &s->lstar;
	case MSR_CSTAR: return &s->cstar;
	case MSR_SYSCALL_MASK: return &s->sfmask;
	case MSR_KERNEL_GS_BASE: return &s->kernel_gs_base;
	case MSR_FS_BASE: return &s->fs.base;
	case MSR_GS_BASE: return &s->gs.base;
	case MSR_IA32_SYSENTER_CS: return &s->sysenter_cs;
	case MSR_IA32_SYSENTER_ESP: return &s->sysenter_esp;
	case MSR_IA32_SYSENTER_EIP: return &s->sysenter_eip;
	case MSR_IA32_CR_PAT: return &s->g_pat;
	default: return NULL;
	}
}

int svm_get_msr(struct vmm_vcpu *vcpu, u32 index, u64 *data)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	u64 *f = svm_msr_field(&vmcb->save, index);

	if (f) {
		*data = *f;
		return 0;
	}
	switch (index) {
	case MSR_EFER:
		*data = vmcb->save.efer & ~EFER_SVME;
		return 0;
	case MSR_IA32_TSC:
		*data = rdtsc() + vmcb->control.tsc_offset;
		return 0;
	case MSR_IA32_DEBUGCTLMSR:
		*data = 0;
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * Userspace sets each vCPU's TSC one after the other; the same value
 * within a second of the last such write means "the same TSC" (KVM's
 * rule), so the vCPUs of a VM keep one offset and their TSCs agree.
 */
static u64 svm_host_tsc_offset(struct vmm_vcpu *vcpu, u64 data)
{
	struct vmm_vm *vm = vcpu->vm;
	u64 now, offset;

	spin_lock(&vm->tsc_lock);
	now = rdtsc();
	if (data == vm->tsc_last_value &&
	    now - vm->tsc_last_host < (u64)tsc_khz * 1000) {
		offset = vm->tsc_last_offset;
	} else {
		offset = data - now;
		vm->tsc_last_value = data;
		vm->tsc_last_offset = offset;
	}
	vm->tsc_last_host = now;
	spin_unlock(&vm->tsc_lock);
	return offset;
}

int svm_set_msr(struct vmm_vcpu *vcpu, u32 index, u64 data, bool host)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	u64 *f = svm_msr_field(&vmcb->save, index);

	switch (index) {
	case MSR_EFER:
		if (data & ~EFER_GUEST_BITS)
			return -EINVAL;
		/* LMA is the CPU's to set, except from userspace. */
		if (!host)
			data = (data & ~EFER_LMA) | (vmcb->save.efer & EFER_LMA);
		vmcb->save.efer = data | EFER_SVME;
		return 0;
	case MSR_IA32_TSC:
		vmcb->control.tsc_offset = host ? svm_host_tsc_offset(vcpu, data) :
						  data - rdtsc();
		return 0;
	case MSR_IA32_DEBUGCTLMSR:
		return data ? -EINVAL : 0;
	case MSR_IA32_CR_PAT:
		if (!pat_valid(data))
			return -EINVAL;
		break;
	case MSR_IA32_SYSENTER_CS:
		data &= 0xffff;
		break;
	case MSR_STAR:
	case MSR_SYSCALL_MASK:
		break;
	default:
		if (f && !is_canonical(data))
			return -EINVAL;
		break;
	}
	if (!f)
		return -EINVAL;
	*f = data;
	return 0;
}
