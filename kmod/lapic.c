// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC of each vCPU (xAPIC; x2APIC is not offered): its register
 * page, behind the 4 KiB MMIO window at the APIC base, the interrupt
 * priority logic (IRR/ISR/TMR, TPR/PPR, EOI), the LVT timer (one-shot,
 * periodic, TSC-deadline) on an hrtimer, and IPIs through the ICR (fixed,
 * lowest priority, NMI, INIT, SIPI; physical, flat and cluster logical
 * destinations, shorthands).
 *
 * The register page is kept in the layout of struct kvm_lapic_state, so
 * KVM_GET/SET_LAPIC are copies.  Other threads (IOAPIC, MSI, irqfd, IPIs
 * from other vCPUs, the timer in hard-irq context) set IRR bits, so every
 * access is under apic->lock with interrupts off.
 */
#include <linux/hrtimer.h>
#include <linux/kernel.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/msr-index.h>
#include <asm/smp.h>
#include <asm/tsc.h>

#include "vmm.h"

#define LAPIC_ID		0x20
#define LAPIC_LVR	0x30
#define LAPIC_TPR	0x80
#define LAPIC_APR	0x90
#define LAPIC_PPR	0xa0
#define LAPIC_EOI	0xb0
#define LAPIC_LDR	0xd0
#define LAPIC_DFR	0xe0
#define LAPIC_SVR	0xf0
#define LAPIC_ISR	0x100
#define LAPIC_TMR	0x180
#define LAPIC_IRR	0x200
#define LAPIC_ESR	0x280
#define LAPIC_ICR	0x300
#define LAPIC_ICR2	0x310
#define LAPIC_LVTT	0x320
#define LAPIC_LVTTHMR	0x330
#define LAPIC_LVTPC	0x340
#define LAPIC_LVT0	0x350
#define LAPIC_LVT1	0x360
#define LAPIC_LVTERR	0x370
#define LAPIC_TMICT	0x380
#define LAPIC_TMCCT	0x390
#define LAPIC_TDCR	0x3e0

#define LAPIC_SVR_ENABLED	BIT(8)
#define LAPIC_LVT_MASKED		BIT(16)
#define LAPIC_LVT_TIMER_MODE	(3u << 17)
#define LAPIC_TIMER_ONESHOT	(0u << 17)
#define LAPIC_TIMER_PERIODIC	(1u << 17)
#define LAPIC_TIMER_DEADLINE	(2u << 17)
#define LAPIC_ICR_LEVEL		BIT(14)
#define LAPIC_ICR_TRIG_LEVEL	BIT(15)
#define LAPIC_ICR_LOGICAL	BIT(11)

#define LAPIC_DM_FIXED		0
#define LAPIC_DM_LOWEST		1
#define LAPIC_DM_SMI		2
#define LAPIC_DM_NMI		4
#define LAPIC_DM_INIT		5
#define LAPIC_DM_SIPI		6
#define LAPIC_DM_EXTINT		7

/* Version 0x14 with 6 LVT entries (max LVT index 5), as KVM's. */
#define LAPIC_VERSION		(0x14 | (5 << 16))
/* One APIC bus cycle per ns (KVM's 1 GHz bus), before the divider. */
#define LAPIC_BUS_NS		1
/* A periodic timer faster than this would only burn the host. */
#define LAPIC_MIN_PERIOD_NS	(100 * NSEC_PER_USEC)

struct vmm_lapic {
	spinlock_t lock;
	struct vmm_vcpu *vcpu;
	u8 regs[KVM_APIC_REG_SIZE];
	struct hrtimer timer;
	u64 period_ns;		/* periodic mode, 0 otherwise */
	u64 tsc_deadline;	/* TSC-deadline mode: armed value, 0 if none */
	bool nmi_pending;
	bool init_pending;
	bool sipi_pending;
	u8 sipi_vector;
};

static u32 reg_get(struct vmm_lapic *a, unsigned int off)
{
	return *(u32 *)&a->regs[off];
}

static void reg_set(struct vmm_lapic *a, unsigned int off, u32 v)
{
	*(u32 *)&a->regs[off] = v;
}

