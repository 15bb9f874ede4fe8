// SPDX-License-Identifier: GPL-2.0
/*
 * System and VM ioctls: API version, capabilities, and that the device
 * refuses bad memory slots and vCPU ids with the errno KVM uses.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* strerrorname_np */
#endif
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_cases.h"

enum kvmt_result kvm_test_api_version(struct kvmt_ctx *ctx)
{
	int fd, v;

	fd = kvmt_open_dev(ctx);
	if (fd < 0)
		return KVMT_FAIL;
	v = ioctl(fd, KVM_GET_API_VERSION, 0);
	close(fd);
	if (v != KVM_API_VERSION)
		return kvmt_fail(ctx, "KVM_GET_API_VERSION: expected %d, saw %d%s%s",
				 KVM_API_VERSION, v, v < 0 ? " " : "",
				 v < 0 ? strerror(errno) : "");
	return KVMT_PASS;
}

/* The capabilities the other cases rely on; all but USER_MEMORY optional. */
static const struct {
	long cap;
	const char *name;
	int required;
} kvm_caps_used[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY", 1 },
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP", 0 },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR", 0 },
	{ KVM_CAP_NR_VCPUS, "KVM_CAP_NR_VCPUS", 0 },
	{ KVM_CAP_MAX_VCPU_ID, "KVM_CAP_MAX_VCPU_ID", 0 },
};

enum kvmt_result kvm_test_check_extension(struct kvmt_ctx *ctx)
{
	enum kvmt_result res = KVMT_PASS;
	size_t i;
	int fd, r;

	fd = kvmt_open_dev(ctx);
	if (fd < 0)
		return KVMT_FAIL;
	for (i = 0; i < sizeof(kvm_caps_used) / sizeof(kvm_caps_used[0]); i++) {
		r = ioctl(fd, KVM_CHECK_EXTENSION, kvm_caps_used[i].cap);
		kvmt_note(ctx, "%s = %d", kvm_caps_used[i].name, r);
		if (r < 0)
			res = kvmt_fail(ctx, "KVM_CHECK_EXTENSION(%s): %s",
					kvm_caps_used[i].name, strerror(errno));
		else if (r == 0 && kvm_caps_used[i].required)
			res = kvmt_fail(ctx, "%s is 0; every VM test needs it",
					kvm_caps_used[i].name);
	}
	/* An unknown capability is "not supported" (0), not an error. */
	r = ioctl(fd, KVM_CHECK_EXTENSION, 0x7fff0000l);
	if (r != 0)
		res = kvmt_fail(ctx, "KVM_CHECK_EXTENSION(unknown 0x7fff0000): "
				"expected 0, saw %d%s%s", r, r < 0 ? " " : "",
				r < 0 ? strerror(errno) : "");
	close(fd);
	return res;
}

static int kvm_try_slot(struct kvmt_vm *vm, const char *what, uint32_t slot,
			uint32_t flags, uint64_t gpa, uint64_t size,
			uint64_t uaddr, int want_errno)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = uaddr,
	};
	int ret, err;

	ret = ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r);
	err = errno;
	if (want_errno == 0 && ret < 0)
		return kvmt_fail(vm->ctx, "%s: expected success, saw %s",
				 what, strerror(err));
	if (want_errno && ret == 0)
		return kvmt_fail(vm->ctx, "%s: expected %s, saw success",
				 what, strerrorname_np(want_errno));
	if (want_errno && err != want_errno)
		return kvmt_fail(vm->ctx, "%s: expected %s, saw %s", what,
				 strerrorname_np(want_errno),
				 strerrorname_np(err));
	return 0;
}

enum kvmt_result kvm_test_memslot_invalid(struct kvmt_ctx *ctx)
{
	struct kvmt_vm vm;
	uint64_t ua;
	int r = -1;

