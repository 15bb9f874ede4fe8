// SPDX-License-Identifier: GPL-2.0
/*
 * vCPUs: KVM_CREATE_VCPU, the vCPU fd (mmap of struct kvm_run, ioctls) and
 * the KVM_RUN loop.  Vendor-neutral: guest entry, exits and the register
 * file live behind vmm_vendor; FPU state is in fpu.c, CPUID in cpuid.c,
 * MSRs in msr.c.
 *
 * The run area is two pages, as in KVM: struct kvm_run, then the page PIO
 * data goes to (io.data_offset = PAGE_SIZE).
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>

#include "vmm.h"

/* ------------------------------------------------------------ KVM_RUN */

static void vmm_complete_io_in(struct vmm_vcpu *vcpu)
{
	unsigned long *rax = &vcpu->regs[VMM_RAX];
	u8 *data = page_address(vcpu->run_pages[1]);
	u32 v = 0;

	memcpy(&v, data, vcpu->pending_size);
	switch (vcpu->pending_size) {
	case 1:
		*rax = (*rax & ~0xfful) | v;
		break;
	case 2:
		*rax = (*rax & ~0xfffful) | v;
		break;
	default:
		*rax = v;
		break;
	}
}

static int vmm_complete_pending(struct vmm_vcpu *vcpu)
{
	int r = 0;

	switch (vcpu->pending) {
	case VMM_PENDING_IO_IN:
		vmm_complete_io_in(vcpu);
		break;
	case VMM_PENDING_MMIO_READ:
		vmm_complete_mmio_read(vcpu);
		break;
	case VMM_PENDING_INS:
		r = vmm_complete_ins(vcpu);
		break;
	case VMM_PENDING_NONE:
		break;
	}
	vcpu->pending = VMM_PENDING_NONE;
	return r;
}

static bool vmm_ready_for_interrupt(struct vmm_vcpu *vcpu)
{
	return vcpu->pending_irq < 0 && vmm_vendor->interrupt_allowed(vcpu);
}

/*
 * With an in-kernel irqchip: INIT/SIPI, and sleeping while halted or
 * waiting for SIPI.  0 to enter the guest, -EINTR on a signal (the vCPU
 * stays halted: the next KVM_RUN sleeps again, as in KVM).
 */
static int vmm_vcpu_block(struct vmm_vcpu *vcpu)
{
	for (;;) {
		vmm_lapic_run_events(vcpu);
		if (vcpu->mp_state == VMM_MP_RUNNABLE)
			return 0;
		if (vcpu->mp_state == VMM_MP_HALTED &&
		    vmm_lapic_wake_pending(vcpu)) {
			vcpu->mp_state = VMM_MP_RUNNABLE;
			return 0;
		}
		if (wait_event_interruptible(vcpu->wq,
					     vmm_lapic_wake_pending(vcpu)))
			return -EINTR;
	}
}

static long vmm_vcpu_run(struct vmm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct vmm_mode mode;
	long r;

	r = vmm_complete_pending(vcpu);
	if (r)
		goto out;
	if (READ_ONCE(run->immediate_exit)) {
		run->exit_reason = KVM_EXIT_INTR;
		r = -EINTR;
		goto out;
	}
	vmm_kvmclock_update(vcpu);
	for (;;) {
		if (signal_pending(current)) {
			run->exit_reason = KVM_EXIT_INTR;
			r = -EINTR;
			break;
		}
		if (vcpu->apic && vmm_vcpu_block(vcpu))
			continue;	/* a signal: the check above ends KVM_RUN */
		cond_resched();
		r = vmm_vendor->vcpu_run(vcpu);
		if (r <= 0)
			break;
		if (READ_ONCE(run->request_interrupt_window) &&
		    vmm_ready_for_interrupt(vcpu)) {
			run->exit_reason = KVM_EXIT_IRQ_WINDOW_OPEN;
			r = 0;
			break;
		}
	}
out:
	vmm_vendor->get_mode(vcpu, &mode);
	run->cr8 = mode.cr8;
	run->if_flag = vmm_vendor->if_flag(vcpu);
	run->ready_for_interrupt_injection = vmm_ready_for_interrupt(vcpu);
	run->apic_base = vcpu->apic_base;
	return r;
}

/* ------------------------------------------------------ vCPU ioctls */

static long vmm_vcpu_get_regs(struct vmm_vcpu *vcpu, void __user *argp)
{
	struct kvm_regs regs;

	memset(&regs, 0, sizeof(regs));
	vmm_vendor->get_regs(vcpu, &regs);
	return copy_to_user(argp, &regs, sizeof(regs)) ? -EFAULT : 0;
}

