// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID: KVM_GET_SUPPORTED_CPUID (the host's leaves minus what we do not
 * virtualize), KVM_SET_CPUID2, and the answers to the guest's CPUID.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/kvm_para.h>
#include <asm/processor.h>
#include <asm/processor-flags.h>

#include "vmm.h"

static struct kvm_cpuid_entry2 *cpuid_add(struct kvm_cpuid_entry2 *e,
					  int *n, u32 fn, u32 idx, u32 flags)
{
	struct kvm_cpuid_entry2 *c;

	if (*n >= VMM_MAX_CPUID)
		return NULL;
	c = &e[(*n)++];
	memset(c, 0, sizeof(*c));
	c->function = fn;
	c->index = idx;
	c->flags = flags;
	cpuid_count(fn, idx, &c->eax, &c->ebx, &c->ecx, &c->edx);
	return c;
}

/* Feature bits we hide: things we do not virtualize. */
#define CPUID1_ECX_HIDE	(BIT(3) | BIT(5) | BIT(6) | BIT(21) | BIT(27))
#define CPUID1_ECX_HYPERVISOR	BIT(31)
/* The in-kernel LAPIC's timer has TSC-deadline mode on any host. */
#define CPUID1_ECX_TSC_DEADLINE	BIT(24)
#define CPUID1_EDX_APIC		BIT(9)
/* ...and keeps running in deep C-states: "always running APIC timer". */
#define CPUID6_EAX_ARAT		BIT(2)
/* TSC_ADJUST (bit 1) has no MSR here. */
#define CPUID7_EBX_HIDE	(BIT(1) | BIT(2) | BIT(14) | BIT(25))
#define CPUID7_ECX_HIDE	(BIT(3) | BIT(4) | BIT(5) | BIT(16))
#define CPUIDX1_ECX_HIDE (BIT(2) | BIT(3) | BIT(10) | BIT(12) | BIT(13) | \
			  BIT(22) | BIT(23) | BIT(24))

/*
 * KVM's paravirtual leaves, where KVM puts them: the signature and, of
 * the features, only kvmclock (KVM_FEATURE_CLOCKSOURCE2, kvmclock.c).
 */
static int vmm_add_kvm_leaves(struct kvm_cpuid_entry2 *e, int n)
{
	static const char sig[12] = "KVMKVMKVM\0\0\0";
	struct kvm_cpuid_entry2 *c;

	if (n + 2 > VMM_MAX_CPUID)
		return n;
	c = &e[n++];
	memset(c, 0, sizeof(*c));
	c->function = KVM_CPUID_SIGNATURE;
	c->eax = KVM_CPUID_FEATURES;
	memcpy(&c->ebx, sig, 4);
	memcpy(&c->ecx, sig + 4, 4);
	memcpy(&c->edx, sig + 8, 4);
	c = &e[n++];
	memset(c, 0, sizeof(*c));
	c->function = KVM_CPUID_FEATURES;
	c->eax = BIT(KVM_FEATURE_CLOCKSOURCE2);
	return n;
}