/* The 256-bit IRR/ISR/TMR arrays: 8 registers 16 bytes apart. */
static bool vec_test(struct vmm_lapic *a, unsigned int base, u8 vec)
{
	return reg_get(a, base + (vec / 32) * 16) & BIT(vec % 32);
}

static void vec_set(struct vmm_lapic *a, unsigned int base, u8 vec, bool on)
{
	unsigned int off = base + (vec / 32) * 16;
	u32 v = reg_get(a, off);

	reg_set(a, off, on ? v | BIT(vec % 32) : v & ~BIT(vec % 32));
}

/* The highest vector set in IRR/ISR, or -1. */
static int vec_highest(struct vmm_lapic *a, unsigned int base)
{
	int i;
	u32 v;

	for (i = 7; i >= 0; i--) {
		v = reg_get(a, base + i * 16);
		if (v)
			return i * 32 + fls(v) - 1;
	}
	return -1;
}

static bool lapic_sw_enabled(struct vmm_lapic *a)
{
	return reg_get(a, LAPIC_SVR) & LAPIC_SVR_ENABLED;
}

static bool lapic_hw_enabled(struct vmm_lapic *a)
{
	return a->vcpu->apic_base & MSR_IA32_APICBASE_ENABLE;
}

static void lapic_update_ppr(struct vmm_lapic *a)
{
	u32 tpr = reg_get(a, LAPIC_TPR) & 0xff;
	int isr = vec_highest(a, LAPIC_ISR);
	u32 isrv = isr < 0 ? 0 : isr & 0xf0;

	reg_set(a, LAPIC_PPR, (tpr & 0xf0) >= isrv ? tpr : isrv);
}

/* The vector the guest would take now, or -1.  apic->lock held. */
static int lapic_deliverable(struct vmm_lapic *a)
{
	int irr = vec_highest(a, LAPIC_IRR);

	if (irr < 0 || !lapic_hw_enabled(a))
		return -1;
	if ((irr & 0xf0) <= (reg_get(a, LAPIC_PPR) & 0xf0))
		return -1;
	return irr;
}

/* ----------------------------------------------------------- wake-ups */

/*
 * Make the vCPU notice new work: wake it if it sleeps (HLT, wait for
 * SIPI), or interrupt the CPU it runs the guest on; it sets guest_cpu
 * with interrupts off before it looks at the LAPIC for the last time, so
 * either it sees the new bit or our IPI forces a #VMEXIT.
 */
void vmm_vcpu_kick(struct vmm_vcpu *vcpu)
{
	int cpu, me;

	wake_up_interruptible(&vcpu->wq);
	smp_mb();
	cpu = READ_ONCE(vcpu->guest_cpu);
	me = get_cpu();
	if (cpu >= 0 && cpu != me && cpu_online(cpu))
		smp_send_reschedule(cpu);
	put_cpu();
}

/* ------------------------------------------------------------- timer */

static u64 lapic_divisor(struct vmm_lapic *a)
{
	u32 d = reg_get(a, LAPIC_TDCR);
	u32 v = (d & 3) | ((d & 8) >> 1);

	return v == 7 ? 1 : 2u << v;
}

static u32 lapic_timer_mode(struct vmm_lapic *a)
{
	return reg_get(a, LAPIC_LVTT) & LAPIC_LVT_TIMER_MODE;
}

/* Raise a fixed vector; apic->lock held.  True if the IRR changed. */
static bool lapic_set_irr(struct vmm_lapic *a, u8 vec, bool trig_level)
{
	if (!lapic_sw_enabled(a) || vec < 16)
		return false;
	vec_set(a, LAPIC_TMR, vec, trig_level);
	if (vec_test(a, LAPIC_IRR, vec))
		return false;
	vec_set(a, LAPIC_IRR, vec, true);
	return true;
}

static enum hrtimer_restart lapic_timer_fn(struct hrtimer *t)
{
	struct vmm_lapic *a = container_of(t, struct vmm_lapic, timer);
	enum hrtimer_restart r = HRTIMER_NORESTART;
	unsigned long flags;
	u32 lvtt;

