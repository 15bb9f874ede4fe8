// SPDX-License-Identifier: GPL-2.0
/*
 * Nested page tables (AMD NPT), built lazily: a guest access to an unmapped
 * guest-physical page exits with #NPF, and if a memory slot backs it we pin
 * the user page and map it with a 4 KiB leaf.  Nothing outside the slots is
 * ever mapped, so such an access stays an #NPF and becomes MMIO.
 *
 * The tables use the host (long mode) format; every level has U/S set, as
 * NPT treats guest accesses as user accesses.  Removing leaves bumps
 * vm->tlb_gen and interrupts every CPU, so a vCPU in the guest exits and
 * flushes its ASID before it runs again -- only then are pages unpinned.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/smp.h>
#include <linux/uaccess.h>
#include <asm/io.h>

#include "vmm.h"

#define NPT_P		BIT_ULL(0)
#define NPT_RW		BIT_ULL(1)
#define NPT_US		BIT_ULL(2)
#define NPT_A		BIT_ULL(5)
#define NPT_D		BIT_ULL(6)
#define NPT_ADDR	GENMASK_ULL(51, 12)
#define NPT_TABLE	(NPT_P | NPT_RW | NPT_US)
#define NPT_LEAF	(NPT_P | NPT_RW | NPT_US | NPT_A | NPT_D)

static u64 *npt_alloc_table(void)
{
	return (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
}

int vmm_npt_init(struct vmm_vm *vm)
{
	vm->npt_root = npt_alloc_table();
	return vm->npt_root ? 0 : -ENOMEM;
}

static void npt_free_level(u64 *table, int level)
{
	int i;

	if (level > 1)
		for (i = 0; i < 512; i++)
			if (table[i] & NPT_P)
				npt_free_level(__va(table[i] & NPT_ADDR),
					       level - 1);
	free_page((unsigned long)table);
}

void vmm_npt_destroy(struct vmm_vm *vm)
{
	if (vm->npt_root)
		npt_free_level(vm->npt_root, 4);
	vm->npt_root = NULL;
}

/* The leaf entry for gpa, allocating tables on the way if alloc. */
static u64 *npt_walk(struct vmm_vm *vm, u64 gpa, bool alloc)
{
	u64 *table = vm->npt_root, *next;
	int level, idx;

	for (level = 4; level > 1; level--) {
		idx = (gpa >> (12 + 9 * (level - 1))) & 511;
		if (!(table[idx] & NPT_P)) {
			if (!alloc)
				return NULL;
			next = npt_alloc_table();
			if (!next)
				return NULL;
			table[idx] = __pa(next) | NPT_TABLE;
		}
		table = __va(table[idx] & NPT_ADDR);
	}
	return &table[(gpa >> 12) & 511];
}

int vmm_npt_map(struct vmm_vm *vm, u64 gpa)
{
	struct vmm_slot *slot;
	struct page *page;
	u64 gfn = gpa >> PAGE_SHIFT, idx, *pte;
	int r = 0;

	mutex_lock(&vm->slots_lock);
	slot = vmm_find_slot(vm, gfn);
	if (!slot) {
		r = -ENOENT;
		goto out;
	}
	idx = gfn - (slot->gpa >> PAGE_SHIFT);
	page = slot->pages[idx];
	if (!page) {
		r = pin_user_pages_fast(slot->hva + (idx << PAGE_SHIFT), 1,
					FOLL_WRITE | FOLL_LONGTERM, &page);
		if (r != 1) {
			r = r < 0 ? r : -EFAULT;
			goto out;
		}
		r = 0;
		slot->pages[idx] = page;
	}
	mutex_lock(&vm->mmu_lock);
	pte = npt_walk(vm, gpa, true);
	if (pte)
		*pte = page_to_phys(page) | NPT_LEAF;
	else
		r = -ENOMEM;
	mutex_unlock(&vm->mmu_lock);
out:
	mutex_unlock(&vm->slots_lock);
	return r;
}

static void npt_kick(void *unused)
{
	/* The interrupt itself is the point: it makes any guest exit. */
}

/* Caller holds slots_lock. */
void vmm_npt_unmap_slot(struct vmm_vm *vm, struct vmm_slot *slot)
{
	u64 i, *pte;
	bool any = false;

	mutex_lock(&vm->mmu_lock);
	for (i = 0; i < slot->npages; i++) {
		if (!slot->pages[i])
			continue;
		pte = npt_walk(vm, slot->gpa + (i << PAGE_SHIFT), false);
		if (pte)
			*pte = 0;
		any = true;
	}
	mutex_unlock(&vm->mmu_lock);
	if (!any)
		return;
	atomic64_inc(&vm->tlb_gen);
	on_each_cpu(npt_kick, NULL, 1);
}

/*
 * Copies len bytes between buf and guest-physical gpa (within one page),
 * through the slot's userspace mapping, in the direction to_guest says.
 */
static int vmm_copy_gpa(struct vmm_vm *vm, u64 gpa, void *buf,
			unsigned int len, bool to_guest)
{
	struct vmm_slot *slot;
	void __user *hva;
	int r = 0;

	if ((gpa & ~PAGE_MASK) + len > PAGE_SIZE)
		return -EINVAL;
	mutex_lock(&vm->slots_lock);
	slot = vmm_find_slot(vm, gpa >> PAGE_SHIFT);
	if (!slot) {
		r = -ENOENT;
	} else {
		hva = (void __user *)(slot->hva + (gpa - slot->gpa));
		if (to_guest ? copy_to_user(hva, buf, len) :
			       copy_from_user(buf, hva, len))
			r = -EFAULT;
	}
	mutex_unlock(&vm->slots_lock);
	return r;
}

int vmm_read_gpa(struct vmm_vm *vm, u64 gpa, void *buf, unsigned int len)
{
	return vmm_copy_gpa(vm, gpa, buf, len, false);
}

int vmm_write_gpa(struct vmm_vm *vm, u64 gpa, const void *buf,
		  unsigned int len)
{
	return vmm_copy_gpa(vm, gpa, (void *)buf, len, true);
}
