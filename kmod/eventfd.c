// SPDX-License-Identifier: GPL-2.0
/*
 * eventfds bound to a VM: KVM_IRQFD (a write to the eventfd injects a GSI,
 * from the eventfd's wake-up callback, without a trip through a vCPU) and
 * KVM_IOEVENTFD (a guest write to a PIO/MMIO address, optionally of one
 * value, signals the eventfd and goes straight back into the guest).
 *
 * Lifetime: an irqfd holds its eventfd context; closing the eventfd only
 * unhooks the irqfd (EPOLLHUP), which stays listed until KVM_IRQFD with
 * DEASSIGN or the VM's end frees it.  Unhooking takes the eventfd's wait
 * queue lock, so no callback runs on a freed irqfd.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/kernel.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vmm.h"

struct vmm_irqfd {
	struct list_head link;		/* vm->irqfds, under vm->irq_lock */
	struct vmm_vm *vm;
	struct eventfd_ctx *ctx;
	u32 gsi;
	wait_queue_entry_t wait;
	poll_table pt;
};

struct vmm_ioeventfd {
	struct list_head link;		/* vm->ioeventfds, ioeventfd_lock */
	struct eventfd_ctx *ctx;
	u64 addr;
	u64 data;
	u32 len;
	bool pio;
	bool datamatch;
};

/* ------------------------------------------------------------ irqfd */

static void irqfd_inject(struct vmm_irqfd *f)
{
	/* An edge on the GSI: MSI routes fire, IOAPIC pins see a pulse. */
	vmm_irq_set(f->vm, f->gsi, 1);
	vmm_irq_set(f->vm, f->gsi, 0);
}

/* The eventfd's wait queue callback (its lock held, interrupts off). */
static int irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode,
			int sync, void *key)
{
	struct vmm_irqfd *f = container_of(wait, struct vmm_irqfd, wait);
	__poll_t flags = key_to_poll(key);
	u64 cnt;

	if (flags & EPOLLIN) {
		eventfd_ctx_do_read(f->ctx, &cnt);
		irqfd_inject(f);
	}
	if (flags & EPOLLHUP)
		/* The eventfd is being closed: unhook, free later. */
		list_del_init(&f->wait.entry);
	return 0;
}

static void irqfd_queue_proc(struct file *file, wait_queue_head_t *wqh,
			     poll_table *pt)
{
	struct vmm_irqfd *f = container_of(pt, struct vmm_irqfd, pt);

	add_wait_queue(wqh, &f->wait);
}

static void irqfd_free(struct vmm_irqfd *f)
{
	u64 cnt;

	eventfd_ctx_remove_wait_queue(f->ctx, &f->wait, &cnt);
	eventfd_ctx_put(f->ctx);
	kfree(f);
}

static long irqfd_assign(struct vmm_vm *vm, const struct kvm_irqfd *a)
{
	struct eventfd_ctx *ctx;
	struct vmm_irqfd *f, *o;
	struct fd fd;
	__poll_t events;
	long r;

	fd = fdget(a->fd);
	if (!fd.file)
		return -EBADF;
	ctx = eventfd_ctx_fileget(fd.file);
	if (IS_ERR(ctx)) {
		r = PTR_ERR(ctx);
		goto out;
	}
	f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f) {
		eventfd_ctx_put(ctx);
		r = -ENOMEM;
		goto out;
	}
	f->vm = vm;
	f->ctx = ctx;
	f->gsi = a->gsi;
	INIT_LIST_HEAD(&f->wait.entry);
	init_waitqueue_func_entry(&f->wait, irqfd_wakeup);
	init_poll_funcptr(&f->pt, irqfd_queue_proc);

	mutex_lock(&vm->irq_lock);
	list_for_each_entry(o, &vm->irqfds, link) {
		if (o->ctx == ctx) {
			mutex_unlock(&vm->irq_lock);
			eventfd_ctx_put(ctx);
			kfree(f);
			r = -EBUSY;
			goto out;
		}
	}
	list_add_tail(&f->link, &vm->irqfds);
	events = vfs_poll(fd.file, &f->pt);
	/* Written before we listened: deliver it now, as KVM does. */
	if (events & EPOLLIN)
		irqfd_inject(f);
	mutex_unlock(&vm->irq_lock);
	r = 0;
out:
	fdput(fd);
	return r;
}

static long irqfd_deassign(struct vmm_vm *vm, const struct kvm_irqfd *a)
{
	struct vmm_irqfd *f, *n;
	struct eventfd_ctx *ctx;

	ctx = eventfd_ctx_fdget(a->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	mutex_lock(&vm->irq_lock);
	list_for_each_entry_safe(f, n, &vm->irqfds, link) {
		if (f->ctx == ctx && f->gsi == a->gsi) {
			list_del(&f->link);
			irqfd_free(f);
		}
	}
	mutex_unlock(&vm->irq_lock);
	eventfd_ctx_put(ctx);
	return 0;
}

long vmm_vm_irqfd(struct vmm_vm *vm, void __user *argp)
{
	struct kvm_irqfd a;

	if (copy_from_user(&a, argp, sizeof(a)))
		return -EFAULT;
	if (!vm->irqchip)
		return -ENXIO;
	/* No resample fd: nothing here needs level-triggered irqfds. */
	if (a.flags & ~KVM_IRQFD_FLAG_DEASSIGN ||
	    memchr_inv(a.pad, 0, sizeof(a.pad)) || a.gsi >= VMM_MAX_GSI)
		return -EINVAL;
	if (a.flags & KVM_IRQFD_FLAG_DEASSIGN)
		return irqfd_deassign(vm, &a);
	return irqfd_assign(vm, &a);
}

/* ------------------------------------------------------- ioeventfd */

#define IOEVENTFD_FLAGS	(KVM_IOEVENTFD_FLAG_DATAMATCH | \
			 KVM_IOEVENTFD_FLAG_PIO | KVM_IOEVENTFD_FLAG_DEASSIGN)