	spin_lock_irqsave(&a->lock, flags);
	lvtt = reg_get(a, LAPIC_LVTT);
	if (!(lvtt & LAPIC_LVT_MASKED))
		lapic_set_irr(a, lvtt & 0xff, false);
	if (lapic_timer_mode(a) == LAPIC_TIMER_PERIODIC && a->period_ns) {
		hrtimer_forward_now(t, ns_to_ktime(a->period_ns));
		r = HRTIMER_RESTART;
	} else if (lapic_timer_mode(a) == LAPIC_TIMER_DEADLINE) {
		a->tsc_deadline = 0;
	}
	spin_unlock_irqrestore(&a->lock, flags);
	vmm_vcpu_kick(a->vcpu);
	return r;
}

static void lapic_timer_stop(struct vmm_lapic *a)
{
	/* Called with the lock dropped: the callback takes it. */
	hrtimer_cancel(&a->timer);
}

/* TMICT written (one-shot/periodic); apic->lock not held. */
static void lapic_timer_start_count(struct vmm_lapic *a)
{
	unsigned long flags;
	u64 ns;

	lapic_timer_stop(a);
	spin_lock_irqsave(&a->lock, flags);
	ns = (u64)reg_get(a, LAPIC_TMICT) * lapic_divisor(a) * LAPIC_BUS_NS;
	a->period_ns = 0;
	if (lapic_timer_mode(a) == LAPIC_TIMER_PERIODIC && ns)
		a->period_ns = ns = max_t(u64, ns, LAPIC_MIN_PERIOD_NS);
	if (ns && lapic_timer_mode(a) != LAPIC_TIMER_DEADLINE)
		hrtimer_start(&a->timer, ktime_add_ns(ktime_get(), ns),
			      HRTIMER_MODE_ABS_HARD);
	spin_unlock_irqrestore(&a->lock, flags);
}

static u32 lapic_current_count(struct vmm_lapic *a)
{
	ktime_t left;
	u64 ns;

	if (lapic_timer_mode(a) == LAPIC_TIMER_DEADLINE ||
	    !hrtimer_active(&a->timer))
		return 0;
	left = hrtimer_get_remaining(&a->timer);
	if (ktime_to_ns(left) <= 0)
		return 0;
	ns = ktime_to_ns(left);
	return min_t(u64, div64_u64(ns, lapic_divisor(a) * LAPIC_BUS_NS),
		     reg_get(a, LAPIC_TMICT));
}

int vmm_lapic_get_deadline(struct vmm_vcpu *vcpu, u64 *data)
{
	if (!vcpu->apic)
		return -EINVAL;
	*data = vcpu->apic->tsc_deadline;
	return 0;
}

/* MSR_IA32_TSC_DEADLINE: fires when the guest's TSC reaches data. */
int vmm_lapic_set_deadline(struct vmm_vcpu *vcpu, u64 data)
{
	struct vmm_lapic *a = vcpu->apic;
	unsigned long flags;
	u64 now, ns = 0;

	if (!a)
		return -EINVAL;
	if (lapic_timer_mode(a) != LAPIC_TIMER_DEADLINE)
		return 0;	/* ignored outside TSC-deadline mode (SDM) */
	lapic_timer_stop(a);
	spin_lock_irqsave(&a->lock, flags);
	a->tsc_deadline = data;
	if (data) {
		now = vmm_vendor->guest_tsc(vcpu);
		if (data > now && tsc_khz)
			ns = div64_u64(min_t(u64, data - now, 1ull << 40) *
				       1000000ull, tsc_khz);
		hrtimer_start(&a->timer, ktime_add_ns(ktime_get(), ns),
			      HRTIMER_MODE_ABS_HARD);
	}
	spin_unlock_irqrestore(&a->lock, flags);
	return 0;
}

/* ------------------------------------------------------- delivery */

static u8 lapic_id(struct vmm_lapic *a)
{
	return reg_get(a, LAPIC_ID) >> 24;
}

