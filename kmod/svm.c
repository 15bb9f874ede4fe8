// SPDX-License-Identifier: GPL-2.0
/*
 * AMD-V (SVM) backend: hardware checks, EFER.SVME on every CPU while a VM
 * exists, one ASID per VM, one VMCB per vCPU with nested paging, and the
 * trip through VMRUN.  Registers are in svm_regs.c, exits in svm_exit.c.
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/fpu/api.h>
#include <asm/io.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/svm.h>

#include "vmm_svm.h"

/* CPUID 0x80000001 ECX bit 2: "SVM" in the AMD manual. */
#define SVM_CPUID_ECX_SVM	BIT(2)

/* CPUID 0x8000000A EDX: SVM sub-features. */
#define SVM_CPUID_LEAF		0x8000000a
#define SVM_FEATURE_NPT		BIT(0)
#define SVM_FEATURE_NRIPS	BIT(3)
#define SVM_FEATURE_FLUSH_ASID	BIT(6)
#define SVM_FEATURE_DECODE	BIT(7)

#define IOPM_ORDER		2	/* 12 KiB used */
#define MSRPM_ORDER		1	/* 8 KiB */

#define CR0_RESET		(X86_CR0_CD | X86_CR0_NW | X86_CR0_ET)
#define PAT_RESET		0x0007040600070406ull
#define SVM_DR7_RESET		0x400ul

void vmm_svm_vmrun(unsigned long vmcb_pa, unsigned long *regs,
		   unsigned long host_save_pa);

struct svm_hw svm_hw;

/* Per-CPU host state; present while at least one VM exists. */
struct svm_cpu {
	struct page *hsave;	/* VM_HSAVE_PA: VMRUN's own host save */
	struct page *host_save;	/* our VMSAVE/VMLOAD area for the host */
	bool enabled;		/* we set EFER.SVME here */
};

static DEFINE_PER_CPU(struct svm_cpu, svm_cpus);
static DEFINE_MUTEX(svm_users_lock);
static unsigned int svm_users;
static bool svm_active;		/* SVME wanted on online CPUs; cpus_read_lock */
static enum cpuhp_state svm_cpuhp_state;
static atomic_t svm_busy_cpu;

static DEFINE_SPINLOCK(svm_asid_lock);
static unsigned long *svm_asid_bitmap;
#define SVM_MAX_ASIDS		4096


/* ------------------------------------------------------------- hardware */

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
	if (!(edx & SVM_FEATURE_NPT)) {
		pr_err(VMM_NAME ": AMD-V without nested paging (NPT) is not supported\n");
		return -ENODEV;
	}
	svm_hw.nasids = min_t(u32, cpuid_ebx(SVM_CPUID_LEAF), SVM_MAX_ASIDS);
	svm_hw.nrips = edx & SVM_FEATURE_NRIPS;
	svm_hw.flush_by_asid = edx & SVM_FEATURE_FLUSH_ASID;
	svm_hw.decode_assist = edx & SVM_FEATURE_DECODE;
	if (svm_hw.nasids < 2) {
		pr_err(VMM_NAME ": AMD-V reports %u ASIDs; need at least 2\n",
		       svm_hw.nasids);
		return -ENODEV;
	}
	pr_info(VMM_NAME ": AMD-V present (SVM revision %u, %u ASIDs, NPT yes, NRIPS %s, DecodeAssists %s, FlushByAsid %s)\n",
		cpuid_eax(SVM_CPUID_LEAF) & 0xff, cpuid_ebx(SVM_CPUID_LEAF),
		svm_hw.nrips ? "yes" : "no",
		svm_hw.decode_assist ? "yes" : "no",
		svm_hw.flush_by_asid ? "yes" : "no");
	return 0;
}

static void svm_enable_cpu(void *unused);
static void svm_disable_cpu(void *unused);

/* CPU hotplug: a CPU coming online while VMs exist gets SVM too. */
static int svm_cpu_online(unsigned int cpu)
{
	if (READ_ONCE(svm_active))
		svm_enable_cpu(NULL);
	return 0;
}

