// SPDX-License-Identifier: GPL-2.0
/*
 * The IOAPIC (82093AA-style, version 0x11: no EOI register, so level
 * interrupts end by the LAPIC's EOI broadcast): 24 pins, the indirect
 * register window (IOREGSEL at 0x00, IOWIN at 0x10), redirection entries
 * with remote IRR for level-triggered pins.  A pin's input is its line
 * level, asserted = 1, whatever the entry's polarity (as KVM).
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vmm.h"

#define IOAPIC_REGSEL		0x00
#define IOAPIC_WIN		0x10

#define IOAPIC_REG_ID		0x00
#define IOAPIC_REG_VERSION	0x01
#define IOAPIC_REG_ARB		0x02
#define IOAPIC_REG_REDIR	0x10

#define IOAPIC_VERSION		0x11

#define REDIR_VECTOR		0xffull
#define REDIR_MODE_SHIFT	8
#define REDIR_LOGICAL		BIT_ULL(11)
#define REDIR_STATUS		BIT_ULL(12)
#define REDIR_REMOTE_IRR	BIT_ULL(14)
#define REDIR_LEVEL		BIT_ULL(15)
#define REDIR_MASKED		BIT_ULL(16)
#define REDIR_RO_BITS		(REDIR_STATUS | REDIR_REMOTE_IRR)
/* Writable bits: vector..trigger, mask, destination. */
#define REDIR_RW_BITS		(0x1afffull | (0xffull << 56))

struct vmm_ioapic {
	spinlock_t lock;
	u32 regsel;
	u32 id;
	u32 lines;		/* input levels of the pins */
	u64 redir[VMM_IOAPIC_PINS];
};

struct vmm_ioapic *vmm_ioapic_create(void)
{
	struct vmm_ioapic *io;
	int i;

	io = kzalloc(sizeof(*io), GFP_KERNEL_ACCOUNT);
	if (!io)
		return NULL;
	spin_lock_init(&io->lock);
	for (i = 0; i < VMM_IOAPIC_PINS; i++)
		io->redir[i] = REDIR_MASKED;
	return io;
}

/* Send pin's entry to the LAPICs; io->lock held. */
static void ioapic_fire(struct vmm_vm *vm, struct vmm_ioapic *io, u32 pin)
{
	u64 e = io->redir[pin];
	struct vmm_irq_msg m = {
		.dest = e >> 56,
		.vector = e & REDIR_VECTOR,
		.mode = (e >> REDIR_MODE_SHIFT) & 7,
		.logical = e & REDIR_LOGICAL,
		.level = true,
		.trig_level = e & REDIR_LEVEL,
	};

	if (e & REDIR_MASKED)
		return;
	if (e & REDIR_LEVEL) {
		if (e & REDIR_REMOTE_IRR)
			return;
		io->redir[pin] |= REDIR_REMOTE_IRR;
	}
	vmm_lapic_deliver(vm, NULL, &m);
}

void vmm_ioapic_set_pin(struct vmm_vm *vm, u32 pin, int level)
{
	struct vmm_ioapic *io = vm->ioapic;
	unsigned long flags;
	bool was;

	if (pin >= VMM_IOAPIC_PINS)
		return;
	spin_lock_irqsave(&io->lock, flags);
	was = io->lines & BIT(pin);
	if (level)
		io->lines |= BIT(pin);
	else
		io->lines &= ~BIT(pin);
	/* Edge: a rising edge.  Level: while asserted (remote IRR gates). */
	if (level && (!was || (io->redir[pin] & REDIR_LEVEL)))
		ioapic_fire(vm, io, pin);
	spin_unlock_irqrestore(&io->lock, flags);
}

/* A LAPIC's EOI of a level-triggered vector: re-arm the pins using it. */
void vmm_ioapic_eoi(struct vmm_vm *vm, u8 vector)
{
	struct vmm_ioapic *io = vm->ioapic;
	unsigned long flags;
	u32 pin;

	if (!io)
		return;
	spin_lock_irqsave(&io->lock, flags);
	for (pin = 0; pin < VMM_IOAPIC_PINS; pin++) {
		u64 e = io->redir[pin];

		if ((e & REDIR_VECTOR) != vector || !(e & REDIR_REMOTE_IRR))
			continue;
		io->redir[pin] &= ~REDIR_REMOTE_IRR;
		if ((e & REDIR_LEVEL) && (io->lines & BIT(pin)))
			ioapic_fire(vm, io, pin);
	}
	spin_unlock_irqrestore(&io->lock, flags);
}

