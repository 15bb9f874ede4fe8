// SPDX-License-Identifier: GPL-2.0
/*
 * Real-mode port I/O and MMIO: the exits a device model lives on.  Each
 * guest is a few instructions at KVMT_CODE (CS = 0); bytes from GNU as,
 * the disassembly beside them.
 */
#include <string.h>

#include "kvm_cases.h"

/*
 * OUT of each width, the immediate-port form, then IN of each width whose
 * value the guest transforms and writes back, so a wrong direction, width
 * or data offset shows up as a wrong value.
 */
static const uint8_t real_mode_io_code[] = {
	0xba, 0xf8, 0x03,	/* movw $0x3f8,%dx */
	0xb0, 0x41,	/* movb $0x41,%al */
	0xee,	/* outb %al,(%dx) */
	0xb0, 0x42,	/* movb $0x42,%al */
	0xee,	/* outb %al,(%dx) */
	0xb0, 0x55,	/* movb $0x55,%al */
	0xe6, 0x80,	/* outb %al,$0x80 */
	0xba, 0x10, 0x05,	/* movw $0x510,%dx */
	0xb8, 0x34, 0x12,	/* movw $0x1234,%ax */
	0xef,	/* outw %ax,(%dx) */
	0x66, 0xb8, 0xef, 0xcd, 0xab, 0x89,	/* movl $0x89abcdef,%eax */
	0x66, 0xef,	/* outl %eax,(%dx) */
	0x42,	/* incw %dx */
	0xec,	/* inb (%dx),%al */
	0x04, 0x01,	/* addb $0x1,%al */
	0x4a,	/* decw %dx */
	0xee,	/* outb %al,(%dx) */
	0x83, 0xc2, 0x02,	/* addw $0x2,%dx */
	0xed,	/* inw (%dx),%ax */
	0xf7, 0xd0,	/* notw %ax */
	0x83, 0xea, 0x02,	/* subw $0x2,%dx */
	0xef,	/* outw %ax,(%dx) */
	0x83, 0xc2, 0x03,	/* addw $0x3,%dx */
	0x66, 0xed,	/* inl (%dx),%eax */
	0x66, 0x0f, 0xc8,	/* bswap %eax */
	0x83, 0xea, 0x03,	/* subw $0x3,%dx */
	0x66, 0xef,	/* outl %eax,(%dx) */
	0xf4,	/* hlt */
};

enum kvmt_result kvm_test_real_mode_io(struct kvmt_ctx *ctx)
{
	struct kvmt_vm vm;
	int r = -1;

	if (kvmt_create_vm(ctx, &vm, 0) < 0 || kvmt_setup_real(&vm) < 0)
		goto out;
	kvmt_load_code(&vm, real_mode_io_code, sizeof(real_mode_io_code));
	if (kvmt_expect_io(&vm, KVMT_PORT_OUT, 1, KVM_EXIT_IO_OUT, 'A') < 0 ||
	    kvmt_expect_io(&vm, KVMT_PORT_OUT, 1, KVM_EXIT_IO_OUT, 'B') < 0 ||
	    kvmt_expect_io(&vm, 0x80, 1, KVM_EXIT_IO_OUT, 0x55) < 0 ||
	    kvmt_expect_io(&vm, KVMT_PORT_DATA, 2, KVM_EXIT_IO_OUT, 0x1234) < 0 ||
	    kvmt_expect_io(&vm, KVMT_PORT_DATA, 4, KVM_EXIT_IO_OUT,
			   0x89abcdef) < 0 ||
	    kvmt_expect_io(&vm, KVMT_PORT_DATA + 1, 1, KVM_EXIT_IO_IN, 0x5a) < 0 ||
	    kvmt_expect_io(&vm, KVMT_PORT_DATA, 1, KVM_EXIT_IO_OUT, 0x5b) < 0 ||
	    kvmt_expect_io(&vm, KVMT_PORT_DATA + 2, 2, KVM_EXIT_IO_IN,
			   0xbeef) < 0 ||
	    kvmt_expect_io(&vm, KVMT_PORT_DATA, 2, KVM_EXIT_IO_OUT, 0x4110) < 0 ||
	    kvmt_expect_io(&vm, KVMT_PORT_DATA + 3, 4, KVM_EXIT_IO_IN,
			   0x12345678) < 0 ||
	    kvmt_expect_io(&vm, KVMT_PORT_DATA, 4, KVM_EXIT_IO_OUT,
			   0x78563412) < 0 ||
	    kvmt_expect_hlt(&vm, KVMT_CODE + sizeof(real_mode_io_code)) < 0)
		goto out;
	r = 0;
out:
	kvmt_destroy_vm(&vm);
	return r < 0 ? KVMT_FAIL : KVMT_PASS;
}

