// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO: a guest access to a guest-physical address no slot backs exits
 * with #NPF; we decode the instruction to learn size, direction and data,
 * and hand it to userspace as KVM_EXIT_MMIO.  Only MOV forms are decoded:
 * 88/89/8a/8b (ModRM), c6/c7 (immediate), a0-a3 (moffs) and 0f b6/b7
 * (MOVZX), with operand/address-size, segment, REX and LOCK/REP prefixes.
 * That covers readX/writeX in Linux and the raw tests.
 *
 * The bytes come from the VMCB (DecodeAssist) when the CPU provides them,
 * otherwise from guest memory through the guest's own page tables.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <asm/unaligned.h>

#include "vmm.h"

#define X86_INSN_MAX	15


#define PTE_P		BIT_ULL(0)
#define PTE_PS		BIT_ULL(7)
#define PTE_ADDR	GENMASK_ULL(51, 12)

static int gpt_read(struct vmm_vcpu *vcpu, u64 gpa, u64 *val, int size)
{
	*val = 0;
	return vmm_read_gpa(vcpu->vm, gpa, val, size);
}

/* Guest-linear to guest-physical through the guest's page tables. */
static int gpt_translate(struct vmm_vcpu *vcpu, const struct vmm_mode *m,
			 u64 la, u64 *gpa)
{
	u64 e, table;
	int level, idx;

	if (!(m->cr0 & X86_CR0_PG)) {
		*gpa = la;
		return 0;
	}
	if (m->efer & EFER_LMA) {
		table = m->cr3 & PTE_ADDR;
		for (level = 4; level >= 1; level--) {
			idx = (la >> (12 + 9 * (level - 1))) & 511;
			if (gpt_read(vcpu, table + idx * 8, &e, 8) || !(e & PTE_P))
				return -EFAULT;
			if ((level == 3 || level == 2) && (e & PTE_PS)) {
				u64 mask = BIT_ULL(12 + 9 * (level - 1)) - 1;

				*gpa = (e & PTE_ADDR & ~mask) | (la & mask);
				return 0;
			}
			table = e & PTE_ADDR;
		}
		*gpa = table | (la & 0xfff);
		return 0;
	}
	if (m->cr4 & X86_CR4_PAE) {
		if (gpt_read(vcpu, (m->cr3 & 0xffffffe0) + ((la >> 30) & 3) * 8,
			     &e, 8) || !(e & PTE_P))
			return -EFAULT;
		table = e & PTE_ADDR;
		if (gpt_read(vcpu, table + ((la >> 21) & 511) * 8, &e, 8) ||
		    !(e & PTE_P))
			return -EFAULT;
		if (e & PTE_PS) {
			*gpa = (e & PTE_ADDR & ~0x1fffffull) | (la & 0x1fffff);
			return 0;
		}
		if (gpt_read(vcpu, (e & PTE_ADDR) + ((la >> 12) & 511) * 8,
			     &e, 8) || !(e & PTE_P))
			return -EFAULT;
		*gpa = (e & PTE_ADDR) | (la & 0xfff);
		return 0;
	}
	if (gpt_read(vcpu, (m->cr3 & 0xfffff000) + ((la >> 22) & 0x3ff) * 4,
		     &e, 4) || !(e & PTE_P))
		return -EFAULT;
	if ((e & PTE_PS) && (m->cr4 & X86_CR4_PSE)) {
		*gpa = (e & 0xffc00000) | (la & 0x3fffff);
		return 0;
	}
	if (gpt_read(vcpu, (e & 0xfffff000) + ((la >> 12) & 0x3ff) * 4, &e, 4) ||
	    !(e & PTE_P))
		return -EFAULT;
	*gpa = (e & 0xfffff000) | (la & 0xfff);
	return 0;
}

static bool mode_is_64(const struct vmm_mode *m)
{
	return (m->efer & EFER_LMA) && m->cs_l;
}

