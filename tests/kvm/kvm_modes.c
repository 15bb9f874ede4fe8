// SPDX-License-Identifier: GPL-2.0
/*
 * Protected and long mode, entered directly through KVM_SET_SREGS (the way
 * a monitor starts a 32/64-bit boot protocol kernel).  Each guest shows its
 * mode with a value only that mode can produce.
 */
#include <string.h>
#include <sys/ioctl.h>

#include "kvm_cases.h"

/*
 * "b8 imm32" is a 32-bit immediate only in 32-bit code (16-bit code would
 * read two bytes and run the rest), and "ef" is a 4-byte OUT only there.
 * Also: RAM above 1 MiB (slot 1) through flat 32-bit addressing, CR0 as
 * the guest reads it, and a 4-byte MMIO store to the hole.
 */
static const uint8_t protected_mode_code[] = {
	0xb8, 0x78, 0x56, 0x34, 0x12,	/* movl $0x12345678,%eax */
	0xba, 0xf8, 0x03, 0x00, 0x00,	/* movl $0x3f8,%edx */
	0xef,	/* outl %eax,(%dx) */
	0xc7, 0x05, 0x00, 0x00, 0x10, 0x00, 0xef, 0xbe, 0xad, 0xde,	/* movl $0xdeadbeef,0x100000 */
	0xa1, 0x00, 0x00, 0x10, 0x00,	/* movl 0x100000,%eax */
	0xf7, 0xd0,	/* notl %eax */
	0xef,	/* outl %eax,(%dx) */
	0x0f, 0x20, 0xc0,	/* movl %cr0,%eax */
	0xef,	/* outl %eax,(%dx) */
	0xc7, 0x05, 0x00, 0x00, 0x0d, 0x00, 0x0d, 0xf0, 0xfe, 0xca,	/* movl $0xcafef00d,0xd0000 */
	0xf4,	/* hlt */
};

#define CR0_PE_PG	0x80000001u

enum kvmt_result kvm_test_protected_mode(struct kvmt_ctx *ctx)
{
	struct kvmt_vm vm;
	uint32_t high;
	int r = -1;

	if (kvmt_create_vm(ctx, &vm, 0) < 0 || kvmt_setup_protected(&vm) < 0)
		goto out;
	kvmt_load_code(&vm, protected_mode_code, sizeof(protected_mode_code));
	if (kvmt_expect_io(&vm, KVMT_PORT_OUT, 4, KVM_EXIT_IO_OUT,
			   0x12345678) < 0 ||
	    kvmt_expect_io(&vm, KVMT_PORT_OUT, 4, KVM_EXIT_IO_OUT,
			   (uint32_t)~0xdeadbeefu) < 0)
		goto out;
	/* CR0 comes out as the guest sees it: PE set, PG clear. */
	if (kvmt_run_vcpu(&vm) < 0)
		goto out;
	if (vm.run->exit_reason != KVM_EXIT_IO || vm.run->io.size != 4 ||
	    vm.run->io.direction != KVM_EXIT_IO_OUT) {
		kvmt_fail(ctx, "exit #%u: expected the 4-byte OUT of CR0, saw %s",
			  vm.nr_exits, kvmt_exit_name(vm.run->exit_reason));
		goto out;
	}
	memcpy(&high, (uint8_t *)vm.run + vm.run->io.data_offset, 4);
	if ((high & CR0_PE_PG) != 1) {
		kvmt_fail(ctx, "guest CR0 0x%08x: expected PE=1 PG=0", high);
		goto out;
	}
	if (kvmt_expect_mmio(&vm, KVMT_MMIO, 4, 1, 0xcafef00d) < 0 ||
	    kvmt_expect_hlt(&vm, KVMT_CODE + sizeof(protected_mode_code)) < 0)
		goto out;
	memcpy(&high, vm.mem + KVMT_HIGH, 4);
	if (high != 0xdeadbeef) {
		kvmt_fail(ctx, "guest store at 0x%x: host memory has 0x%08x, "
			  "expected 0xdeadbeef", KVMT_HIGH, high);
		goto out;
	}
	r = 0;
out:
	kvmt_destroy_vm(&vm);
	return r < 0 ? KVMT_FAIL : KVMT_PASS;
}