	if (kvmt_create_vm(ctx, &vm, KVMT_VM_NO_VCPU | KVMT_VM_NO_MEMORY) < 0)
		goto out;
	ua = (uint64_t)(uintptr_t)vm.mem;
	if (kvm_try_slot(&vm, "unaligned guest_phys_addr", 0, 0, 0x1001,
			 0x1000, ua, EINVAL) < 0 ||
	    kvm_try_slot(&vm, "unaligned memory_size", 0, 0, 0, 0x1001,
			 ua, EINVAL) < 0 ||
	    kvm_try_slot(&vm, "unaligned userspace_addr", 0, 0, 0, 0x1000,
			 ua + 1, EINVAL) < 0 ||
	    kvm_try_slot(&vm, "unknown flag bit 31", 0, 1u << 31, 0, 0x1000,
			 ua, EINVAL) < 0 ||
	    kvm_try_slot(&vm, "slot id 0xffff", 0xffff, 0, 0, 0x1000,
			 ua, EINVAL) < 0 ||
	    kvm_try_slot(&vm, "guest range wrapping past 2^64", 0, 0,
			 0xfffffffffffff000ull, 0x2000, ua, EINVAL) < 0)
		goto out;
	/* After all that, a sane slot must still be accepted. */
	r = kvm_try_slot(&vm, "valid slot after the bad ones", 0, 0, 0,
			 0x10000, ua, 0);
out:
	kvmt_destroy_vm(&vm);
	return r < 0 ? KVMT_FAIL : KVMT_PASS;
}

enum kvmt_result kvm_test_memslot_overlap(struct kvmt_ctx *ctx)
{
	struct kvmt_vm vm;
	uint64_t ua;
	int r = -1;

	/* Slots 0 = [0, 0xc0000) and 1 = [0x100000, 0x200000) exist. */
	if (kvmt_create_vm(ctx, &vm, KVMT_VM_NO_VCPU) < 0)
		goto out;
	ua = (uint64_t)(uintptr_t)vm.mem;
	if (kvm_try_slot(&vm, "slot 2 over the end of slot 0", 2, 0, 0xbf000,
			 0x2000, ua + 0xbf000, EEXIST) < 0 ||
	    kvm_try_slot(&vm, "slot 2 == slot 1's range", 2, 0, KVMT_HIGH,
			 KVMT_MEM_SIZE - KVMT_HIGH, ua + KVMT_HIGH, EEXIST) < 0 ||
	    kvm_try_slot(&vm, "slot 2 covering slots 0 and 1", 2, 0, 0,
			 KVMT_MEM_SIZE, ua, EEXIST) < 0)
		goto out;
	/* The hole between them is free; filling it exactly must work. */
	r = kvm_try_slot(&vm, "slot 2 filling the hole", 2, 0, KVMT_LOW_END,
			 KVMT_HIGH - KVMT_LOW_END, ua + KVMT_LOW_END, 0);
out:
	kvmt_destroy_vm(&vm);
	return r < 0 ? KVMT_FAIL : KVMT_PASS;
}

static int kvm_try_vcpu(struct kvmt_vm *vm, unsigned long id, int want_errno)
{
	int fd, err;

	fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, id);
	err = errno;
	if (fd >= 0) {
		close(fd);
		if (want_errno)
			return kvmt_fail(vm->ctx, "KVM_CREATE_VCPU id %lu: "
					 "expected %s, saw success", id,
					 strerrorname_np(want_errno));
		return 0;
	}
	if (err != want_errno)
		return kvmt_fail(vm->ctx, "KVM_CREATE_VCPU id %lu: expected %s, saw %s",
				 id, want_errno ? strerrorname_np(want_errno) :
				 "success", strerrorname_np(err));
	return 0;
}

enum kvmt_result kvm_test_vcpu_id_invalid(struct kvmt_ctx *ctx)
{
	struct kvmt_vm vm;
	int max_id, r = -1;

	if (kvmt_create_vm(ctx, &vm, KVMT_VM_NO_VCPU) < 0)
		goto out;
	if (kvm_try_vcpu(&vm, 0x7fffffff, EINVAL) < 0 ||
	    kvm_try_vcpu(&vm, ~0ul, EINVAL) < 0)
		goto out;
	/* Ids run from 0 to KVM_CAP_MAX_VCPU_ID - 1. */
	max_id = kvmt_check_cap(vm.sys_fd, KVM_CAP_MAX_VCPU_ID);
	if (max_id > 0 && kvm_try_vcpu(&vm, max_id, EINVAL) < 0)
		goto out;
	r = 0;
out:
	kvmt_destroy_vm(&vm);
	return r < 0 ? KVMT_FAIL : KVMT_PASS;
}

enum kvmt_result kvm_test_vcpu_id_duplicate(struct kvmt_ctx *ctx)
{
	struct kvmt_vm vm;
	int r = -1;

	/* kvmt_create_vm made vCPU 0 already. */
	if (kvmt_create_vm(ctx, &vm, 0) < 0)
		goto out;
	r = kvm_try_vcpu(&vm, 0, EEXIST);
out:
	kvmt_destroy_vm(&vm);
	return r < 0 ? KVMT_FAIL : KVMT_PASS;
}