static bool lapic_match_dest(struct vmm_lapic *a, u32 dest, bool logical)
{
	u32 ldr, model;

	if (!logical)
		return dest == 0xff || dest == lapic_id(a);
	ldr = reg_get(a, LAPIC_LDR) >> 24;
	model = reg_get(a, LAPIC_DFR) >> 28;
	if (model == 0xf)	/* flat: one bit per APIC */
		return ldr & dest;
	/* cluster: high nibble selects the cluster, low nibble the APICs */
	if ((dest & 0xf0) != 0xf0 && (dest >> 4) != (ldr >> 4))
		return false;
	return ldr & dest & 0xf;
}

/* One target accepts the message; then it is kicked. */
static void lapic_accept(struct vmm_lapic *a, const struct vmm_irq_msg *m)
{
	unsigned long flags;
	bool kick = false;

	spin_lock_irqsave(&a->lock, flags);
	switch (m->mode) {
	case LAPIC_DM_FIXED:
	case LAPIC_DM_LOWEST:
		kick = lapic_set_irr(a, m->vector, m->trig_level);
		break;
	case LAPIC_DM_NMI:
		kick = a->nmi_pending = true;
		break;
	case LAPIC_DM_INIT:
		/* INIT level de-assert only matters to 82489DX APICs. */
		if (m->level || !m->trig_level)
			kick = a->init_pending = true;
		break;
	case LAPIC_DM_SIPI:
		/* Linux sends SIPI right after INIT: the AP may not have
		 * processed the INIT yet, it will be waiting by then. */
		if (a->vcpu->mp_state == VMM_MP_WAIT_SIPI || a->init_pending) {
			a->sipi_vector = m->vector;
			kick = a->sipi_pending = true;
		}
		break;
	default:
		/* SMI: no SMM.  ExtINT: there is no PIC to acknowledge. */
		break;
	}
	spin_unlock_irqrestore(&a->lock, flags);
	if (kick)
		vmm_vcpu_kick(a->vcpu);
}

/*
 * Deliver to every LAPIC the message names (lowest priority: the first of
 * them).  Safe in any context: vm->vcpus[] entries, once published, live
 * as long as the VM.  Returns how many accepted it.
 */
int vmm_lapic_deliver(struct vmm_vm *vm, struct vmm_vcpu *src,
		      const struct vmm_irq_msg *m)
{
	struct vmm_vcpu *v;
	int i, n = 0;

	for (i = 0; i < VMM_MAX_VCPUS; i++) {
		v = smp_load_acquire(&vm->vcpus[i]);
		if (!v || !v->apic)
			continue;
		switch (m->shorthand) {
		case 1:		/* self */
			if (v != src)
				continue;
			break;
		case 2:		/* all including self */
			break;
		case 3:		/* all excluding self */
			if (v == src)
				continue;
			break;
		default:
			if (!lapic_match_dest(v->apic, m->dest, m->logical))
				continue;
		}
		if (!lapic_hw_enabled(v->apic))
			continue;
		lapic_accept(v->apic, m);
		n++;
		if (m->mode == LAPIC_DM_LOWEST)
			break;
	}
	return n;
}

static void lapic_send_ipi(struct vmm_lapic *a)
{
	u32 icr = reg_get(a, LAPIC_ICR);
	struct vmm_irq_msg m = {
		.dest = reg_get(a, LAPIC_ICR2) >> 24,
		.vector = icr & 0xff,
		.mode = (icr >> 8) & 7,
		.shorthand = (icr >> 18) & 3,
		.logical = icr & LAPIC_ICR_LOGICAL,
		.level = icr & LAPIC_ICR_LEVEL,
		.trig_level = icr & LAPIC_ICR_TRIG_LEVEL,
	};

	vmm_lapic_deliver(a->vcpu->vm, a->vcpu, &m);
}

/* ---------------------------------------------------- guest interface */

/* Take the highest deliverable vector into service, or -1. */
int vmm_lapic_take_interrupt(struct vmm_vcpu *vcpu)
{
	struct vmm_lapic *a = vcpu->apic;
	unsigned long flags;
	int vec;

	spin_lock_irqsave(&a->lock, flags);
	vec = lapic_deliverable(a);
	if (vec >= 0) {
		vec_set(a, LAPIC_IRR, vec, false);
		vec_set(a, LAPIC_ISR, vec, true);
		lapic_update_ppr(a);
	}
	spin_unlock_irqrestore(&a->lock, flags);
	return vec;
}