static long vmm_vcpu_set_regs(struct vmm_vcpu *vcpu, void __user *argp)
{
	struct kvm_regs regs;

	if (copy_from_user(&regs, argp, sizeof(regs)))
		return -EFAULT;
	regs.rflags |= X86_EFLAGS_FIXED;
	vmm_vendor->set_regs(vcpu, &regs);
	return 0;
}

static long vmm_vcpu_get_sregs(struct vmm_vcpu *vcpu, void __user *argp)
{
	struct kvm_sregs sregs;

	memset(&sregs, 0, sizeof(sregs));
	vmm_vendor->get_sregs(vcpu, &sregs);
	return copy_to_user(argp, &sregs, sizeof(sregs)) ? -EFAULT : 0;
}

static long vmm_vcpu_set_sregs(struct vmm_vcpu *vcpu, void __user *argp)
{
	struct kvm_sregs sregs;

	if (copy_from_user(&sregs, argp, sizeof(sregs)))
		return -EFAULT;
	return vmm_vendor->set_sregs(vcpu, &sregs);
}

static long vmm_vcpu_interrupt(struct vmm_vcpu *vcpu, void __user *argp)
{
	struct kvm_interrupt irq;

	if (copy_from_user(&irq, argp, sizeof(irq)))
		return -EFAULT;
	if (vcpu->apic)
		return -ENXIO;	/* the in-kernel LAPIC takes interrupts */
	if (irq.irq >= 256)
		return -EINVAL;
	if (vcpu->pending_irq >= 0)
		return -EEXIST;
	vcpu->pending_irq = irq.irq;
	return 0;
}

static long vmm_vcpu_ioctl(struct file *filp, unsigned int cmd,
			   unsigned long arg)
{
	struct vmm_vcpu *vcpu = filp->private_data;
	void __user *argp = (void __user *)arg;
	long r;

	if (vcpu->vm->mm != current->mm)
		return -EIO;
	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;
	switch (cmd) {
	case KVM_RUN:
		r = arg ? -EINVAL : vmm_vcpu_run(vcpu);
		break;
	case KVM_GET_REGS:
		r = vmm_vcpu_get_regs(vcpu, argp);
		break;
	case KVM_SET_REGS:
		r = vmm_vcpu_set_regs(vcpu, argp);
		break;
	case KVM_GET_SREGS:
		r = vmm_vcpu_get_sregs(vcpu, argp);
		break;
	case KVM_SET_SREGS:
		r = vmm_vcpu_set_sregs(vcpu, argp);
		break;
	case KVM_INTERRUPT:
		r = vmm_vcpu_interrupt(vcpu, argp);
		break;
	case KVM_GET_FPU:
		r = vmm_vcpu_get_fpu(vcpu, argp);
		break;
	case KVM_SET_FPU:
		r = vmm_vcpu_set_fpu(vcpu, argp);
		break;
	case KVM_SET_CPUID2:
		r = vmm_vcpu_set_cpuid2(vcpu, argp);
		break;
	case KVM_GET_MSRS:
		r = vmm_vcpu_msrs(vcpu, argp, false);
		break;
	case KVM_SET_MSRS:
		r = vmm_vcpu_msrs(vcpu, argp, true);
		break;
	case KVM_GET_LAPIC:
		r = vmm_vcpu_get_lapic(vcpu, argp);
		break;
	case KVM_SET_LAPIC:
		r = vmm_vcpu_set_lapic(vcpu, argp);
		break;
	default:
		r = -ENOTTY;
		break;
	}
	mutex_unlock(&vcpu->mutex);
	return r;
}

static vm_fault_t vmm_vcpu_fault(struct vm_fault *vmf)
{
	struct vmm_vcpu *vcpu = vmf->vma->vm_file->private_data;

	if (vmf->pgoff >= VMM_RUN_PAGES)
		return VM_FAULT_SIGBUS;
	vmf->page = vcpu->run_pages[vmf->pgoff];
	get_page(vmf->page);
	return 0;
}

static const struct vm_operations_struct vmm_vcpu_vm_ops = {
	.fault = vmm_vcpu_fault,
};

static int vmm_vcpu_mmap(struct file *filp, struct vm_area_struct *vma)
{
	if (vma->vm_pgoff >= VMM_RUN_PAGES ||
	    vma_pages(vma) > VMM_RUN_PAGES - vma->vm_pgoff)
		return -EINVAL;
	vma->vm_ops = &vmm_vcpu_vm_ops;
	return 0;
}