static u64 addr_mask(unsigned int asize)
{
	return asize == 8 ? ~0ull : BIT_ULL(asize * 8) - 1;
}

/* Write val to the low asize bytes of a register, as address updates do. */
static void reg_write_addr(unsigned long *r, unsigned int asize, u64 val)
{
	if (asize == 2)
		*r = (*r & ~0xfffful) | (val & 0xffff);
	else if (asize == 4)
		*r = (u32)val;
	else
		*r = val;
}

/*
 * Copy len bytes between buf and guest-linear address la, page by page.
 * Returns how many bytes were copied (stops at the first unmapped page).
 */
static unsigned int rw_linear(struct vmm_vcpu *vcpu, const struct vmm_mode *m,
			      u64 la, void *buf, unsigned int len, bool write)
{
	unsigned int done = 0, chunk;
	u64 gpa;
	int r;

	while (done < len) {
		if (!mode_is_64(m))
			la &= 0xffffffff;
		chunk = min_t(unsigned int, len - done,
			      PAGE_SIZE - (la & ~PAGE_MASK));
		if (gpt_translate(vcpu, m, la, &gpa))
			break;
		r = write ? vmm_write_gpa(vcpu->vm, gpa, buf + done, chunk) :
			    vmm_read_gpa(vcpu->vm, gpa, buf + done, chunk);
		if (r)
			break;
		done += chunk;
		la += chunk;
	}
	return done;
}

/* Read up to len instruction bytes at CS:RIP; returns how many were read. */
int vmm_fetch_insn(struct vmm_vcpu *vcpu, u8 *buf, unsigned int len)
{
	struct vmm_mode m;
	u64 la;

	vmm_vendor->get_mode(vcpu, &m);
	if (mode_is_64(&m))
		la = m.rip;
	else if (!(m.cr0 & X86_CR0_PE))
		la = m.seg_base[VMM_CS] + (m.rip & 0xffff);
	else
		la = m.seg_base[VMM_CS] + m.rip;
	return rw_linear(vcpu, &m, la, buf, len, false);
}

struct mmio_insn {
	unsigned int len;
	unsigned int size;	/* bytes accessed */
	bool write;
	bool has_imm;
	u64 imm;
	int reg;		/* register source/destination, or -1 */
	bool high8;		/* AH/CH/DH/BH */
	bool zext;
	unsigned int dst_size;	/* register width written by a read */
};

/* Length of ModRM + SIB + displacement at p; -1 for a register operand. */
static int modrm_len(const u8 *p, unsigned int avail, unsigned int asize)
{
	u8 modrm, mod, rm;

	if (!avail)
		return -1;
	modrm = p[0];
	mod = modrm >> 6;
	rm = modrm & 7;
	if (mod == 3)
		return -1;
	if (asize == 2) {
		if (mod == 0)
			return rm == 6 ? 3 : 1;
		return mod == 1 ? 2 : 3;
	}
	if (rm == 4) {
		if (avail < 2)
			return -1;
		if (mod == 0)
			return (p[1] & 7) == 5 ? 6 : 2;
		return mod == 1 ? 3 : 6;
	}
	if (mod == 0)
		return rm == 5 ? 5 : 1;
	return mod == 1 ? 2 : 5;
}

static int decode_mov(const struct vmm_mode *m, const u8 *p, unsigned int n,
		      struct mmio_insn *d)
{
	bool lm = mode_is_64(m), def32, rex = false;
	unsigned int i = 0, osize, asize, immsize;
	u8 rex_bits = 0, op;
	int ml;