bool vmm_lapic_has_interrupt(struct vmm_vcpu *vcpu)
{
	struct vmm_lapic *a = vcpu->apic;
	unsigned long flags;
	bool r;

	spin_lock_irqsave(&a->lock, flags);
	r = lapic_deliverable(a) >= 0;
	spin_unlock_irqrestore(&a->lock, flags);
	return r;
}

bool vmm_lapic_take_nmi(struct vmm_vcpu *vcpu)
{
	struct vmm_lapic *a = vcpu->apic;
	unsigned long flags;
	bool r;

	spin_lock_irqsave(&a->lock, flags);
	r = a->nmi_pending;
	a->nmi_pending = false;
	spin_unlock_irqrestore(&a->lock, flags);
	return r;
}

/* What ends a HLT or a wait for SIPI (checked by the sleeping vCPU). */
bool vmm_lapic_wake_pending(struct vmm_vcpu *vcpu)
{
	struct vmm_lapic *a = vcpu->apic;
	unsigned long flags;
	bool r;

	spin_lock_irqsave(&a->lock, flags);
	r = a->init_pending || a->sipi_pending;
	if (vcpu->mp_state == VMM_MP_HALTED)
		r = r || a->nmi_pending ||
		    (lapic_deliverable(a) >= 0 &&
		     vmm_vendor->if_flag(vcpu));
	spin_unlock_irqrestore(&a->lock, flags);
	return r;
}

/* INIT and SIPI, on the vCPU's own thread before it enters the guest. */
int vmm_lapic_run_events(struct vmm_vcpu *vcpu)
{
	struct vmm_lapic *a = vcpu->apic;
	unsigned long flags;
	bool init, sipi;
	u8 vec;

	spin_lock_irqsave(&a->lock, flags);
	init = a->init_pending;
	sipi = a->sipi_pending;
	vec = a->sipi_vector;
	a->init_pending = a->sipi_pending = false;
	spin_unlock_irqrestore(&a->lock, flags);

	if (init) {
		vmm_vendor->vcpu_reset(vcpu);
		vmm_lapic_reset(vcpu);
		vcpu->mp_state = VMM_MP_WAIT_SIPI;
	}
	if (sipi && vcpu->mp_state == VMM_MP_WAIT_SIPI) {
		vmm_vendor->vcpu_sipi(vcpu, vec);
		vcpu->mp_state = VMM_MP_RUNNABLE;
	}
	return 0;
}

/* CR8 is TPR[7:4]: the guest may move it without an exit (V_TPR). */
void vmm_lapic_sync_tpr(struct vmm_vcpu *vcpu, u8 cr8, bool from_guest)
{
	struct vmm_lapic *a = vcpu->apic;
	unsigned long flags;

	spin_lock_irqsave(&a->lock, flags);
	if (from_guest && (reg_get(a, LAPIC_TPR) >> 4) != (cr8 & 0xf)) {
		reg_set(a, LAPIC_TPR, (cr8 & 0xf) << 4);
		lapic_update_ppr(a);
	}
	spin_unlock_irqrestore(&a->lock, flags);
}

u8 vmm_lapic_cr8(struct vmm_vcpu *vcpu)
{
	return (reg_get(vcpu->apic, LAPIC_TPR) >> 4) & 0xf;
}

static void lapic_eoi(struct vmm_lapic *a)
{
	unsigned long flags;
	bool level = false;
	int vec;

	spin_lock_irqsave(&a->lock, flags);
	vec = vec_highest(a, LAPIC_ISR);
	if (vec >= 0) {
		vec_set(a, LAPIC_ISR, vec, false);
		level = vec_test(a, LAPIC_TMR, vec);
		lapic_update_ppr(a);
	}
	spin_unlock_irqrestore(&a->lock, flags);
	if (level)
		vmm_ioapic_eoi(a->vcpu->vm, vec);
}

static u32 lapic_read(struct vmm_lapic *a, unsigned int off)
{
	unsigned long flags;
	u32 v;

	if (off == LAPIC_TMCCT)
		return lapic_current_count(a);
	spin_lock_irqsave(&a->lock, flags);
	v = off < KVM_APIC_REG_SIZE ? reg_get(a, off) : 0;
	spin_unlock_irqrestore(&a->lock, flags);
	return v;
}