static int vmm_vcpu_release(struct inode *inode, struct file *filp)
{
	struct vmm_vcpu *vcpu = filp->private_data;

	/* The vCPU itself lives until its VM goes, as in KVM. */
	vmm_vm_put(vcpu->vm);
	return 0;
}

static const struct file_operations vmm_vcpu_fops = {
	.owner = THIS_MODULE,
	.release = vmm_vcpu_release,
	.unlocked_ioctl = vmm_vcpu_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = vmm_vcpu_mmap,
	.llseek = noop_llseek,
};

void vmm_vcpu_destroy(struct vmm_vcpu *vcpu)
{
	int i;

	if (vmm_exit_stats)
		pr_info(VMM_NAME ": vcpu %u exits: intr %llu window %llu io %llu mmio %llu npt %llu msr %llu hlt %llu other %llu\n",
			vcpu->id, vcpu->stat[VMM_STAT_INTR],
			vcpu->stat[VMM_STAT_WINDOW], vcpu->stat[VMM_STAT_IO],
			vcpu->stat[VMM_STAT_MMIO], vcpu->stat[VMM_STAT_NPT],
			vcpu->stat[VMM_STAT_MSR], vcpu->stat[VMM_STAT_HLT],
			vcpu->stat[VMM_STAT_OTHER]);
	vmm_lapic_free(vcpu);
	if (vcpu->priv)
		vmm_vendor->vcpu_free(vcpu);
	for (i = 0; i < VMM_RUN_PAGES; i++)
		if (vcpu->run_pages[i])
			__free_page(vcpu->run_pages[i]);
	if (vcpu->fpu)
		vmm_fpu_free(vcpu);
	kvfree(vcpu->cpuid);
	kfree(vcpu);
}

static struct vmm_vcpu *vmm_vcpu_alloc(struct vmm_vm *vm, u32 id)
{
	struct vmm_vcpu *vcpu;
	int i;

	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return NULL;
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->pending_irq = -1;
	vcpu->guest_cpu = -1;
	mutex_init(&vcpu->mutex);
	init_waitqueue_head(&vcpu->wq);
	for (i = 0; i < VMM_RUN_PAGES; i++) {
		vcpu->run_pages[i] = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!vcpu->run_pages[i])
			goto err;
	}
	vcpu->run = page_address(vcpu->run_pages[0]);
	/* BSP, xAPIC enabled at the architectural base, as KVM resets it. */
	vcpu->apic_base = 0xfee00000 | MSR_IA32_APICBASE_ENABLE |
			  (id == 0 ? MSR_IA32_APICBASE_BSP : 0);
	if (vmm_fpu_alloc(vcpu) || vmm_vendor->vcpu_create(vcpu))
		goto err;
	if (vm->irqchip && vmm_lapic_create(vcpu))
		goto err;
	return vcpu;
err:
	vmm_vcpu_destroy(vcpu);
	return NULL;
}

int vmm_vcpu_create_fd(struct vmm_vm *vm, unsigned long id)
{
	struct vmm_vcpu *vcpu;
	int r;

	if (id >= VMM_MAX_VCPUS)
		return -EINVAL;
	vcpu = vmm_vcpu_alloc(vm, id);
	if (!vcpu)
		return -ENOMEM;

	mutex_lock(&vm->lock);
	if (vm->vcpus[id]) {
		r = -EEXIST;
		goto err_unlock;
	}
	/* KVM_CREATE_IRQCHIP raced with us: this vCPU has no LAPIC. */
	if (vm->irqchip && !vcpu->apic) {
		r = -EINVAL;
		goto err_unlock;
	}
	/* The vCPU fd holds the VM; our caller's VM fd keeps ref > 1 here. */
	kref_get(&vm->ref);
	r = anon_inode_getfd("vmm-vcpu", &vmm_vcpu_fops, vcpu,
			     O_RDWR | O_CLOEXEC);
	if (r < 0) {
		vmm_vm_put(vm);
		goto err_unlock;
	}
	/* Lock-free readers (interrupt delivery) see it fully built. */
	smp_store_release(&vm->vcpus[id], vcpu);
	mutex_unlock(&vm->lock);
	return r;

err_unlock:
	mutex_unlock(&vm->lock);
	vmm_vcpu_destroy(vcpu);
	return r;
}