static int svm_cpu_offline(unsigned int cpu)
{
	svm_disable_cpu(NULL);
	return 0;
}

static int svm_hardware_init(void)
{
	int r;

	r = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "vmm/svm:online",
				      svm_cpu_online, svm_cpu_offline);
	if (r < 0)
		return r;
	svm_cpuhp_state = r;

	svm_hw.iopm = alloc_pages(GFP_KERNEL, IOPM_ORDER);
	svm_hw.msrpm = alloc_pages(GFP_KERNEL, MSRPM_ORDER);
	svm_asid_bitmap = bitmap_zalloc(SVM_MAX_ASIDS, GFP_KERNEL);
	if (!svm_hw.iopm || !svm_hw.msrpm || !svm_asid_bitmap) {
		if (svm_hw.iopm)
			__free_pages(svm_hw.iopm, IOPM_ORDER);
		if (svm_hw.msrpm)
			__free_pages(svm_hw.msrpm, MSRPM_ORDER);
		bitmap_free(svm_asid_bitmap);
		cpuhp_remove_state_nocalls(svm_cpuhp_state);
		return -ENOMEM;
	}
	memset(page_address(svm_hw.iopm), 0xff, PAGE_SIZE << IOPM_ORDER);
	memset(page_address(svm_hw.msrpm), 0xff, PAGE_SIZE << MSRPM_ORDER);
	set_bit(0, svm_asid_bitmap);	/* ASID 0 is the host's */
	return 0;
}

static void svm_hardware_exit(void)
{
	cpuhp_remove_state_nocalls(svm_cpuhp_state);
	__free_pages(svm_hw.iopm, IOPM_ORDER);
	__free_pages(svm_hw.msrpm, MSRPM_ORDER);
	bitmap_free(svm_asid_bitmap);
}

static void svm_enable_cpu(void *unused)
{
	struct svm_cpu *sd = this_cpu_ptr(&svm_cpus);
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME) {
		/* Someone else (kvm_amd running a guest) owns SVM here. */
		atomic_set(&svm_busy_cpu, smp_processor_id() + 1);
		return;
	}
	if (!sd->hsave || !sd->host_save)
		return;
	wrmsrl(MSR_VM_HSAVE_PA, page_to_phys(sd->hsave));
	wrmsrl(MSR_EFER, efer | EFER_SVME);
	sd->enabled = true;
}

static void svm_disable_cpu(void *unused)
{
	struct svm_cpu *sd = this_cpu_ptr(&svm_cpus);
	u64 efer;

	if (!sd->enabled)
		return;
	rdmsrl(MSR_EFER, efer);
	wrmsrl(MSR_EFER, efer & ~EFER_SVME);
	wrmsrl(MSR_VM_HSAVE_PA, 0);
	sd->enabled = false;
}

static void svm_free_cpu_pages(void)
{
	struct svm_cpu *sd;
	int cpu;

	for_each_possible_cpu(cpu) {
		sd = per_cpu_ptr(&svm_cpus, cpu);
		if (sd->hsave)
			__free_page(sd->hsave);
		if (sd->host_save)
			__free_page(sd->host_save);
		sd->hsave = sd->host_save = NULL;
	}
}

/*
 * First VM: EFER.SVME on every online CPU.  CPUs that come online later
 * are not enabled; a vCPU scheduled there fails its entry (see
 * svm_vcpu_run) instead of executing VMRUN with SVM off.
 */
