// SPDX-License-Identifier: GPL-2.0
/*
 * VMs: KVM_CREATE_VM, the VM fd and its ioctls (memory slots, vCPUs).
 *
 * Memory slots follow KVM's rules so a monitor cannot tell the difference:
 * page-aligned gpa/size/hva, a writable user range, slot ids below
 * VMM_MAX_SLOTS in address space 0, no unknown flags (we know none), an
 * overlap with another slot is -EEXIST, size 0 deletes.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/msr.h>

#include "vmm.h"

/* Answers for KVM_CHECK_EXTENSION, on /dev/vmm and on a VM fd alike. */
static const struct {
	long cap;
	long value;
} vmm_caps[] = {
	{ KVM_CAP_USER_MEMORY, 1 },
	{ KVM_CAP_DESTROY_MEMORY_REGION_WORKS, 1 },
	{ KVM_CAP_SET_TSS_ADDR, 1 },	/* accepted, unused on SVM */
	{ KVM_CAP_EXT_CPUID, 1 },
	{ KVM_CAP_IMMEDIATE_EXIT, 1 },
	{ KVM_CAP_NR_VCPUS, VMM_MAX_VCPUS },
	{ KVM_CAP_MAX_VCPUS, VMM_MAX_VCPUS },
	{ KVM_CAP_MAX_VCPU_ID, VMM_MAX_VCPUS },
	{ KVM_CAP_NR_MEMSLOTS, VMM_MAX_SLOTS },
	/* In-kernel irqchip: IOAPIC + LAPICs (no PIC, no PIT), irq.c. */
	{ KVM_CAP_IRQCHIP, 1 },
	{ KVM_CAP_IRQ_ROUTING, VMM_MAX_ROUTES },
	{ KVM_CAP_SIGNAL_MSI, 1 },
	{ KVM_CAP_IRQFD, 1 },
	{ KVM_CAP_IOEVENTFD, 1 },
	{ KVM_CAP_TSC_DEADLINE_TIMER, 1 },
};

long vmm_check_extension(long cap)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vmm_caps); i++)
		if (vmm_caps[i].cap == cap)
			return vmm_caps[i].value;
	return 0;
}

struct vmm_slot *vmm_find_slot(struct vmm_vm *vm, u64 gfn)
{
	struct vmm_slot *s;
	int i;

	for (i = 0; i < VMM_MAX_SLOTS; i++) {
		s = &vm->slots[i];
		if (s->used && gfn >= (s->gpa >> PAGE_SHIFT) &&
		    gfn < (s->gpa >> PAGE_SHIFT) + s->npages)
			return s;
	}
	return NULL;
}

static void vmm_slot_delete(struct vmm_vm *vm, struct vmm_slot *slot)
{
	u64 i;

	vmm_npt_unmap_slot(vm, slot);
	/* The guest may have written any page it touched: mark them dirty. */
	for (i = 0; i < slot->npages; i++)
		if (slot->pages[i])
			unpin_user_pages_dirty_lock(&slot->pages[i], 1, true);
	kvfree(slot->pages);
	memset(slot, 0, sizeof(*slot));
}

static int vmm_set_memory_region(struct vmm_vm *vm,
				 const struct kvm_userspace_memory_region *m)
{
	u32 id = m->slot & 0xffff, as_id = m->slot >> 16;
	u64 npages = m->memory_size >> PAGE_SHIFT;
	struct vmm_slot *slot, *o;
	int i;

	if (m->flags)
		return -EINVAL;
	if ((m->memory_size | m->guest_phys_addr | m->userspace_addr) &
	    ~PAGE_MASK)
		return -EINVAL;
	if (as_id || id >= VMM_MAX_SLOTS)
		return -EINVAL;
	/* KVM_MEM_MAX_NR_PAGES: the page array must stay allocatable. */
	if (npages >= (1ull << 31))
		return -EINVAL;
	if (m->guest_phys_addr + m->memory_size < m->guest_phys_addr)
		return -EINVAL;
	if (m->memory_size &&
	    !access_ok((void __user *)(unsigned long)m->userspace_addr,
		       m->memory_size))
		return -EINVAL;
	/* Guest-physical addresses beyond 52 bits cannot be mapped. */
	if ((m->guest_phys_addr + m->memory_size) > (1ull << 52))
		return -EINVAL;

	slot = &vm->slots[id];
	if (!m->memory_size) {
		if (!slot->used)
			return -EINVAL;
		vmm_slot_delete(vm, slot);
		return 0;
	}
	if (slot->used) {
		/* KVM lets only the gpa (and flags) of a slot change. */
		if (slot->hva != m->userspace_addr || slot->npages != npages)
			return -EINVAL;
		if (slot->gpa == m->guest_phys_addr)
			return 0;
	}
	for (i = 0; i < VMM_MAX_SLOTS; i++) {
		o = &vm->slots[i];
		if (o == slot || !o->used)
			continue;
		if (m->guest_phys_addr < o->gpa + (o->npages << PAGE_SHIFT) &&
		    o->gpa < m->guest_phys_addr + m->memory_size)
			return -EEXIST;
	}
	if (slot->used)
		vmm_slot_delete(vm, slot);

	/* The array is 8 bytes a page: a slot of terabytes asks for more
	 * than kvmalloc serves, which it WARNs about unless told not to; a
	 * user asking too much gets -ENOMEM, not a kernel warning. */
	slot->pages = kvcalloc(npages, sizeof(*slot->pages),
			       GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!slot->pages)
		return -ENOMEM;
	slot->id = id;
	slot->gpa = m->guest_phys_addr;
	slot->npages = npages;
	slot->hva = m->userspace_addr;
	slot->used = true;
	return 0;
}

