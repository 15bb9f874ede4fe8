// SPDX-License-Identifier: GPL-2.0
/*
 * vmm.ko: /dev/vmm, a hypervisor exposing a subset of the Linux KVM ioctl
 * ABI (same numbers and structs as <linux/kvm.h>), so vmd-vm drives it
 * exactly as it drives /dev/kvm.
 *
 * This file is the device and its system ioctls; VMs are in vm.c, vCPUs in
 * vcpu.c, the AMD-V backend in svm.c.
 */
#include <linux/errno.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/kvm.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <asm/processor.h>

#include "vmm.h"

const struct vmm_vendor_ops *vmm_vendor;

static long vmm_ioctl_get_api_version(unsigned long arg)
{
	/* KVM refuses a non-zero argument; so do we, to be indistinguishable. */
	if (arg)
		return -EINVAL;
	return KVM_API_VERSION;
}

static long vmm_ioctl_check_extension(unsigned long arg)
{
	return vmm_check_extension(arg);
}

static long vmm_ioctl_get_vcpu_mmap_size(unsigned long arg)
{
	if (arg)
		return -EINVAL;
	return VMM_RUN_PAGES * PAGE_SIZE;
}

static long vmm_ioctl_create_vm(unsigned long arg)
{
	/* Machine type 0 is the only one x86 KVM knows. */
	if (arg)
		return -EINVAL;
	return vmm_create_vm();
}

static long vmm_ioctl_get_supported_cpuid(unsigned long arg)
{
	return vmm_get_supported_cpuid((struct kvm_cpuid2 __user *)arg);
}

static long vmm_ioctl_get_msr_index_list(unsigned long arg)
{
	return vmm_get_msr_index_list((struct kvm_msr_list __user *)arg);
}

static const struct {
	unsigned int cmd;
	long (*handler)(unsigned long arg);
} vmm_dev_ioctls[] = {
	{ KVM_GET_API_VERSION, vmm_ioctl_get_api_version },
	{ KVM_CHECK_EXTENSION, vmm_ioctl_check_extension },
	{ KVM_GET_VCPU_MMAP_SIZE, vmm_ioctl_get_vcpu_mmap_size },
	{ KVM_CREATE_VM, vmm_ioctl_create_vm },
	{ KVM_GET_SUPPORTED_CPUID, vmm_ioctl_get_supported_cpuid },
	{ KVM_GET_MSR_INDEX_LIST, vmm_ioctl_get_msr_index_list },
};

static long vmm_dev_ioctl(struct file *filp, unsigned int cmd,
			  unsigned long arg)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vmm_dev_ioctls); i++)
		if (vmm_dev_ioctls[i].cmd == cmd)
			return vmm_dev_ioctls[i].handler(arg);
	return -ENOTTY;
}

static int vmm_dev_open(struct inode *inode, struct file *filp)
{
	/* VMs are their own fds: nothing hangs off this one. */
	return nonseekable_open(inode, filp);
}

static int vmm_dev_release(struct inode *inode, struct file *filp)
{
	return 0;
}

/* .owner pins the module while /dev/vmm is open, so rmmod fails with EBUSY. */
static const struct file_operations vmm_dev_fops = {
	.owner = THIS_MODULE,
	.open = vmm_dev_open,
	.release = vmm_dev_release,
	.unlocked_ioctl = vmm_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/*
 * 0660 like /dev/kvm; the "kvm" group needs a udev rule
 * (KERNEL=="vmm", GROUP="kvm", MODE="0660"), which units/ ships.
 */
static struct miscdevice vmm_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = VMM_NAME,
	.fops = &vmm_dev_fops,
	.mode = 0660,
};

static const struct vmm_vendor_ops *vmm_pick_vendor(void)
{
	switch (boot_cpu_data.x86_vendor) {
	case X86_VENDOR_AMD:
	case X86_VENDOR_HYGON:
		return &vmm_svm_ops;
	default:
		/* VT-x comes later (testable in Bochs, see LAB.md). */
		return NULL;
	}
}

static int __init vmm_init(void)
{
	int r;

	vmm_vendor = vmm_pick_vendor();
	if (!vmm_vendor) {
		pr_err(VMM_NAME ": unsupported CPU vendor '%s': only AMD-V (SVM) is implemented\n",
		       boot_cpu_data.x86_vendor_id);
		return -ENODEV;
	}
	r = vmm_vendor->check_hardware();
	if (r)
		return r;
	r = vmm_vendor->hardware_init();
	if (r)
		return r;

	r = misc_register(&vmm_dev);
	if (r) {
		pr_err(VMM_NAME ": cannot register /dev/%s: %d\n", VMM_NAME, r);
		vmm_vendor->hardware_exit();
		return r;
	}
	pr_info(VMM_NAME ": /dev/%s ready (%s backend, KVM API %d)\n",
		VMM_NAME, vmm_vendor->name, KVM_API_VERSION);
	return 0;
}

static void __exit vmm_exit(void)
{
	/* Every VM and vCPU fd pins the module, so none exist here. */
	misc_deregister(&vmm_dev);
	vmm_vendor->hardware_exit();
}

module_init(vmm_init);
module_exit(vmm_exit);

MODULE_DESCRIPTION("vmm: AMD-V hypervisor with a KVM-compatible /dev/vmm");
MODULE_LICENSE("GPL");