static void lapic_write(struct vmm_lapic *a, unsigned int off, u32 v)
{
	unsigned long flags;
	u32 old;
	int i;

	switch (off) {
	case LAPIC_EOI:
		lapic_eoi(a);
		return;
	case LAPIC_ICR:
		spin_lock_irqsave(&a->lock, flags);
		reg_set(a, LAPIC_ICR, v & ~BIT(12));	/* never busy */
		spin_unlock_irqrestore(&a->lock, flags);
		lapic_send_ipi(a);
		return;
	case LAPIC_TMICT:
		if (lapic_timer_mode(a) == LAPIC_TIMER_DEADLINE)
			return;
		spin_lock_irqsave(&a->lock, flags);
		reg_set(a, LAPIC_TMICT, v);
		spin_unlock_irqrestore(&a->lock, flags);
		lapic_timer_start_count(a);
		return;
	case LAPIC_LVTT:
		old = lapic_timer_mode(a);
		if (((v & LAPIC_LVT_TIMER_MODE) != old))
			lapic_timer_stop(a);
		break;
	}

	spin_lock_irqsave(&a->lock, flags);
	switch (off) {
	case LAPIC_ID:
		reg_set(a, off, v & 0xff000000);
		break;
	case LAPIC_TPR:
		reg_set(a, off, v & 0xff);
		lapic_update_ppr(a);
		break;
	case LAPIC_LDR:
		reg_set(a, off, v & 0xff000000);
		break;
	case LAPIC_DFR:
		reg_set(a, off, v | 0x0fffffff);
		break;
	case LAPIC_SVR:
		reg_set(a, off, v & 0x3ff);
		if (!(v & LAPIC_SVR_ENABLED))
			/* software disable masks every LVT (SDM 10.4.7.2) */
			for (i = LAPIC_LVTT; i <= LAPIC_LVTERR; i += 0x10)
				reg_set(a, i, reg_get(a, i) | LAPIC_LVT_MASKED);
		break;
	case LAPIC_ESR:
		reg_set(a, off, 0);
		break;
	case LAPIC_ICR2:
		reg_set(a, off, v & 0xff000000);
		break;
	case LAPIC_LVTT:
		if (!lapic_sw_enabled(a))
			v |= LAPIC_LVT_MASKED;
		if ((v & LAPIC_LVT_TIMER_MODE) != lapic_timer_mode(a)) {
			reg_set(a, LAPIC_TMICT, 0);
			a->tsc_deadline = 0;
			a->period_ns = 0;
		}
		reg_set(a, off, v & 0x710ff);
		break;
	case LAPIC_LVTTHMR:
	case LAPIC_LVTPC:
	case LAPIC_LVT0:
	case LAPIC_LVT1:
	case LAPIC_LVTERR:
		if (!lapic_sw_enabled(a))
			v |= LAPIC_LVT_MASKED;
		reg_set(a, off, v & 0x1f7ff);
		break;
	case LAPIC_TDCR:
		reg_set(a, off, v & 0xb);
		break;
	default:
		/* read-only or reserved: ignored */
		break;
	}
	spin_unlock_irqrestore(&a->lock, flags);
}

/* MMIO at the APIC base page: true if it was the LAPIC's. */
bool vmm_lapic_mmio(struct vmm_vcpu *vcpu, u64 gpa, bool write,
		    unsigned int size, u64 *val)
{
	struct vmm_lapic *a = vcpu->apic;
	u64 base = vcpu->apic_base & ~0xfffull & ((1ull << 52) - 1);
	unsigned int off;

	if (!a || !lapic_hw_enabled(a) || gpa < base || gpa >= base + 4096)
		return false;
	off = gpa - base;
	if (!write) {
		/* Registers are 32 bits on 16-byte boundaries. */
		*val = (u64)lapic_read(a, off & ~0xfu) >> (8 * (off & 3));
		if (size < 8)
			*val &= (1ull << (8 * size)) - 1;
		return true;
	}
	if ((off & 0xf) == 0 && size >= 4)
		lapic_write(a, off, (u32)*val);
	return true;
}