	def32 = lm || ((m->cr0 & X86_CR0_PE) && m->cs_db);
	osize = def32 ? 4 : 2;
	asize = lm ? 8 : osize;
	for (; i < n; i++) {
		switch (p[i]) {
		case 0x66:
			osize = lm ? 2 : (def32 ? 2 : 4);
			continue;
		case 0x67:
			asize = lm ? 4 : (def32 ? 2 : 4);
			continue;
		case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64:
		case 0x65: case 0xf0: case 0xf2: case 0xf3:
			continue;
		}
		break;
	}
	if (i < n && lm && (p[i] & 0xf0) == 0x40) {
		rex = true;
		rex_bits = p[i++];
		if (rex_bits & 8)
			osize = 8;
	}
	if (i >= n)
		return -EINVAL;
	op = p[i++];
	memset(d, 0, sizeof(*d));
	d->reg = -1;

	switch (op) {
	case 0xa0: case 0xa1: case 0xa2: case 0xa3:
		d->size = (op & 1) ? osize : 1;
		d->write = op >= 0xa2;
		d->reg = VMM_RAX;
		d->dst_size = d->size;
		d->len = i + asize;
		return d->len <= n ? 0 : -EINVAL;
	case 0x0f:
		if (i >= n || (p[i] != 0xb6 && p[i] != 0xb7))
			return -EINVAL;
		d->size = p[i] == 0xb6 ? 1 : 2;
		d->zext = true;
		d->dst_size = osize;
		i++;
		break;
	case 0x88: case 0x89: case 0x8a: case 0x8b:
		d->size = (op & 1) ? osize : 1;
		d->write = op <= 0x89;
		d->dst_size = d->size;
		break;
	case 0xc6: case 0xc7:
		d->size = (op & 1) ? osize : 1;
		d->write = true;
		d->has_imm = true;
		break;
	default:
		return -EINVAL;
	}
	ml = modrm_len(p + i, n - i, asize);
	if (ml < 0)
		return -EINVAL;
	if (!d->has_imm) {
		d->reg = ((p[i] >> 3) & 7) | ((rex_bits & 4) ? 8 : 0);
		if (d->size == 1 && !d->zext && !rex && d->reg >= 4) {
			d->reg -= 4;
			d->high8 = true;
		}
	} else if ((p[i] >> 3) & 7) {
		return -EINVAL;	/* c6/c7 /0 only */
	}
	i += ml;
	if (d->has_imm) {
		immsize = min(d->size, 4u);
		if (i + immsize > n)
			return -EINVAL;
		switch (immsize) {
		case 1:
			d->imm = p[i];
			break;
		case 2:
			d->imm = get_unaligned_le16(p + i);
			break;
		default:
			/* A 32-bit immediate is sign-extended to 64 bits. */
			d->imm = (u64)(s64)(s32)get_unaligned_le32(p + i);
			break;
		}
		i += immsize;
	}
	d->len = i;
	return i <= n ? 0 : -EINVAL;
}

static u64 reg_read(struct vmm_vcpu *vcpu, const struct mmio_insn *d)
{
	u64 v = vcpu->regs[d->reg];

	if (d->high8)
		v >>= 8;
	return d->size == 8 ? v : v & (BIT_ULL(d->size * 8) - 1);
}

/* Write the low size bytes of val to register reg as MOV would. */
static void reg_write(struct vmm_vcpu *vcpu, int reg, unsigned int size,
		      bool high8, u64 val)
{
	unsigned long *r = &vcpu->regs[reg];

	switch (size) {
	case 1:
		if (high8)
			*r = (*r & ~0xff00ul) | ((val & 0xff) << 8);
		else
			*r = (*r & ~0xfful) | (val & 0xff);
		break;
	case 2:
		*r = (*r & ~0xfffful) | (val & 0xffff);
		break;
	case 4:
		*r = (u32)val;	/* 32-bit writes zero the upper half */
		break;
	default:
		*r = val;
		break;
	}
}

void vmm_complete_mmio_read(struct vmm_vcpu *vcpu)
{
	u64 val = 0;

	memcpy(&val, vcpu->run->mmio.data, vcpu->pending_size);
	reg_write(vcpu, vcpu->pending_reg,
		  vcpu->pending_zext ? vcpu->pending_dst_size :
		  vcpu->pending_size, vcpu->pending_high8, val);
}

