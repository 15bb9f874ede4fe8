// SPDX-License-Identifier: GPL-2.0
/*
 * AMD-V (SVM) backend.  For now only the capability checks: SVM is not
 * enabled (EFER.SVME stays clear) until there is code that runs a guest,
 * so loading this module changes nothing on the CPU.
 */
#include <linux/kernel.h>
#include <linux/printk.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/svm.h>

#include "vmm.h"

/* CPUID 0x80000001 ECX bit 2: "SVM" in the AMD manual. */
#define SVM_CPUID_ECX_SVM	BIT(2)

/* CPUID 0x8000000A EDX: the SVM sub-features the real backend will want. */
#define SVM_CPUID_LEAF		0x8000000a
#define SVM_FEATURE_NPT		BIT(0)
#define SVM_FEATURE_NRIPS	BIT(3)

static int svm_check_hardware(void)
{
	u32 ecx, edx;
	u64 vm_cr;

	/* Ask CPUID itself as well as the kernel, which may have masked it. */
	ecx = cpuid_ecx(0x80000001);
	if (!(ecx & SVM_CPUID_ECX_SVM) ||
	    !boot_cpu_has(X86_FEATURE_SVM)) {
		pr_err(VMM_NAME ": CPU has no AMD-V (CPUID 0x80000001 ECX.SVM=%u, kernel flag svm=%d)\n",
		       !!(ecx & SVM_CPUID_ECX_SVM),
		       boot_cpu_has(X86_FEATURE_SVM));
		return -ENODEV;
	}

	/* Firmware can lock SVM off; EFER.SVME would then #GP. */
	if (rdmsrl_safe(MSR_VM_CR, &vm_cr)) {
		pr_err(VMM_NAME ": cannot read MSR VM_CR (0x%x)\n", MSR_VM_CR);
		return -ENODEV;
	}
	if (vm_cr & BIT(SVM_VM_CR_SVM_DISABLE)) {
		pr_err(VMM_NAME ": AMD-V is disabled by firmware (VM_CR.SVMDIS=1); enable SVM in the BIOS setup\n");
		return -ENODEV;
	}

	edx = cpuid_edx(SVM_CPUID_LEAF);
	if (!(edx & SVM_FEATURE_NPT))
		pr_warn(VMM_NAME ": no nested paging (NPT); the planned backend will need it\n");
	pr_info(VMM_NAME ": AMD-V present (SVM revision %u, %u ASIDs, NPT %s, NRIPS %s)\n",
		cpuid_eax(SVM_CPUID_LEAF) & 0xff, cpuid_ebx(SVM_CPUID_LEAF),
		edx & SVM_FEATURE_NPT ? "yes" : "no",
		edx & SVM_FEATURE_NRIPS ? "yes" : "no");
	return 0;
}

const struct vmm_vendor_ops vmm_svm_ops = {
	.name = "svm",
	.check_hardware = svm_check_hardware,
};