static bool ioeventfd_same(const struct vmm_ioeventfd *e,
			   const struct kvm_ioeventfd *a)
{
	bool dm = a->flags & KVM_IOEVENTFD_FLAG_DATAMATCH;

	return e->addr == a->addr && e->len == a->len &&
	       e->pio == !!(a->flags & KVM_IOEVENTFD_FLAG_PIO) &&
	       e->datamatch == dm && (!dm || e->data == a->datamatch);
}

long vmm_vm_ioeventfd(struct vmm_vm *vm, void __user *argp)
{
	struct vmm_ioeventfd *e, *n, *found = NULL;
	struct eventfd_ctx *ctx;
	struct kvm_ioeventfd a;
	long r = 0;

	if (copy_from_user(&a, argp, sizeof(a)))
		return -EFAULT;
	if (a.flags & ~IOEVENTFD_FLAGS || memchr_inv(a.pad, 0, sizeof(a.pad)))
		return -EINVAL;
	if (a.len != 1 && a.len != 2 && a.len != 4 && a.len != 8)
		return -EINVAL;
	if (a.addr + a.len < a.addr ||
	    ((a.flags & KVM_IOEVENTFD_FLAG_PIO) && a.addr + a.len > 0x10000))
		return -EINVAL;
	ctx = eventfd_ctx_fdget(a.fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);

	if (a.flags & KVM_IOEVENTFD_FLAG_DEASSIGN) {
		spin_lock(&vm->ioeventfd_lock);
		list_for_each_entry_safe(e, n, &vm->ioeventfds, link) {
			if (e->ctx == ctx && ioeventfd_same(e, &a)) {
				list_del(&e->link);
				vm->nr_ioeventfds--;
				found = e;
				break;
			}
		}
		spin_unlock(&vm->ioeventfd_lock);
		if (found) {
			eventfd_ctx_put(found->ctx);
			kfree(found);
		}
		eventfd_ctx_put(ctx);
		return found ? 0 : -ENOENT;
	}

	e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e) {
		eventfd_ctx_put(ctx);
		return -ENOMEM;
	}
	e->ctx = ctx;
	e->addr = a.addr;
	e->len = a.len;
	e->pio = a.flags & KVM_IOEVENTFD_FLAG_PIO;
	e->datamatch = a.flags & KVM_IOEVENTFD_FLAG_DATAMATCH;
	e->data = a.datamatch;
	spin_lock(&vm->ioeventfd_lock);
	list_for_each_entry(n, &vm->ioeventfds, link)
		if (ioeventfd_same(n, &a))
			r = -EEXIST;
	if (!r && vm->nr_ioeventfds >= VMM_MAX_IOEVENTFDS)
		r = -ENOSPC;
	if (!r) {
		list_add_tail(&e->link, &vm->ioeventfds);
		vm->nr_ioeventfds++;
	}
	spin_unlock(&vm->ioeventfd_lock);
	if (r) {
		eventfd_ctx_put(ctx);
		kfree(e);
	}
	return r;
}

/* A guest write: true if an ioeventfd took it (the write is done). */
bool vmm_ioeventfd_write(struct vmm_vm *vm, bool pio, u64 addr,
			 unsigned int len, u64 val)
{
	struct vmm_ioeventfd *e;
	bool hit = false;
	u64 mask = len >= 8 ? ~0ull : (1ull << (8 * len)) - 1;

	if (list_empty(&vm->ioeventfds))
		return false;
	spin_lock(&vm->ioeventfd_lock);
	list_for_each_entry(e, &vm->ioeventfds, link) {
		if (e->pio != pio || e->addr != addr || e->len != len)
			continue;
		if (e->datamatch && (e->data & mask) != (val & mask))
			continue;
		eventfd_signal(e->ctx, 1);
		hit = true;
		break;
	}
	spin_unlock(&vm->ioeventfd_lock);
	return hit;
}

void vmm_eventfds_destroy(struct vmm_vm *vm)
{
	struct vmm_ioeventfd *e, *en;
	struct vmm_irqfd *f, *fn;

	mutex_lock(&vm->irq_lock);
	list_for_each_entry_safe(f, fn, &vm->irqfds, link) {
		list_del(&f->link);
		irqfd_free(f);
	}
	mutex_unlock(&vm->irq_lock);
	list_for_each_entry_safe(e, en, &vm->ioeventfds, link) {
		list_del(&e->link);
		eventfd_ctx_put(e->ctx);
		kfree(e);
	}
	vm->nr_ioeventfds = 0;
}