/*
 * A 64-bit immediate split into halves by a 64-bit shift, an 8-byte store
 * to RAM and to MMIO, and an 8-byte MMIO load whose halves go back out.
 */
static const uint8_t long_mode_code[] = {
	0x48, 0xb8, 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01,	/* movabsq $0x123456789abcdef,%rax */
	0x48, 0x89, 0xc3,	/* movq %rax,%rbx */
	0x48, 0xc1, 0xeb, 0x20,	/* shrq $0x20,%rbx */
	0xba, 0xf8, 0x03, 0x00, 0x00,	/* movl $0x3f8,%edx */
	0xef,	/* outl %eax,(%dx) */
	0x89, 0xd8,	/* movl %ebx,%eax */
	0xef,	/* outl %eax,(%dx) */
	0x48, 0xb8, 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01,	/* movabsq $0x123456789abcdef,%rax */
	0x48, 0x89, 0x04, 0x25, 0x00, 0x00, 0x10, 0x00,	/* movq %rax,0x100000 */
	0x48, 0x89, 0x04, 0x25, 0x08, 0x00, 0x0d, 0x00,	/* movq %rax,0xd0008 */
	0x48, 0x8b, 0x0c, 0x25, 0x10, 0x00, 0x0d, 0x00,	/* movq 0xd0010,%rcx */
	0x48, 0x89, 0xc8,	/* movq %rcx,%rax */
	0x48, 0xc1, 0xe8, 0x20,	/* shrq $0x20,%rax */
	0xef,	/* outl %eax,(%dx) */
	0x89, 0xc8,	/* movl %ecx,%eax */
	0xef,	/* outl %eax,(%dx) */
	0xf4,	/* hlt */
};

#define EFER_LMA	(1ull << 10)

enum kvmt_result kvm_test_long_mode(struct kvmt_ctx *ctx)
{
	struct kvm_sregs sregs;
	struct kvmt_vm vm;
	uint64_t q;
	int r = -1;

	if (kvmt_create_vm(ctx, &vm, 0) < 0 || kvmt_setup_long(&vm) < 0)
		goto out;
	kvmt_load_code(&vm, long_mode_code, sizeof(long_mode_code));
	if (kvmt_expect_io(&vm, KVMT_PORT_OUT, 4, KVM_EXIT_IO_OUT,
			   0x89abcdef) < 0 ||
	    kvmt_expect_io(&vm, KVMT_PORT_OUT, 4, KVM_EXIT_IO_OUT,
			   0x01234567) < 0 ||
	    kvmt_expect_mmio(&vm, KVMT_MMIO + 8, 8, 1,
			     0x0123456789abcdefull) < 0 ||
	    kvmt_expect_mmio(&vm, KVMT_MMIO + 0x10, 8, 0,
			     0xfedcba9876543210ull) < 0 ||
	    kvmt_expect_io(&vm, KVMT_PORT_OUT, 4, KVM_EXIT_IO_OUT,
			   0xfedcba98) < 0 ||
	    kvmt_expect_io(&vm, KVMT_PORT_OUT, 4, KVM_EXIT_IO_OUT,
			   0x76543210) < 0 ||
	    kvmt_expect_hlt(&vm, KVMT_CODE + sizeof(long_mode_code)) < 0)
		goto out;
	memcpy(&q, vm.mem + KVMT_HIGH, 8);
	if (q != 0x0123456789abcdefull) {
		kvmt_fail(ctx, "guest 8-byte store at 0x%x: host memory has "
			  "0x%016llx", KVMT_HIGH, (unsigned long long)q);
		goto out;
	}
	if (ioctl(vm.vcpu_fd, KVM_GET_SREGS, &sregs) < 0 ||
	    !(sregs.efer & EFER_LMA)) {
		kvmt_fail(ctx, "after HLT: EFER 0x%llx, expected LMA set",
			  (unsigned long long)sregs.efer);
		goto out;
	}
	r = 0;
out:
	kvmt_destroy_vm(&vm);
	return r < 0 ? KVMT_FAIL : KVMT_PASS;
}