static int svm_enable(void)
{
	struct svm_cpu *sd;
	int cpu, r = 0;

	mutex_lock(&svm_users_lock);
	if (svm_users++)
		goto out;
	for_each_possible_cpu(cpu) {
		sd = per_cpu_ptr(&svm_cpus, cpu);
		sd->hsave = alloc_pages_node(cpu_to_node(cpu),
					     GFP_KERNEL | __GFP_ZERO, 0);
		sd->host_save = alloc_pages_node(cpu_to_node(cpu),
						 GFP_KERNEL | __GFP_ZERO, 0);
		if (!sd->hsave || !sd->host_save)
			r = -ENOMEM;
	}
	if (r)
		goto fail;
	cpus_read_lock();
	atomic_set(&svm_busy_cpu, 0);
	on_each_cpu(svm_enable_cpu, NULL, 1);
	cpu = atomic_read(&svm_busy_cpu);
	if (cpu) {
		on_each_cpu(svm_disable_cpu, NULL, 1);
		cpus_read_unlock();
		pr_warn(VMM_NAME ": EFER.SVME is already set on CPU %d: another hypervisor (kvm_amd?) is running guests; cannot create a VM\n",
			cpu - 1);
		r = -EBUSY;
		goto fail;
	}
	WRITE_ONCE(svm_active, true);
	cpus_read_unlock();
	goto out;
fail:
	svm_free_cpu_pages();
	svm_users = 0;
out:
	mutex_unlock(&svm_users_lock);
	return r;
}

static void svm_disable(void)
{
	mutex_lock(&svm_users_lock);
	if (!WARN_ON(!svm_users) && !--svm_users) {
		cpus_read_lock();
		WRITE_ONCE(svm_active, false);
		on_each_cpu(svm_disable_cpu, NULL, 1);
		cpus_read_unlock();
		svm_free_cpu_pages();
	}
	mutex_unlock(&svm_users_lock);
}

static int svm_asid_alloc(struct vmm_vm *vm)
{
	unsigned long a;

	spin_lock(&svm_asid_lock);
	a = find_next_zero_bit(svm_asid_bitmap, svm_hw.nasids, 1);
	if (a < svm_hw.nasids)
		set_bit(a, svm_asid_bitmap);
	spin_unlock(&svm_asid_lock);
	if (a >= svm_hw.nasids)
		return -ENOSPC;
	vm->asid = a;
	return 0;
}

static void svm_asid_free(struct vmm_vm *vm)
{
	if (!vm->asid)
		return;
	spin_lock(&svm_asid_lock);
	clear_bit(vm->asid, svm_asid_bitmap);
	spin_unlock(&svm_asid_lock);
	vm->asid = 0;
}

/* ----------------------------------------------------------------- VMCB */

/* What a guest must never do to the host. */
static const unsigned int svm_intercepts[] = {
	INTERCEPT_INTR, INTERCEPT_NMI, INTERCEPT_SMI, INTERCEPT_CPUID,
	INTERCEPT_INVD, INTERCEPT_HLT, INTERCEPT_INVLPGA, INTERCEPT_IOIO_PROT,
	INTERCEPT_MSR_PROT, INTERCEPT_SHUTDOWN, INTERCEPT_VMRUN,
	INTERCEPT_VMMCALL, INTERCEPT_VMLOAD, INTERCEPT_VMSAVE, INTERCEPT_STGI,
	INTERCEPT_CLGI, INTERCEPT_SKINIT, INTERCEPT_WBINVD, INTERCEPT_MONITOR,
	INTERCEPT_MWAIT, INTERCEPT_XSETBV,
};

static void svm_seg_reset(struct vmcb_seg *s, u16 sel, u64 base, u16 attrib)
{
	s->selector = sel;
	s->base = base;
	s->limit = 0xffff;
	s->attrib = attrib;
}