/*
 * A RAM write (must not exit), then MMIO writes of 1, 2, 4 bytes and reads
 * of 1 and 4 bytes in the hole at 0xd0000; read values go back out by IN/OUT.
 */
static const uint8_t real_mode_mmio_code[] = {
	0xc6, 0x06, 0x00, 0x90, 0x5a,	/* movb $0x5a,0x9000 */
	0xb8, 0x00, 0xd0,	/* movw $0xd000,%ax */
	0x8e, 0xd8,	/* movw %ax,%ds */
	0xc6, 0x06, 0x10, 0x00, 0x42,	/* movb $0x42,0x10 */
	0xc7, 0x06, 0x20, 0x00, 0xef, 0xbe,	/* movw $0xbeef,0x20 */
	0x66, 0xc7, 0x06, 0x30, 0x00, 0x0d, 0xf0, 0xfe, 0xca,	/* movl $0xcafef00d,0x30 */
	0xa0, 0x40, 0x00,	/* movb 0x40,%al */
	0xba, 0xf8, 0x03,	/* movw $0x3f8,%dx */
	0xee,	/* outb %al,(%dx) */
	0x66, 0xa1, 0x44, 0x00,	/* movl 0x44,%eax */
	0x66, 0xef,	/* outl %eax,(%dx) */
	0xf4,	/* hlt */
};

enum kvmt_result kvm_test_real_mode_mmio(struct kvmt_ctx *ctx)
{
	struct kvmt_vm vm;
	int r = -1;

	if (kvmt_create_vm(ctx, &vm, 0) < 0 || kvmt_setup_real(&vm) < 0)
		goto out;
	kvmt_load_code(&vm, real_mode_mmio_code, sizeof(real_mode_mmio_code));
	if (kvmt_expect_mmio(&vm, KVMT_MMIO + 0x10, 1, 1, 0x42) < 0 ||
	    kvmt_expect_mmio(&vm, KVMT_MMIO + 0x20, 2, 1, 0xbeef) < 0 ||
	    kvmt_expect_mmio(&vm, KVMT_MMIO + 0x30, 4, 1, 0xcafef00d) < 0 ||
	    kvmt_expect_mmio(&vm, KVMT_MMIO + 0x40, 1, 0, 0x77) < 0 ||
	    kvmt_expect_io(&vm, KVMT_PORT_OUT, 1, KVM_EXIT_IO_OUT, 0x77) < 0 ||
	    kvmt_expect_mmio(&vm, KVMT_MMIO + 0x44, 4, 0, 0x89abcdef) < 0 ||
	    kvmt_expect_io(&vm, KVMT_PORT_OUT, 4, KVM_EXIT_IO_OUT,
			   0x89abcdef) < 0 ||
	    kvmt_expect_hlt(&vm, KVMT_CODE + sizeof(real_mode_mmio_code)) < 0)
		goto out;
	if (vm.mem[0x9000] != 0x5a) {
		kvmt_fail(ctx, "guest store to RAM at 0x9000: expected 0x5a in "
			  "host memory, saw 0x%02x", vm.mem[0x9000]);
		goto out;
	}
	r = 0;
out:
	kvmt_destroy_vm(&vm);
	return r < 0 ? KVMT_FAIL : KVMT_PASS;
}
