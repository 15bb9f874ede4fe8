/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internals shared by the SVM backend's files: svm.c (hardware, VMCB,
 * VMRUN), svm_regs.c (registers, segments, MSRs), svm_exit.c (events and
 * exit handlers).
 */
#ifndef VMM_SVM_H
#define VMM_SVM_H

#include <linux/types.h>
#include <asm/svm.h>

#include "vmm.h"

#define EFER_GUEST_BITS		(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX | \
				 EFER_FFXSR)

struct svm_hw {
	u32 nasids;
	bool nrips;
	bool flush_by_asid;
	bool decode_assist;
	struct page *iopm;	/* all ones: every port exits */
	struct page *msrpm;	/* all ones: every MSR access exits */
};

extern struct svm_hw svm_hw;

struct svm_vcpu {
	struct vmcb *vmcb;
	unsigned long vmcb_pa;
	int last_cpu;
	u64 tlb_gen;
	u32 event;		/* EVENTINJ for the next entry, 0 if none */
	u32 event_err;
};

static inline struct svm_vcpu *to_svm(struct vmm_vcpu *vcpu)
{
	return vcpu->priv;
}

static inline void svm_set_intercept(struct vmcb *vmcb, unsigned int bit)
{
	vmcb->control.intercepts[bit / 32] |= BIT(bit % 32);
}

static inline void svm_clr_intercept(struct vmcb *vmcb, unsigned int bit)
{
	vmcb->control.intercepts[bit / 32] &= ~BIT(bit % 32);
}

/* svm.c */
void svm_init_vmcb(struct vmm_vcpu *vcpu);

/* svm_regs.c */
void svm_get_regs(struct vmm_vcpu *vcpu, struct kvm_regs *r);
void svm_set_regs(struct vmm_vcpu *vcpu, const struct kvm_regs *r);
void svm_get_sregs(struct vmm_vcpu *vcpu, struct kvm_sregs *sr);
int svm_set_sregs(struct vmm_vcpu *vcpu, const struct kvm_sregs *sr);
void svm_get_mode(struct vmm_vcpu *vcpu, struct vmm_mode *m);
int svm_get_msr(struct vmm_vcpu *vcpu, u32 index, u64 *data);
int svm_set_msr(struct vmm_vcpu *vcpu, u32 index, u64 data, bool host);

/* svm_exit.c */
bool svm_if_flag(struct vmm_vcpu *vcpu);
bool svm_interrupt_allowed(struct vmm_vcpu *vcpu);
void svm_inject_events(struct vmm_vcpu *vcpu);
void svm_collect_event(struct vmm_vcpu *vcpu);
void svm_skip_insn(struct vmm_vcpu *vcpu, unsigned int len);
int svm_handle_exit(struct vmm_vcpu *vcpu);

#endif /* VMM_SVM_H */
