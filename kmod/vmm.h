/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmm.ko internals.  The core never asks "SVM or VMX?": vendor code sits
 * behind struct vmm_vendor_ops, as in KVM's kvm_x86_ops.
 *
 * Objects and their owners:
 *   struct vmm_vm    one per KVM_CREATE_VM; refcounted by its own fd and by
 *                    every vCPU fd, freed (with its vCPUs, slots, NPT) when
 *                    the last of them closes.
 *   struct vmm_vcpu  one per KVM_CREATE_VCPU; all its state is touched only
 *                    under vcpu->mutex (held across KVM_RUN and every vCPU
 *                    ioctl), so the vCPU thread owns it.
 *   memory slots     vm->slots_lock; the NPT under vm->mmu_lock.
 */
#ifndef VMM_H
#define VMM_H

#include <linux/kref.h>
#include <linux/kvm.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/types.h>

#define VMM_NAME	"vmm"

#define VMM_MAX_VCPUS		64	/* ids 0..63 (KVM_CAP_MAX_VCPU_ID) */
#define VMM_MAX_SLOTS		32	/* KVM_CAP_NR_MEMSLOTS */
#define VMM_MAX_CPUID		256	/* entries in KVM_SET_CPUID2 */
#define VMM_RUN_PAGES		2	/* kvm_run, then the PIO data page */
#define VMM_PIO_OFFSET		PAGE_SIZE

/* General-purpose registers in the x86 encoding order (ModRM reg field). */
enum vmm_reg {
	VMM_RAX, VMM_RCX, VMM_RDX, VMM_RBX, VMM_RSP, VMM_RBP, VMM_RSI, VMM_RDI,
	VMM_R8, VMM_R9, VMM_R10, VMM_R11, VMM_R12, VMM_R13, VMM_R14, VMM_R15,
	VMM_NR_GPRS,
};

struct vmm_slot {
	u32 id;
	bool used;
	u64 gpa;
	u64 npages;
	unsigned long hva;
	struct page **pages;	/* pinned on first guest touch, NULL until then */
};

struct vmm_vcpu;

struct vmm_vm {
	struct kref ref;
	struct mm_struct *mm;		/* the creator's; other mms get -EIO */
	u32 asid;

	struct mutex lock;		/* vcpus[] and nr_vcpus */
	struct vmm_vcpu *vcpus[VMM_MAX_VCPUS];

	struct mutex slots_lock;	/* slots[]; taken before mmu_lock */
	struct vmm_slot slots[VMM_MAX_SLOTS];

	struct mutex mmu_lock;		/* the NPT */
	u64 *npt_root;			/* PML4 of the nested page tables */
	atomic64_t tlb_gen;		/* bumped when NPT entries are removed */
};

/* What KVM_RUN must finish before it re-enters the guest. */
enum vmm_pending {
	VMM_PENDING_NONE,
	VMM_PENDING_IO_IN,	/* copy run's PIO data into AL/AX/EAX */
	VMM_PENDING_MMIO_READ,	/* copy run->mmio.data into a register */
	VMM_PENDING_INS,	/* copy run's PIO data to guest memory */
};

struct vmm_vcpu {
	struct vmm_vm *vm;
	u32 id;
	struct mutex mutex;
	struct kvm_run *run;
	struct page *run_pages[VMM_RUN_PAGES];

	/* RAX and RSP are copied to/from the vendor state around each entry. */
	unsigned long regs[VMM_NR_GPRS];

	/* Userspace-irqchip interrupt from KVM_INTERRUPT, or -1. */
	int pending_irq;

	enum vmm_pending pending;
	u8 pending_reg;		/* destination register of a read */
	u8 pending_size;	/* 1, 2, 4 or 8 bytes */
	bool pending_high8;	/* AH/CH/DH/BH */
	bool pending_zext;	/* zero-extend (movzx, or 32-bit in 64-bit mode) */
	u8 pending_dst_size;	/* destination width for movzx */
	u64 pending_la;		/* INS: guest-linear destination */
	u32 pending_bytes;	/* INS: how many */

	struct kvm_cpuid_entry2 *cpuid;
	u32 nr_cpuid;

	/* MSRs the vendor state does not hold. */
	u64 apic_base;
	u64 misc_enable;
	u64 tsc_aux;
	u64 mtrr_def_type;
	u64 xcr0;		/* what the guest set with XSETBV */
	u64 host_xcr0;		/* XCR0 at entry, checked at exit */

	void *fpu;		/* guest x87/SSE/AVX state (XSAVE or FXSAVE image) */

	void *priv;		/* vendor state */
};

/* Segment registers in the x86 encoding order (prefixes, SVM SEG field). */
enum vmm_seg { VMM_ES, VMM_CS, VMM_SS, VMM_DS, VMM_FS, VMM_GS, VMM_NR_SEGS };

/* Guest state the emulator needs, in a vendor-neutral form. */
struct vmm_mode {
	u64 cr0, cr3, cr4, cr8, efer, rip, rflags;
	u64 seg_base[VMM_NR_SEGS];
	bool cs_l, cs_db;
};