static int vmm_build_supported_cpuid(struct kvm_cpuid_entry2 *e)
{
	u32 max = min_t(u32, cpuid_eax(0), 0xd);
	u32 xmax = min_t(u32, cpuid_eax(0x80000000), 0x80000008);
	u64 xmask = vmm_guest_fpu_mask();
	struct kvm_cpuid_entry2 *c;
	u32 fn, i;
	int n = 0;

	for (fn = 0; fn <= max; fn++) {
		switch (fn) {
		case 4:
			for (i = 0; i < 16; i++) {
				c = cpuid_add(e, &n, fn, i,
					      KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
				if (!c || !(c->eax & 0x1f))
					break;
			}
			continue;
		case 7:
			c = cpuid_add(e, &n, fn, 0,
				      KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
			if (c) {
				c->eax = 0;
				c->ebx &= ~CPUID7_EBX_HIDE;
				c->ecx &= ~CPUID7_ECX_HIDE;
				c->edx = 0;
			}
			continue;
		case 0xb:
		case 0xa:
			continue;
		case 0xd:
			if (!xmask)
				continue;
			for (i = 0; i < 64; i++) {
				if (i >= 2 && !(xmask & BIT_ULL(i)))
					continue;
				c = cpuid_add(e, &n, fn, i,
					      KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
				if (c && i == 0) {
					c->eax = (u32)xmask;
					c->edx = 0;
				} else if (c && i == 1) {
					c->eax &= 0x7;	/* no XSAVES */
					c->ebx = c->ecx = c->edx = 0;
				}
			}
			continue;
		}
		c = cpuid_add(e, &n, fn, 0, 0);
		if (!c)
			break;
		if (fn == 0)
			c->eax = max;
		if (fn == 1) {
			c->ecx &= ~CPUID1_ECX_HIDE;
			c->ecx |= CPUID1_ECX_HYPERVISOR | CPUID1_ECX_TSC_DEADLINE;
			c->edx |= CPUID1_EDX_APIC;
			if (!xmask)
				c->ecx &= ~BIT(26);	/* XSAVE */
		}
		if (fn == 6) {
			c->eax = CPUID6_EAX_ARAT;
			c->ebx = c->ecx = c->edx = 0;
		}
	}
	n = vmm_add_kvm_leaves(e, n);
	for (fn = 0x80000000; fn <= xmax; fn++) {
		c = cpuid_add(e, &n, fn, 0, 0);
		if (!c)
			break;
		if (fn == 0x80000000)
			c->eax = xmax;
		if (fn == 0x80000001)
			c->ecx &= ~CPUIDX1_ECX_HIDE;
		if (fn == 0x80000008)
			c->ebx = 0;
	}
	return n;
}

int vmm_get_supported_cpuid(struct kvm_cpuid2 __user *ucpuid)
{
	struct kvm_cpuid_entry2 *e;
	struct kvm_cpuid2 hdr;
	int n, r = 0;

	if (copy_from_user(&hdr, ucpuid, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent < 1)
		return -E2BIG;
	e = kvcalloc(VMM_MAX_CPUID, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	n = vmm_build_supported_cpuid(e);
	if (hdr.nent < n) {
		r = -E2BIG;
		goto out;
	}
	hdr.nent = n;
	if (copy_to_user(ucpuid, &hdr, sizeof(hdr)) ||
	    copy_to_user(ucpuid->entries, e, n * sizeof(*e)))
		r = -EFAULT;
out:
	kvfree(e);
	return r;
}

void vmm_cpuid(struct vmm_vcpu *vcpu, u32 fn, u32 idx, u32 out[4])
{
	struct kvm_cpuid_entry2 *c;
	struct kvm_sregs sregs;
	u32 i;

	out[0] = out[1] = out[2] = out[3] = 0;
	for (i = 0; i < vcpu->nr_cpuid; i++) {
		c = &vcpu->cpuid[i];
		if (c->function != fn ||
		    ((c->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) &&
		     c->index != idx))
			continue;
		out[0] = c->eax;
		out[1] = c->ebx;
		out[2] = c->ecx;
		out[3] = c->edx;
		break;
	}
	/* OSXSAVE mirrors the guest's CR4. */
	if (fn == 1) {
		vmm_vendor->get_sregs(vcpu, &sregs);
		if (sregs.cr4 & X86_CR4_OSXSAVE)
			out[2] |= BIT(27);
		else
			out[2] &= ~BIT(27);
	}
}

long vmm_vcpu_set_cpuid2(struct vmm_vcpu *vcpu,
				struct kvm_cpuid2 __user *ucpuid)
{
	struct kvm_cpuid_entry2 *e = NULL;
	struct kvm_cpuid2 hdr;

	if (copy_from_user(&hdr, ucpuid, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent > VMM_MAX_CPUID)
		return -E2BIG;
	if (hdr.nent) {
		e = vmemdup_user(ucpuid->entries, hdr.nent * sizeof(*e));
		if (IS_ERR(e))
			return PTR_ERR(e);
	}
	kvfree(vcpu->cpuid);
	vcpu->cpuid = e;
	vcpu->nr_cpuid = hdr.nent;
	return 0;
}