/* The architectural reset state, as KVM presents a new vCPU. */
void svm_init_vmcb(struct vmm_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	struct vmcb_control_area *c = &vmcb->control;
	struct vmcb_save_area *s = &vmcb->save;
	size_t i;

	memset(vmcb, 0, PAGE_SIZE);
	for (i = 0; i < ARRAY_SIZE(svm_intercepts); i++)
		svm_set_intercept(vmcb, svm_intercepts[i]);
	c->iopm_base_pa = page_to_phys(svm_hw.iopm);
	c->msrpm_base_pa = page_to_phys(svm_hw.msrpm);
	c->asid = vcpu->vm->asid;
	c->int_ctl = V_INTR_MASKING_MASK;
	c->nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
	c->nested_cr3 = __pa(vcpu->vm->npt_root);
	c->tsc_offset = READ_ONCE(vcpu->vm->tsc_last_offset);

	/* Code: type 0xb (exec/read, accessed), S, P.  Data: type 3, S, P. */
	svm_seg_reset(&s->cs, 0xf000, 0xffff0000, 0x9b);
	svm_seg_reset(&s->ds, 0, 0, 0x93);
	svm_seg_reset(&s->es, 0, 0, 0x93);
	svm_seg_reset(&s->fs, 0, 0, 0x93);
	svm_seg_reset(&s->gs, 0, 0, 0x93);
	svm_seg_reset(&s->ss, 0, 0, 0x93);
	svm_seg_reset(&s->ldtr, 0, 0, 0x82);
	svm_seg_reset(&s->tr, 0, 0, 0x8b);
	s->gdtr.limit = 0xffff;
	s->idtr.limit = 0xffff;
	s->cr0 = CR0_RESET;
	s->efer = EFER_SVME;
	s->dr6 = DR6_RESERVED;
	s->dr7 = SVM_DR7_RESET;
	s->rflags = X86_EFLAGS_FIXED;
	s->rip = 0xfff0;
	s->g_pat = PAT_RESET;

	memset(vcpu->regs, 0, sizeof(vcpu->regs));
	vcpu->regs[VMM_RDX] = 0x600;	/* family 6 reset signature, as KVM */
	svm->event = 0;
	svm->last_cpu = -1;
}

static int svm_vcpu_create(struct vmm_vcpu *vcpu)
{
	struct svm_vcpu *svm;

	svm = kzalloc(sizeof(*svm), GFP_KERNEL_ACCOUNT);
	if (!svm)
		return -ENOMEM;
	svm->vmcb = (struct vmcb *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!svm->vmcb) {
		kfree(svm);
		return -ENOMEM;
	}
	svm->vmcb_pa = __pa(svm->vmcb);
	vcpu->priv = svm;
	svm_init_vmcb(vcpu);
	return 0;
}

static void svm_vcpu_free(struct vmm_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	free_page((unsigned long)svm->vmcb);
	kfree(svm);
	vcpu->priv = NULL;
}

/* INIT: back to the reset state; the TSC keeps running (not reset). */
static void svm_vcpu_reset(struct vmm_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	u64 tsc_offset = vmcb->control.tsc_offset;

	svm_init_vmcb(vcpu);
	vmcb->control.tsc_offset = tsc_offset;
}

/* SIPI: real mode at vector << 12 (CS = vector << 8, IP = 0). */
static void svm_vcpu_sipi(struct vmm_vcpu *vcpu, u8 vector)
{
	struct vmcb_save_area *s = &to_svm(vcpu)->vmcb->save;

	s->cs.selector = vector << 8;
	s->cs.base = (u64)vector << 12;
	s->rip = 0;
}

static u64 svm_guest_tsc(struct vmm_vcpu *vcpu)
{
	return rdtsc() + to_svm(vcpu)->vmcb->control.tsc_offset;
}

/* ------------------------------------------------------------------ run */