static long vmm_vm_ioctl_set_memory_region(struct vmm_vm *vm,
					   unsigned long arg)
{
	struct kvm_userspace_memory_region m;
	long r;

	if (copy_from_user(&m, (void __user *)arg, sizeof(m)))
		return -EFAULT;
	mutex_lock(&vm->slots_lock);
	r = vmm_set_memory_region(vm, &m);
	mutex_unlock(&vm->slots_lock);
	return r;
}

static long vmm_vm_ioctl(struct file *filp, unsigned int cmd,
			 unsigned long arg)
{
	struct vmm_vm *vm = filp->private_data;

	if (vm->mm != current->mm)
		return -EIO;

	switch (cmd) {
	case KVM_CHECK_EXTENSION:
		return vmm_check_extension(arg);
	case KVM_SET_USER_MEMORY_REGION:
		return vmm_vm_ioctl_set_memory_region(vm, arg);
	case KVM_CREATE_VCPU:
		return vmm_vcpu_create_fd(vm, arg);
	case KVM_SET_TSS_ADDR:
		/* Only VMX without unrestricted guest needs the TSS pages;
		 * KVM still wants their 3 pages below 4 GiB. */
		return arg > (u32)(-3 * PAGE_SIZE) ? -EINVAL : 0;
	case KVM_GET_IRQCHIP:
	case KVM_SET_IRQCHIP:
		return vmm_vm_irqchip_state(vm, (void __user *)arg,
					    cmd == KVM_SET_IRQCHIP);
	case KVM_CREATE_IRQCHIP:
		return vmm_vm_create_irqchip(vm);
	case KVM_IRQ_LINE:
		return vmm_vm_irq_line(vm, (void __user *)arg);
	case KVM_SIGNAL_MSI:
		return vmm_vm_signal_msi(vm, (void __user *)arg);
	case KVM_SET_GSI_ROUTING:
		return vmm_vm_set_gsi_routing(vm, (void __user *)arg);
	case KVM_IRQFD:
		return vmm_vm_irqfd(vm, (void __user *)arg);
	case KVM_IOEVENTFD:
		return vmm_vm_ioeventfd(vm, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static void vmm_vm_free(struct kref *ref)
{
	struct vmm_vm *vm = container_of(ref, struct vmm_vm, ref);
	int i;

	/* irqfds first: their callbacks deliver into the LAPICs. */
	vmm_eventfds_destroy(vm);
	for (i = 0; i < VMM_MAX_VCPUS; i++)
		if (vm->vcpus[i])
			vmm_lapic_free(vm->vcpus[i]);
	for (i = 0; i < VMM_MAX_VCPUS; i++)
		if (vm->vcpus[i])
			vmm_vcpu_destroy(vm->vcpus[i]);
	vmm_irqchip_destroy(vm);
	for (i = 0; i < VMM_MAX_SLOTS; i++)
		if (vm->slots[i].used)
			vmm_slot_delete(vm, &vm->slots[i]);
	vmm_npt_destroy(vm);
	vmm_vendor->asid_free(vm);
	mmdrop(vm->mm);
	kfree(vm);
	vmm_vendor->disable();
}

void vmm_vm_put(struct vmm_vm *vm)
{
	kref_put(&vm->ref, vmm_vm_free);
}

static int vmm_vm_release(struct inode *inode, struct file *filp)
{
	vmm_vm_put(filp->private_data);
	return 0;
}

/* .owner pins the module for as long as the fd is open. */
static const struct file_operations vmm_vm_fops = {
	.owner = THIS_MODULE,
	.release = vmm_vm_release,
	.unlocked_ioctl = vmm_vm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

long vmm_create_vm(void)
{
	struct vmm_vm *vm;
	int r;

	r = vmm_vendor->enable();
	if (r)
		return r;
	r = -ENOMEM;
	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		goto err_disable;
	kref_init(&vm->ref);
	mutex_init(&vm->lock);
	mutex_init(&vm->slots_lock);
	mutex_init(&vm->mmu_lock);
	atomic64_set(&vm->tlb_gen, 0);
	mutex_init(&vm->irq_lock);
	INIT_LIST_HEAD(&vm->irqfds);
	spin_lock_init(&vm->ioeventfd_lock);
	INIT_LIST_HEAD(&vm->ioeventfds);
	spin_lock_init(&vm->tsc_lock);
	vm->tsc_last_offset = -rdtsc();
	vm->kvmclock_base = ktime_get_boottime_ns();
	r = vmm_npt_init(vm);
	if (r)
		goto err_free;
	r = vmm_vendor->asid_alloc(vm);
	if (r)
		goto err_npt;
	mmgrab(current->mm);
	vm->mm = current->mm;

	r = anon_inode_getfd("vmm-vm", &vmm_vm_fops, vm, O_RDWR | O_CLOEXEC);
	if (r < 0)
		vmm_vm_put(vm);	/* undoes everything above */
	return r;

err_npt:
	vmm_npt_destroy(vm);
err_free:
	kfree(vm);
err_disable:
	vmm_vendor->disable();
	return r;
}
