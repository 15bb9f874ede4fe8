/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmm.ko internals.  The core never asks "SVM or VMX?": vendor code sits
 * behind struct vmm_vendor_ops, as in KVM's kvm_x86_ops.
 */
#ifndef VMM_H
#define VMM_H

#include <linux/types.h>

#define VMM_NAME	"vmm"

struct vmm_vendor_ops {
	const char *name;
	/* 0 if this CPU can run guests with this backend, else -ENODEV. */
	int (*check_hardware)(void);
};

extern const struct vmm_vendor_ops vmm_svm_ops;

#endif /* VMM_H */
