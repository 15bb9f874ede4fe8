// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel irqchip of a VM: KVM_CREATE_IRQCHIP, the GSI routing table
 * (KVM_SET_GSI_ROUTING), KVM_IRQ_LINE and KVM_SIGNAL_MSI.
 *
 * The irqchip is an IOAPIC and a LAPIC per vCPU; there is no 8259 PIC and
 * no PIT.  Routes to PIC pins are accepted (monitors write KVM's default
 * table, which has them) and lead nowhere: a guest that finds no PIC at
 * ports 0x20/0xa0 (vmd-vm reads unclaimed ports as all ones) uses the
 * IOAPIC only.  Routes are read under RCU, so irqfds can inject from
 * their wake-up callbacks.
 */
#include <linux/kernel.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vmm.h"

struct vmm_irq_routes {
	struct rcu_head rcu;
	u32 nr;
	struct kvm_irq_routing_entry e[];
};

/* An MSI's address/data as a LAPIC message (xAPIC format). */
static bool msi_to_msg(u32 addr_lo, u32 addr_hi, u32 data,
		       struct vmm_irq_msg *m)
{
	if (addr_hi || (addr_lo & 0xfff00000) != 0xfee00000)
		return false;
	memset(m, 0, sizeof(*m));
	m->dest = (addr_lo >> 12) & 0xff;
	m->logical = addr_lo & BIT(2);
	m->vector = data & 0xff;
	m->mode = (data >> 8) & 7;
	m->level = true;
	m->trig_level = data & BIT(15);
	return true;
}

/* Drive GSI to level through every route it has; 0 if it has none. */
int vmm_irq_set(struct vmm_vm *vm, u32 gsi, int level)
{
	struct kvm_irq_routing_entry *e;
	struct vmm_irq_routes *rt;
	struct vmm_irq_msg m;
	int n = 0;
	u32 i;

	rcu_read_lock();
	rt = rcu_dereference(vm->routes);
	for (i = 0; rt && i < rt->nr; i++) {
		e = &rt->e[i];
		if (e->gsi != gsi)
			continue;
		n++;
		if (e->type == KVM_IRQ_ROUTING_MSI) {
			if (level && msi_to_msg(e->u.msi.address_lo,
						e->u.msi.address_hi,
						e->u.msi.data, &m))
				vmm_lapic_deliver(vm, NULL, &m);
		} else if (e->u.irqchip.irqchip == KVM_IRQCHIP_IOAPIC) {
			vmm_ioapic_set_pin(vm, e->u.irqchip.pin, level);
		}
	}
	rcu_read_unlock();
	return n;
}

/* Checks one entry of KVM_SET_GSI_ROUTING as KVM does: -EINVAL if bad. */
static int route_check(const struct kvm_irq_routing_entry *e)
{
	if (e->gsi >= VMM_MAX_GSI || e->flags)
		return -EINVAL;
	switch (e->type) {
	case KVM_IRQ_ROUTING_IRQCHIP:
		switch (e->u.irqchip.irqchip) {
		case KVM_IRQCHIP_PIC_MASTER:
		case KVM_IRQCHIP_PIC_SLAVE:
			return e->u.irqchip.pin < 8 ? 0 : -EINVAL;
		case KVM_IRQCHIP_IOAPIC:
			return e->u.irqchip.pin < VMM_IOAPIC_PINS ? 0 : -EINVAL;
		}
		return -EINVAL;
	case KVM_IRQ_ROUTING_MSI:
		return 0;
	}
	return -EINVAL;
}

static void routes_replace(struct vmm_vm *vm, struct vmm_irq_routes *rt)
{
	struct vmm_irq_routes *old;

	mutex_lock(&vm->irq_lock);
	old = rcu_replace_pointer(vm->routes, rt,
				  lockdep_is_held(&vm->irq_lock));
	mutex_unlock(&vm->irq_lock);
	if (old)
		kfree_rcu(old, rcu);
}

/* KVM's default table: GSI n to IOAPIC pin n and, below 16, PIC pin n. */
static struct vmm_irq_routes *routes_default(void)
{
	struct vmm_irq_routes *rt;
	u32 i, n = 0;

