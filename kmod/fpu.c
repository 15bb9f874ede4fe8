// SPDX-License-Identifier: GPL-2.0
/*
 * Guest FPU/SSE/AVX state: an XSAVE (or FXSAVE) image per vCPU, loaded
 * around VMRUN inside kernel_fpu_begin()/kernel_fpu_end(), and
 * KVM_GET/SET_FPU on its legacy part.
 */
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/printk.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>

#include "vmm.h"

/* x87, SSE, AVX, AVX-512: what a guest may own; not PKRU, not AMX. */
#define VMM_XFEATURES	0xe7ull
#define FXSAVE_SIZE	512

u64 vmm_guest_fpu_mask(void)
{
	return boot_cpu_has(X86_FEATURE_OSXSAVE) ?
		xgetbv(XCR_XFEATURE_ENABLED_MASK) & VMM_XFEATURES : 0;
}

int vmm_fpu_alloc(struct vmm_vcpu *vcpu)
{
	unsigned int size = FXSAVE_SIZE;
	u8 *buf;

	if (boot_cpu_has(X86_FEATURE_OSXSAVE))
		size = cpuid_ebx(0xd);	/* bytes for what XCR0 enables */
	buf = (u8 *)__get_free_pages(GFP_KERNEL_ACCOUNT | __GFP_ZERO,
				     get_order(size));
	if (!buf)
		return -ENOMEM;
	/* Reset values; an all-zero XSAVE header means "init state". */
	*(u16 *)(buf + 0) = 0x37f;	/* FCW */
	*(u32 *)(buf + 24) = 0x1f80;	/* MXCSR */
	vcpu->fpu = buf;
	vcpu->xcr0 = 1;
	return 0;
}

void vmm_fpu_free(struct vmm_vcpu *vcpu)
{
	unsigned int size = FXSAVE_SIZE;

	if (boot_cpu_has(X86_FEATURE_OSXSAVE))
		size = cpuid_ebx(0xd);
	free_pages((unsigned long)vcpu->fpu, get_order(size));
}

/*
 * Between kernel_fpu_begin() and kernel_fpu_end() (the user's registers
 * are saved and nothing else uses the FPU): load the guest's state before
 * VMRUN, save it after.  XCR0 is never switched: the guest may only set
 * the host's value (see the XSETBV intercept), so one mask fits both.
 */
void vmm_guest_fpu_load(struct vmm_vcpu *vcpu)
{
	u64 mask = vmm_guest_fpu_mask();

	if (mask)
		vcpu->host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);

	if (mask)
		asm volatile("xrstor64 (%0)" : : "r"(vcpu->fpu),
			     "a"((u32)mask), "d"((u32)(mask >> 32)) : "memory");
	else
		asm volatile("fxrstor64 (%0)" : : "r"(vcpu->fpu) : "memory");
}

void vmm_guest_fpu_save(struct vmm_vcpu *vcpu)
{
	u64 mask, xcr0;

	/*
	 * XSETBV is intercepted, but a CPU (or emulator) that fails to would
	 * leave the guest's XCR0 in force for the host: user AVX code would
	 * then die of #UD.  Put the host's back whatever happened.
	 */
	if (boot_cpu_has(X86_FEATURE_OSXSAVE)) {
		xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
		if (xcr0 != vcpu->host_xcr0) {
			xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->host_xcr0);
			pr_warn_once(VMM_NAME ": guest changed XCR0 to 0x%llx without an XSETBV intercept; restored 0x%llx\n",
				     xcr0, vcpu->host_xcr0);
		}
	}
	mask = vmm_guest_fpu_mask();

	if (mask)
		asm volatile("xsave64 (%0)" : : "r"(vcpu->fpu),
			     "a"((u32)mask), "d"((u32)(mask >> 32)) : "memory");
	else
		asm volatile("fxsave64 (%0)" : : "r"(vcpu->fpu) : "memory");
}

/* KVM_GET/SET_FPU: the legacy (FXSAVE) part of the image. */
#define FX_FCW		0
#define FX_FSW		2
#define FX_FTW		4
#define FX_FOP		6
#define FX_FIP		8
#define FX_FDP		16
#define FX_MXCSR	24
#define FX_ST0		32
#define FX_XMM0		160
#define XSAVE_HDR_BV	512

long vmm_vcpu_get_fpu(struct vmm_vcpu *vcpu, void __user *argp)
{
	const u8 *fx = vcpu->fpu;
	struct kvm_fpu f;

	memset(&f, 0, sizeof(f));
	memcpy(f.fpr, fx + FX_ST0, sizeof(f.fpr));
	f.fcw = *(const u16 *)(fx + FX_FCW);
	f.fsw = *(const u16 *)(fx + FX_FSW);
	f.ftwx = fx[FX_FTW];
	f.last_opcode = *(const u16 *)(fx + FX_FOP);
	f.last_ip = *(const u64 *)(fx + FX_FIP);
	f.last_dp = *(const u64 *)(fx + FX_FDP);
	memcpy(f.xmm, fx + FX_XMM0, sizeof(f.xmm));
	f.mxcsr = *(const u32 *)(fx + FX_MXCSR);
	return copy_to_user(argp, &f, sizeof(f)) ? -EFAULT : 0;
}

/* MXCSR bits this CPU accepts (FXSAVE's MXCSR_MASK, 0 meaning 0xffbf). */
static u32 vmm_mxcsr_mask(void)
{
	u8 buf[512] __aligned(16);
	u32 mask;

	kernel_fpu_begin();
	asm volatile("fxsave64 %0" : "=m"(buf));
	kernel_fpu_end();
	mask = *(u32 *)(buf + 28);
	return mask ? mask : 0xffbf;
}

long vmm_vcpu_set_fpu(struct vmm_vcpu *vcpu, void __user *argp)
{
	u8 *fx = vcpu->fpu;
	struct kvm_fpu f;

	if (copy_from_user(&f, argp, sizeof(f)))
		return -EFAULT;
	/* A reserved MXCSR bit would make the next XRSTOR fault. */
	if (f.mxcsr & ~vmm_mxcsr_mask())
		return -EINVAL;
	memcpy(fx + FX_ST0, f.fpr, sizeof(f.fpr));
	*(u16 *)(fx + FX_FCW) = f.fcw;
	*(u16 *)(fx + FX_FSW) = f.fsw;
	fx[FX_FTW] = f.ftwx;
	*(u16 *)(fx + FX_FOP) = f.last_opcode;
	*(u64 *)(fx + FX_FIP) = f.last_ip;
	*(u64 *)(fx + FX_FDP) = f.last_dp;
	memcpy(fx + FX_XMM0, f.xmm, sizeof(f.xmm));
	*(u32 *)(fx + FX_MXCSR) = f.mxcsr;
	/* x87 and SSE now come from the image, not the init state. */
	if (vmm_guest_fpu_mask())
		*(u64 *)(fx + XSAVE_HDR_BV) |= 3;
	return 0;
}

u64 vmm_guest_xcr0_allowed(void)
{
	return vmm_guest_fpu_mask();
}