static u32 ioapic_read_reg(struct vmm_ioapic *io)
{
	u32 reg = io->regsel & 0xff, pin;

	switch (reg) {
	case IOAPIC_REG_ID:
	case IOAPIC_REG_ARB:
		return (io->id & 0xf) << 24;
	case IOAPIC_REG_VERSION:
		return IOAPIC_VERSION | ((VMM_IOAPIC_PINS - 1) << 16);
	}
	pin = (reg - IOAPIC_REG_REDIR) / 2;
	if (reg < IOAPIC_REG_REDIR || pin >= VMM_IOAPIC_PINS)
		return ~0u;
	return reg & 1 ? io->redir[pin] >> 32 : (u32)io->redir[pin];
}

static void ioapic_write_reg(struct vmm_vm *vm, struct vmm_ioapic *io,
			     u32 v)
{
	u32 reg = io->regsel & 0xff, pin;
	u64 e;

	if (reg == IOAPIC_REG_ID) {
		io->id = (v >> 24) & 0xf;
		return;
	}
	pin = (reg - IOAPIC_REG_REDIR) / 2;
	if (reg < IOAPIC_REG_REDIR || pin >= VMM_IOAPIC_PINS)
		return;
	e = io->redir[pin];
	if (reg & 1)
		e = (e & 0xffffffffull) | ((u64)v << 32);
	else
		e = (e & ~0xffffffffull) | v;
	e = (e & REDIR_RW_BITS) | (io->redir[pin] & REDIR_RO_BITS);
	/* An edge pin never waits for an EOI. */
	if (!(e & REDIR_LEVEL))
		e &= ~REDIR_REMOTE_IRR;
	io->redir[pin] = e;
	/* Unmasking a still-asserted level pin delivers it. */
	if ((e & REDIR_LEVEL) && (io->lines & BIT(pin)))
		ioapic_fire(vm, io, pin);
}

bool vmm_ioapic_mmio(struct vmm_vm *vm, u64 gpa, bool write,
		     unsigned int size, u64 *val)
{
	struct vmm_ioapic *io = vm->ioapic;
	unsigned long flags;
	unsigned int off;

	if (!io || gpa < VMM_IOAPIC_BASE ||
	    gpa >= VMM_IOAPIC_BASE + VMM_IOAPIC_SIZE)
		return false;
	off = gpa - VMM_IOAPIC_BASE;
	spin_lock_irqsave(&io->lock, flags);
	if (!write) {
		if (off == IOAPIC_REGSEL)
			*val = io->regsel;
		else if (off == IOAPIC_WIN)
			*val = ioapic_read_reg(io);
		else
			*val = 0;
		if (size < 8)
			*val &= (1ull << (8 * size)) - 1;
	} else if (off == IOAPIC_REGSEL) {
		io->regsel = *val & 0xff;
	} else if (off == IOAPIC_WIN && size >= 4) {
		ioapic_write_reg(vm, io, (u32)*val);
	}
	spin_unlock_irqrestore(&io->lock, flags);
	return true;
}

/*
 * KVM_GET/SET_IRQCHIP: the IOAPIC's state (chip KVM_IRQCHIP_IOAPIC) as
 * struct kvm_ioapic_state; there is no PIC, so chips 0 and 1 are -EINVAL.
 */
static long ioapic_state(struct vmm_vm *vm, struct kvm_irqchip *c, bool set)
{
	struct kvm_ioapic_state *st = &c->chip.ioapic;
	struct vmm_ioapic *io = vm->ioapic;
	unsigned long flags;
	int i;

	if (c->chip_id != KVM_IRQCHIP_IOAPIC)
		return -EINVAL;
	spin_lock_irqsave(&io->lock, flags);
	if (set) {
		io->regsel = st->ioregsel & 0xff;
		io->id = st->id & 0xf;
		io->lines = st->irr & (BIT(VMM_IOAPIC_PINS) - 1);
		for (i = 0; i < VMM_IOAPIC_PINS; i++)
			io->redir[i] = st->redirtbl[i].bits &
				       (REDIR_RW_BITS | REDIR_REMOTE_IRR);
	} else {
		memset(st, 0, sizeof(*st));
		st->base_address = VMM_IOAPIC_BASE;
		st->ioregsel = io->regsel;
		st->id = io->id;
		st->irr = io->lines;
		for (i = 0; i < VMM_IOAPIC_PINS; i++)
			st->redirtbl[i].bits = io->redir[i];
	}
	spin_unlock_irqrestore(&io->lock, flags);
	return 0;
}

long vmm_vm_irqchip_state(struct vmm_vm *vm, void __user *argp, bool set)
{
	struct kvm_irqchip *c;
	long r;

	c = memdup_user(argp, sizeof(*c));
	if (IS_ERR(c))
		return PTR_ERR(c);
	r = vm->irqchip ? ioapic_state(vm, c, set) : -ENXIO;
	if (!r && !set && copy_to_user(argp, c, sizeof(*c)))
		r = -EFAULT;
	kfree(c);
	return r;
}