	rt = kzalloc(struct_size(rt, e, VMM_IOAPIC_PINS + 16),
		     GFP_KERNEL_ACCOUNT);
	if (!rt)
		return NULL;
	for (i = 0; i < VMM_IOAPIC_PINS; i++) {
		rt->e[n].gsi = i;
		rt->e[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		rt->e[n].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		rt->e[n++].u.irqchip.pin = i;
		if (i >= 16)
			continue;
		rt->e[n].gsi = i;
		rt->e[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		rt->e[n].u.irqchip.irqchip = i < 8 ? KVM_IRQCHIP_PIC_MASTER :
						     KVM_IRQCHIP_PIC_SLAVE;
		rt->e[n++].u.irqchip.pin = i % 8;
	}
	rt->nr = n;
	return rt;
}

long vmm_vm_create_irqchip(struct vmm_vm *vm)
{
	struct vmm_irq_routes *rt;
	long r = 0;
	int i;

	mutex_lock(&vm->lock);
	if (vm->irqchip) {
		r = -EEXIST;
		goto out;
	}
	/* Existing vCPUs would have no LAPIC (KVM refuses this too). */
	for (i = 0; i < VMM_MAX_VCPUS; i++)
		if (vm->vcpus[i]) {
			r = -EINVAL;
			goto out;
		}
	vm->ioapic = vmm_ioapic_create();
	rt = routes_default();
	if (!vm->ioapic || !rt) {
		kfree(vm->ioapic);
		vm->ioapic = NULL;
		kfree(rt);
		r = -ENOMEM;
		goto out;
	}
	routes_replace(vm, rt);
	vm->irqchip = true;
out:
	mutex_unlock(&vm->lock);
	return r;
}

/* Last reference gone: no vCPU, irqfd or ioctl can touch it any more. */
void vmm_irqchip_destroy(struct vmm_vm *vm)
{
	kfree(rcu_dereference_protected(vm->routes, 1));
	RCU_INIT_POINTER(vm->routes, NULL);
	kfree(vm->ioapic);
	vm->ioapic = NULL;
}

long vmm_vm_irq_line(struct vmm_vm *vm, void __user *argp)
{
	struct kvm_irq_level l;

	if (copy_from_user(&l, argp, sizeof(l)))
		return -EFAULT;
	if (!vm->irqchip)
		return -ENXIO;
	if (l.irq >= VMM_MAX_GSI)
		return -EINVAL;
	vmm_irq_set(vm, l.irq, !!l.level);
	return 0;
}

/* > 0: delivered to that many LAPICs; 0: to none; < 0: bad request. */
long vmm_vm_signal_msi(struct vmm_vm *vm, void __user *argp)
{
	struct vmm_irq_msg m;
	struct kvm_msi msi;

	if (copy_from_user(&msi, argp, sizeof(msi)))
		return -EFAULT;
	if (!vm->irqchip)
		return -ENXIO;
	if (msi.flags || memchr_inv(msi.pad, 0, sizeof(msi.pad)))
		return -EINVAL;
	if (!msi_to_msg(msi.address_lo, msi.address_hi, msi.data, &m))
		return 0;
	return vmm_lapic_deliver(vm, NULL, &m);
}

long vmm_vm_set_gsi_routing(struct vmm_vm *vm, void __user *argp)
{
	struct kvm_irq_routing __user *u = argp;
	struct vmm_irq_routes *rt;
	struct kvm_irq_routing hdr;
	u32 i;

	if (copy_from_user(&hdr, u, sizeof(hdr)))
		return -EFAULT;
	if (!vm->irqchip)
		return -ENXIO;
	if (hdr.nr > VMM_MAX_ROUTES || hdr.flags)
		return -EINVAL;
	rt = kzalloc(struct_size(rt, e, hdr.nr), GFP_KERNEL_ACCOUNT);
	if (!rt)
		return -ENOMEM;
	if (copy_from_user(rt->e, u->entries, hdr.nr * sizeof(rt->e[0]))) {
		kfree(rt);
		return -EFAULT;
	}
	for (i = 0; i < hdr.nr; i++) {
		if (route_check(&rt->e[i])) {
			kfree(rt);
			return -EINVAL;
		}
	}
	rt->nr = hdr.nr;
	routes_replace(vm, rt);
	return 0;
}