static int emulation_failed(struct vmm_vcpu *vcpu, const u8 *insn,
			    unsigned int n)
{
	struct kvm_run *run = vcpu->run;
	u64 bytes[2] = { 0, 0 };

	if (insn)
		memcpy(bytes, insn, min_t(unsigned int, n, sizeof(bytes)));
	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	run->internal.ndata = 3;
	run->internal.data[0] = n;
	run->internal.data[1] = bytes[0];
	run->internal.data[2] = bytes[1];
	return 0;
}

/*
 * The LAPIC, the IOAPIC and ioeventfds answer here, without an exit to
 * userspace: true if one of them took the access (a read's value is in
 * its register, RIP past the instruction).
 */
static bool vmm_mmio_in_kernel(struct vmm_vcpu *vcpu, u64 gpa,
			       const struct mmio_insn *d)
{
	struct vmm_vm *vm = vcpu->vm;
	u64 val = 0;
	bool done;

	if (!vm->irqchip && list_empty(&vm->ioeventfds))
		return false;
	if (d->write) {
		val = d->has_imm ? d->imm : reg_read(vcpu, d);
		done = vmm_lapic_mmio(vcpu, gpa, true, d->size, &val) ||
		       vmm_ioapic_mmio(vm, gpa, true, d->size, &val) ||
		       vmm_ioeventfd_write(vm, false, gpa, d->size, val);
	} else {
		done = vmm_lapic_mmio(vcpu, gpa, false, d->size, &val) ||
		       vmm_ioapic_mmio(vm, gpa, false, d->size, &val);
		if (done)
			reg_write(vcpu, d->reg,
				  d->zext ? d->dst_size : d->size, d->high8,
				  val);
	}
	if (done)
		vmm_vendor->skip_insn(vcpu, d->len);
	return done;
}

int vmm_emulate_mmio(struct vmm_vcpu *vcpu, u64 gpa, const u8 *insn,
		     unsigned int insn_len)
{
	struct kvm_run *run = vcpu->run;
	u8 buf[X86_INSN_MAX];
	struct mmio_insn d;
	struct vmm_mode m;
	u64 val;

	if (!insn_len) {
		insn_len = vmm_fetch_insn(vcpu, buf, sizeof(buf));
		insn = buf;
	}
	vmm_vendor->get_mode(vcpu, &m);
	if (decode_mov(&m, insn, insn_len, &d))
		return emulation_failed(vcpu, insn, insn_len);

	if (vmm_mmio_in_kernel(vcpu, gpa, &d))
		return 1;

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = gpa;
	run->mmio.len = d.size;
	run->mmio.is_write = d.write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (d.write) {
		val = d.has_imm ? d.imm : reg_read(vcpu, &d);
		memcpy(run->mmio.data, &val, d.size);
	} else {
		vcpu->pending = VMM_PENDING_MMIO_READ;
		vcpu->pending_reg = d.reg;
		vcpu->pending_size = d.size;
		vcpu->pending_high8 = d.high8;
		vcpu->pending_zext = d.zext;
		vcpu->pending_dst_size = d.dst_size;
	}
	vmm_vendor->skip_insn(vcpu, d.len);
	return 0;
}

/*
 * Segment (DS unless overridden) and address size of the INS/OUTS at RIP,
 * from its prefixes.  The exit information has both too, but not on every
 * CPU (SEG needs DecodeAssists) nor every emulator, so we decode.
 */
