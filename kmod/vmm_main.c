// SPDX-License-Identifier: GPL-2.0
/*
 * vmm.ko: /dev/vmm, a hypervisor exposing a subset of the Linux KVM ioctl
 * ABI (same numbers and structs as <linux/kvm.h>), so vmd-vm drives it
 * exactly as it drives /dev/kvm.
 *
 * This is the skeleton: it loads only on CPUs the backend can use, and
 * answers the system ioctls truthfully -- API version 12, no capabilities,
 * no VMs yet.
 */
#include <linux/errno.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/kvm.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <asm/processor.h>

#include "vmm.h"

static const struct vmm_vendor_ops *vmm_vendor;

static long vmm_ioctl_get_api_version(unsigned long arg)
{
	/* KVM refuses a non-zero argument; so do we, to be indistinguishable. */
	if (arg)
		return -EINVAL;
	return KVM_API_VERSION;
}

static long vmm_ioctl_check_extension(unsigned long arg)
{
	/*
	 * 0 = not supported.  Nothing is implemented yet, and monitors probe
	 * capabilities to choose code paths, so claiming any would be a lie
	 * they act on.
	 */
	return 0;
}

static long vmm_ioctl_get_vcpu_mmap_size(unsigned long arg)
{
	/* No vCPUs exist yet, so there is no kvm_run area to size. */
	return -EINVAL;
}

static const struct {
	unsigned int cmd;
	long (*handler)(unsigned long arg);
} vmm_dev_ioctls[] = {
	{ KVM_GET_API_VERSION, vmm_ioctl_get_api_version },
	{ KVM_CHECK_EXTENSION, vmm_ioctl_check_extension },
	{ KVM_GET_VCPU_MMAP_SIZE, vmm_ioctl_get_vcpu_mmap_size },
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
	/* Per-open state (the future VM list) will hang off filp here. */
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

	r = misc_register(&vmm_dev);
	if (r) {
		pr_err(VMM_NAME ": cannot register /dev/%s: %d\n", VMM_NAME, r);
		return r;
	}
	pr_info(VMM_NAME ": /dev/%s ready (%s backend, KVM API %d, no capabilities yet)\n",
		VMM_NAME, vmm_vendor->name, KVM_API_VERSION);
	return 0;
}

static void __exit vmm_exit(void)
{
	misc_deregister(&vmm_dev);
}

module_init(vmm_init);
module_exit(vmm_exit);

MODULE_DESCRIPTION("vmm: AMD-V hypervisor with a KVM-compatible /dev/vmm");
MODULE_LICENSE("GPL");