/* ---------------------------------------------------- life and ioctls */

/* The power-on/INIT state, with the APIC id from the vCPU id (KVM's). */
void vmm_lapic_reset(struct vmm_vcpu *vcpu)
{
	struct vmm_lapic *a = vcpu->apic;
	unsigned long flags;
	int i;

	lapic_timer_stop(a);
	spin_lock_irqsave(&a->lock, flags);
	memset(a->regs, 0, sizeof(a->regs));
	reg_set(a, LAPIC_ID, vcpu->id << 24);
	reg_set(a, LAPIC_LVR, LAPIC_VERSION);
	reg_set(a, LAPIC_DFR, 0xffffffff);
	reg_set(a, LAPIC_SVR, 0xff);
	for (i = LAPIC_LVTT; i <= LAPIC_LVTERR; i += 0x10)
		reg_set(a, i, LAPIC_LVT_MASKED);
	a->period_ns = 0;
	a->tsc_deadline = 0;
	a->nmi_pending = false;
	spin_unlock_irqrestore(&a->lock, flags);
}

int vmm_lapic_create(struct vmm_vcpu *vcpu)
{
	struct vmm_lapic *a;

	a = kzalloc(sizeof(*a), GFP_KERNEL_ACCOUNT);
	if (!a)
		return -ENOMEM;
	spin_lock_init(&a->lock);
	a->vcpu = vcpu;
	hrtimer_init(&a->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	a->timer.function = lapic_timer_fn;
	vcpu->apic = a;
	vmm_lapic_reset(vcpu);
	/* An AP waits for INIT/SIPI from the BSP, as with KVM's irqchip. */
	vcpu->mp_state = vcpu->id ? VMM_MP_WAIT_SIPI : VMM_MP_RUNNABLE;
	return 0;
}

void vmm_lapic_free(struct vmm_vcpu *vcpu)
{
	if (!vcpu->apic)
		return;
	hrtimer_cancel(&vcpu->apic->timer);
	kfree(vcpu->apic);
	vcpu->apic = NULL;
}

long vmm_vcpu_get_lapic(struct vmm_vcpu *vcpu, void __user *argp)
{
	struct kvm_lapic_state *s;
	unsigned long flags;
	long r = 0;

	if (!vcpu->apic)
		return -ENXIO;
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	spin_lock_irqsave(&vcpu->apic->lock, flags);
	memcpy(s->regs, vcpu->apic->regs, sizeof(s->regs));
	spin_unlock_irqrestore(&vcpu->apic->lock, flags);
	*(u32 *)&s->regs[LAPIC_TMCCT] = lapic_current_count(vcpu->apic);
	if (copy_to_user(argp, s, sizeof(*s)))
		r = -EFAULT;
	kfree(s);
	return r;
}

long vmm_vcpu_set_lapic(struct vmm_vcpu *vcpu, void __user *argp)
{
	struct vmm_lapic *a = vcpu->apic;
	struct kvm_lapic_state *s;
	unsigned long flags;

	if (!a)
		return -ENXIO;
	s = memdup_user(argp, sizeof(*s));
	if (IS_ERR(s))
		return PTR_ERR(s);
	lapic_timer_stop(a);
	spin_lock_irqsave(&a->lock, flags);
	memcpy(a->regs, s->regs, sizeof(a->regs));
	reg_set(a, LAPIC_LVR, LAPIC_VERSION);
	reg_set(a, LAPIC_ID, reg_get(a, LAPIC_ID) & 0xff000000);
	reg_set(a, LAPIC_TMCCT, 0);
	a->period_ns = 0;
	a->tsc_deadline = 0;
	lapic_update_ppr(a);
	spin_unlock_irqrestore(&a->lock, flags);
	kfree(s);
	/* A running count restarts from its initial value. */
	if (lapic_timer_mode(a) != LAPIC_TIMER_DEADLINE &&
	    reg_get(a, LAPIC_TMICT))
		lapic_timer_start_count(a);
	vmm_vcpu_kick(vcpu);
	return 0;
}
