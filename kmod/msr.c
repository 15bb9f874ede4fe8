// SPDX-License-Identifier: GPL-2.0
/*
 * MSRs: the ones the core keeps (APIC base, MISC_ENABLE, TSC_AUX, MTRR
 * default type, a few read-as-zero ones Linux probes), the vendor's for the
 * rest; KVM_GET/SET_MSRS and KVM_GET_MSR_INDEX_LIST.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/kvm_para.h>
#include <asm/msr-index.h>

#include "vmm.h"

/* What KVM_GET_MSR_INDEX_LIST reports: every MSR KVM_GET/SET_MSRS knows. */
static const u32 vmm_msr_list[] = {
	MSR_IA32_TSC, MSR_IA32_APICBASE, MSR_IA32_MISC_ENABLE,
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
	MSR_IA32_CR_PAT, MSR_EFER, MSR_STAR, MSR_LSTAR, MSR_CSTAR,
	MSR_SYSCALL_MASK, MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE,
	MSR_TSC_AUX, MSR_MTRRdefType, MSR_KVM_SYSTEM_TIME_NEW,
	MSR_KVM_WALL_CLOCK_NEW,
};

int vmm_get_msr_index_list(struct kvm_msr_list __user *ulist)
{
	struct kvm_msr_list hdr;
	u32 n = ARRAY_SIZE(vmm_msr_list);

	if (copy_from_user(&hdr, ulist, sizeof(hdr)))
		return -EFAULT;
	if (put_user(n, &ulist->nmsrs))
		return -EFAULT;
	if (hdr.nmsrs < n)
		return -E2BIG;
	if (copy_to_user(ulist->indices, vmm_msr_list, sizeof(vmm_msr_list)))
		return -EFAULT;
	return 0;
}

/* MSRs the core keeps; the rest are the vendor's.  0 or -EINVAL. */
int vmm_get_msr(struct vmm_vcpu *vcpu, u32 index, u64 *data)
{
	if (vmm_kvmclock_get_msr(vcpu, index, data))
		return 0;
	switch (index) {
	case MSR_IA32_TSC_DEADLINE:
		return vmm_lapic_get_deadline(vcpu, data);
	case MSR_IA32_APICBASE:
		*data = vcpu->apic_base;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		*data = vcpu->misc_enable;
		return 0;
	case MSR_TSC_AUX:
		*data = vcpu->tsc_aux;
		return 0;
	case MSR_MTRRdefType:
		*data = vcpu->mtrr_def_type;
		return 0;
	case MSR_MTRRcap:
	case MSR_IA32_UCODE_REV:
	case MSR_IA32_MCG_CAP:
	case MSR_IA32_MCG_STATUS:
	case MSR_K7_HWCR:
	case MSR_K8_INT_PENDING_MSG:	/* AMD C1E: none */
		*data = 0;
		return 0;
	default:
		return vmm_vendor->get_msr(vcpu, index, data);
	}
}

int vmm_set_msr(struct vmm_vcpu *vcpu, u32 index, u64 data, bool host)
{
	switch (index) {
	case MSR_KVM_SYSTEM_TIME_NEW:
	case MSR_KVM_WALL_CLOCK_NEW:
		return vmm_kvmclock_set_msr(vcpu, index, data);
	case MSR_IA32_TSC_DEADLINE:
		return vmm_lapic_set_deadline(vcpu, data);
	case MSR_IA32_APICBASE:
		vcpu->apic_base = data;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		vcpu->misc_enable = data;
		return 0;
	case MSR_TSC_AUX:
		if (data >> 32)
			return -EINVAL;
		vcpu->tsc_aux = data;
		return 0;
	case MSR_MTRRdefType:
		vcpu->mtrr_def_type = data;
		return 0;
	case MSR_IA32_UCODE_REV:
	case MSR_IA32_UCODE_WRITE:
	case MSR_IA32_MCG_STATUS:
	case MSR_K7_HWCR:
		return 0;	/* ignored, as writes to them are harmless */
	default:
		return vmm_vendor->set_msr(vcpu, index, data, host);
	}
}

#define VMM_MAX_IO_MSRS	256

long vmm_vcpu_msrs(struct vmm_vcpu *vcpu, struct kvm_msrs __user *u,
			  bool set)
{
	struct kvm_msr_entry *e;
	struct kvm_msrs hdr;
	u32 i;
	long r;

	if (copy_from_user(&hdr, u, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nmsrs >= VMM_MAX_IO_MSRS)
		return -E2BIG;
	if (!hdr.nmsrs)
		return 0;
	e = memdup_user(u->entries, hdr.nmsrs * sizeof(*e));
	if (IS_ERR(e))
		return PTR_ERR(e);
	for (i = 0; i < hdr.nmsrs; i++) {
		if (set ? vmm_set_msr(vcpu, e[i].index, e[i].data, true) :
			  vmm_get_msr(vcpu, e[i].index, &e[i].data))
			break;
	}
	r = i;
	if (!set && copy_to_user(u->entries, e, i * sizeof(*e)))
		r = -EFAULT;
	kfree(e);
	return r;
}