struct vmm_vendor_ops {
	const char *name;
	/* 0 if this CPU can run guests with this backend, else -ENODEV. */
	int (*check_hardware)(void);
	int (*hardware_init)(void);
	void (*hardware_exit)(void);
	/* Turn virtualization on on every CPU (first VM) or off (last VM). */
	int (*enable)(void);
	void (*disable)(void);
	int (*asid_alloc)(struct vmm_vm *vm);
	void (*asid_free)(struct vmm_vm *vm);

	int (*vcpu_create)(struct vmm_vcpu *vcpu);
	void (*vcpu_free)(struct vmm_vcpu *vcpu);
	/* One guest entry and exit; KVM's convention: >0 again, 0 user, <0 err. */
	int (*vcpu_run)(struct vmm_vcpu *vcpu);
	void (*get_regs)(struct vmm_vcpu *vcpu, struct kvm_regs *regs);
	void (*set_regs)(struct vmm_vcpu *vcpu, const struct kvm_regs *regs);
	void (*get_sregs)(struct vmm_vcpu *vcpu, struct kvm_sregs *sregs);
	int (*set_sregs)(struct vmm_vcpu *vcpu, const struct kvm_sregs *sregs);
	void (*get_mode)(struct vmm_vcpu *vcpu, struct vmm_mode *mode);
	/* Host-initiated (KVM_GET/SET_MSRS) and guest MSR access: 0 or -errno. */
	int (*get_msr)(struct vmm_vcpu *vcpu, u32 index, u64 *data);
	int (*set_msr)(struct vmm_vcpu *vcpu, u32 index, u64 data, bool host);
	bool (*interrupt_allowed)(struct vmm_vcpu *vcpu);
	bool (*if_flag)(struct vmm_vcpu *vcpu);
	void (*skip_insn)(struct vmm_vcpu *vcpu, unsigned int len);
};

extern const struct vmm_vendor_ops vmm_svm_ops;
extern const struct vmm_vendor_ops *vmm_vendor;

/* vm.c */
long vmm_create_vm(void);
long vmm_check_extension(long cap);
void vmm_vm_put(struct vmm_vm *vm);
struct vmm_slot *vmm_find_slot(struct vmm_vm *vm, u64 gfn);

/* vcpu.c */
int vmm_vcpu_create_fd(struct vmm_vm *vm, unsigned long id);
void vmm_vcpu_destroy(struct vmm_vcpu *vcpu);

/* cpuid.c */
int vmm_get_supported_cpuid(struct kvm_cpuid2 __user *ucpuid);
long vmm_vcpu_set_cpuid2(struct vmm_vcpu *vcpu,
			 struct kvm_cpuid2 __user *ucpuid);
void vmm_cpuid(struct vmm_vcpu *vcpu, u32 fn, u32 idx, u32 out[4]);

/* msr.c */
int vmm_get_msr_index_list(struct kvm_msr_list __user *ulist);
int vmm_get_msr(struct vmm_vcpu *vcpu, u32 index, u64 *data);
int vmm_set_msr(struct vmm_vcpu *vcpu, u32 index, u64 data, bool host);
long vmm_vcpu_msrs(struct vmm_vcpu *vcpu, struct kvm_msrs __user *u,
		   bool set);

/* fpu.c */
int vmm_fpu_alloc(struct vmm_vcpu *vcpu);
void vmm_fpu_free(struct vmm_vcpu *vcpu);
void vmm_guest_fpu_load(struct vmm_vcpu *vcpu);
void vmm_guest_fpu_save(struct vmm_vcpu *vcpu);
u64 vmm_guest_fpu_mask(void);
u64 vmm_guest_xcr0_allowed(void);
long vmm_vcpu_get_fpu(struct vmm_vcpu *vcpu, void __user *argp);
long vmm_vcpu_set_fpu(struct vmm_vcpu *vcpu, void __user *argp);

/* npt.c */
int vmm_npt_init(struct vmm_vm *vm);
void vmm_npt_destroy(struct vmm_vm *vm);
/* Map the page at gpa (pinning it) or return -ENOENT if no slot backs it. */
int vmm_npt_map(struct vmm_vm *vm, u64 gpa);
void vmm_npt_unmap_slot(struct vmm_vm *vm, struct vmm_slot *slot);
int vmm_read_gpa(struct vmm_vm *vm, u64 gpa, void *buf, unsigned int len);
int vmm_write_gpa(struct vmm_vm *vm, u64 gpa, const void *buf,
		  unsigned int len);

/* emulate.c */
int vmm_emulate_mmio(struct vmm_vcpu *vcpu, u64 gpa, const u8 *insn,
		     unsigned int insn_len);
void vmm_complete_mmio_read(struct vmm_vcpu *vcpu);
int vmm_fetch_insn(struct vmm_vcpu *vcpu, u8 *buf, unsigned int len);
int vmm_emulate_string_io(struct vmm_vcpu *vcpu, bool in, unsigned int size,
			  u16 port, bool rep, u64 next_rip);
int vmm_complete_ins(struct vmm_vcpu *vcpu);

#endif /* VMM_H */