static void string_insn_prefixes(struct vmm_vcpu *vcpu,
				 const struct vmm_mode *m, enum vmm_seg *seg,
				 unsigned int *asize)
{
	u8 insn[X86_INSN_MAX];
	bool lm = mode_is_64(m), def32;
	int i, n;

	def32 = lm || ((m->cr0 & X86_CR0_PE) && m->cs_db);
	*asize = lm ? 8 : (def32 ? 4 : 2);
	*seg = VMM_DS;
	n = vmm_fetch_insn(vcpu, insn, sizeof(insn));
	for (i = 0; i < n; i++) {
		switch (insn[i]) {
		case 0x26: *seg = VMM_ES; continue;
		case 0x2e: *seg = VMM_CS; continue;
		case 0x36: *seg = VMM_SS; continue;
		case 0x3e: *seg = VMM_DS; continue;
		case 0x64: *seg = VMM_FS; continue;
		case 0x65: *seg = VMM_GS; continue;
		case 0x67:
			*asize = lm ? 4 : (def32 ? 2 : 4);
			continue;
		case 0x66: case 0xf0: case 0xf2: case 0xf3:
			continue;
		}
		if (lm && (insn[i] & 0xf0) == 0x40)
			continue;	/* REX */
		break;
	}
}

/*
 * INS/OUTS (with REP): as many elements as fit the PIO data page go out in
 * one KVM_EXIT_IO with count > 1, as in KVM.  RSI/RDI and RCX move at once;
 * RIP only when the last element is done, so a long REP exits repeatedly.
 * INS data reaches guest memory when KVM_RUN is called again.
 */
int vmm_emulate_string_io(struct vmm_vcpu *vcpu, bool in, unsigned int size,
			  u16 port, bool rep, u64 next_rip)
{
	struct kvm_run *run = vcpu->run;
	unsigned long *idx = &vcpu->regs[in ? VMM_RDI : VMM_RSI];
	u8 *data = page_address(vcpu->run_pages[1]);
	u64 amask, count = 1, left = 0, la;
	unsigned int asize;
	enum vmm_seg seg;
	struct vmm_mode m;
	bool down;

	vmm_vendor->get_mode(vcpu, &m);
	string_insn_prefixes(vcpu, &m, &seg, &asize);
	if (in)
		seg = VMM_ES;	/* INS always writes ES:rDI */
	amask = addr_mask(asize);
	down = m.rflags & X86_EFLAGS_DF;
	if (rep) {
		count = vcpu->regs[VMM_RCX] & amask;
		if (!count) {
			vmm_vendor->skip_insn(vcpu, next_rip - m.rip);
			return 1;
		}
	}
	/* Backwards, one element at a time keeps the copy simple. */
	left = count - min_t(u64, count, down ? 1 : PAGE_SIZE / size);
	count -= left;
	if (mode_is_64(&m) && seg != VMM_FS && seg != VMM_GS)
		la = *idx & amask;
	else
		la = m.seg_base[seg] + (*idx & amask);

	if (!in && rw_linear(vcpu, &m, la, data, count * size, false) !=
		   count * size)
		return emulation_failed(vcpu, NULL, 0);
	if (in) {
		vcpu->pending = VMM_PENDING_INS;
		vcpu->pending_la = la;
		vcpu->pending_bytes = count * size;
	}
	reg_write_addr(idx, asize, down ? *idx - count * size :
					  *idx + count * size);
	if (rep)
		reg_write_addr(&vcpu->regs[VMM_RCX], asize, left);
	if (!left)
		vmm_vendor->skip_insn(vcpu, next_rip - m.rip);

	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = size;
	run->io.port = port;
	run->io.count = count;
	run->io.data_offset = VMM_PIO_OFFSET;
	return 0;
}

int vmm_complete_ins(struct vmm_vcpu *vcpu)
{
	u8 *data = page_address(vcpu->run_pages[1]);
	struct vmm_mode m;

	vmm_vendor->get_mode(vcpu, &m);
	if (rw_linear(vcpu, &m, vcpu->pending_la, data, vcpu->pending_bytes,
		      true) != vcpu->pending_bytes)
		return -EFAULT;
	return 0;
}