static int svm_vcpu_run(struct vmm_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	struct svm_cpu *sd;
	unsigned long dr7;
	u64 gen, host_tsc_aux = 0;
	bool swap_tsc_aux;
	int cpu;

	vmcb->save.rax = vcpu->regs[VMM_RAX];
	vmcb->save.rsp = vcpu->regs[VMM_RSP];
	vmcb->control.clean = 0;	/* we cache nothing: reload it all */

	kernel_fpu_begin();	/* also disables preemption */
	vmm_guest_fpu_load(vcpu);
	local_irq_disable();
	cpu = smp_processor_id();
	sd = this_cpu_ptr(&svm_cpus);
	if (unlikely(!sd->enabled)) {
		/* A CPU without SVM on (hotplug race): try again later. */
		local_irq_enable();
		vmm_guest_fpu_save(vcpu);
		kernel_fpu_end();
		pr_warn_ratelimited(VMM_NAME ": SVM is not enabled on CPU %d\n",
				    cpu);
		vcpu->run->exit_reason = KVM_EXIT_FAIL_ENTRY;
		vcpu->run->fail_entry.hardware_entry_failure_reason = 0;
		vcpu->run->fail_entry.cpu = cpu;
		return 0;
	}
	/*
	 * Publish where we run before the last look at the LAPIC: an
	 * interrupt raised after that look IPIs this CPU, which (held with
	 * interrupts off) forces a #VMEXIT right after VMRUN.
	 */
	WRITE_ONCE(vcpu->guest_cpu, cpu);
	smp_mb();
	svm_inject_events(vcpu);
	/* A new CPU, or NPT entries removed since: flush this ASID first. */
	gen = atomic64_read(&vcpu->vm->tlb_gen);
	if (svm->last_cpu != cpu || svm->tlb_gen != gen) {
		vmcb->control.tlb_ctl = svm_hw.flush_by_asid ?
			TLB_CONTROL_FLUSH_ASID : TLB_CONTROL_FLUSH_ALL_ASID;
		svm->last_cpu = cpu;
		svm->tlb_gen = gen;
	}
	get_debugreg(dr7, 7);
	/* RDTSCP/RDPID read TSC_AUX directly: the guest's value goes in. */
	swap_tsc_aux = boot_cpu_has(X86_FEATURE_RDTSCP) ||
		       boot_cpu_has(X86_FEATURE_RDPID);
	if (swap_tsc_aux) {
		rdmsrl(MSR_TSC_AUX, host_tsc_aux);
		swap_tsc_aux = host_tsc_aux != vcpu->tsc_aux;
		if (swap_tsc_aux)
			wrmsrl(MSR_TSC_AUX, vcpu->tsc_aux);
	}

	asm volatile("clgi" ::: "memory");
	vmm_svm_vmrun(svm->vmcb_pa, vcpu->regs, page_to_phys(sd->host_save));
	/* #VMEXIT leaves DR7 reset; give the host its breakpoints back. */
	if (dr7 != SVM_DR7_RESET)
		set_debugreg(dr7, 7);
	if (swap_tsc_aux)
		wrmsrl(MSR_TSC_AUX, host_tsc_aux);
	asm volatile("stgi" ::: "memory");

	vmcb->control.tlb_ctl = TLB_CONTROL_DO_NOTHING;
	WRITE_ONCE(vcpu->guest_cpu, -1);
	local_irq_enable();
	vmm_guest_fpu_save(vcpu);
	kernel_fpu_end();

	vcpu->regs[VMM_RAX] = vmcb->save.rax;
	vcpu->regs[VMM_RSP] = vmcb->save.rsp;
	svm_collect_event(vcpu);
	return svm_handle_exit(vcpu);
}

const struct vmm_vendor_ops vmm_svm_ops = {
	.name = "svm",
	.check_hardware = svm_check_hardware,
	.hardware_init = svm_hardware_init,
	.hardware_exit = svm_hardware_exit,
	.enable = svm_enable,
	.disable = svm_disable,
	.asid_alloc = svm_asid_alloc,
	.asid_free = svm_asid_free,
	.vcpu_create = svm_vcpu_create,
	.vcpu_free = svm_vcpu_free,
	.vcpu_run = svm_vcpu_run,
	.get_regs = svm_get_regs,
	.set_regs = svm_set_regs,
	.get_sregs = svm_get_sregs,
	.set_sregs = svm_set_sregs,
	.get_mode = svm_get_mode,
	.get_msr = svm_get_msr,
	.set_msr = svm_set_msr,
	.interrupt_allowed = svm_interrupt_allowed,
	.if_flag = svm_if_flag,
	.skip_insn = svm_skip_insn,
	.vcpu_reset = svm_vcpu_reset,
	.vcpu_sipi = svm_vcpu_sipi,
	.guest_tsc = svm_guest_tsc,
};
