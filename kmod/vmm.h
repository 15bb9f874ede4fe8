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

#include <linux/hrtimer.h>
#include <linux/kref.h>
#include <linux/kvm.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#define VMM_NAME	"vmm"

#define VMM_MAX_VCPUS		64	/* ids 0..63 (KVM_CAP_MAX_VCPU_ID) */
#define VMM_MAX_SLOTS		32	/* KVM_CAP_NR_MEMSLOTS */
#define VMM_MAX_CPUID		256	/* entries in KVM_SET_CPUID2 */
#define VMM_RUN_PAGES		2	/* kvm_run, then the PIO data page */
#define VMM_PIO_OFFSET		PAGE_SIZE
#define VMM_MAX_GSI		1024	/* GSIs 0..1023 in routes and lines */
#define VMM_MAX_ROUTES		1024	/* entries in KVM_SET_GSI_ROUTING */
#define VMM_MAX_IOEVENTFDS	1000	/* as KVM's NR_IOBUS_DEVS */
#define VMM_IOAPIC_PINS		24
#define VMM_IOAPIC_BASE		0xfec00000ull
#define VMM_IOAPIC_SIZE		0x100

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
struct vmm_ioapic;
struct vmm_lapic;
struct vmm_irq_routes;

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

	/*
	 * In-kernel irqchip (KVM_CREATE_IRQCHIP): an IOAPIC, a LAPIC per
	 * vCPU, GSI routes.  Lock order: routes (RCU) -> ioapic->lock ->
	 * a LAPIC's lock; vCPU wake-ups take only the vCPU's wait queue.
	 */
	bool irqchip;			/* set once, before any vCPU exists */
	struct vmm_ioapic *ioapic;
	struct mutex irq_lock;		/* route updates, irqfd list */
	struct vmm_irq_routes __rcu *routes;
	struct list_head irqfds;
	spinlock_t ioeventfd_lock;
	struct list_head ioeventfds;
	u32 nr_ioeventfds;

	/* Guest TSC: host writes of one value within a second share an
	 * offset, so vCPUs set up one after the other agree (as KVM). */
	spinlock_t tsc_lock;
	u64 tsc_last_value;
	u64 tsc_last_host;
	u64 tsc_last_offset;
	u64 kvmclock_base;		/* host boot-time ns at VM creation */
};

/* One interrupt message: an IOAPIC entry, an MSI, an IPI. */
struct vmm_irq_msg {
	u32 dest;		/* APIC id or logical mask (8 bits, xAPIC) */
	u8 vector;
	u8 mode;		/* APIC_DM_* >> 8: fixed, lowest, NMI, INIT... */
	u8 shorthand;		/* ICR bits 19:18; 0 from IOAPIC and MSI */
	bool logical;
	bool level;		/* assert (INIT de-assert has level 0) */
	bool trig_level;	/* level-triggered: EOI goes to the IOAPIC */
};

/* vCPU run states with an in-kernel irqchip (KVM_MP_STATE_*). */
enum vmm_mp_state {
	VMM_MP_RUNNABLE,
	VMM_MP_WAIT_SIPI,	/* an AP after reset or INIT */
	VMM_MP_HALTED,		/* HLT: sleeping until an interrupt */
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

	/* In-kernel irqchip only (NULL/unused without it). */
	struct vmm_lapic *apic;
	enum vmm_mp_state mp_state;
	wait_queue_head_t wq;	/* HLT and wait-for-SIPI sleep here */
	int guest_cpu;		/* CPU while in guest mode, else -1: IPI target */

	/* kvmclock (MSR_KVM_SYSTEM_TIME_NEW / WALL_CLOCK_NEW) */
	u64 pvclock_msr;
	u64 wall_clock_msr;
	u32 pvclock_version;

	/* Exit counts by kind, kept while the exit_stats parameter is on and
	 * logged when the vCPU goes (where does a slow guest spend exits?). */
	u64 stat[8];

	void *priv;		/* vendor state */
};

enum vmm_stat { VMM_STAT_INTR, VMM_STAT_WINDOW, VMM_STAT_IO, VMM_STAT_MMIO,
		VMM_STAT_NPT, VMM_STAT_MSR, VMM_STAT_HLT, VMM_STAT_OTHER };
extern bool vmm_exit_stats;

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
	/* INIT: the architectural reset state (registers, VMCB). */
	void (*vcpu_reset)(struct vmm_vcpu *vcpu);
	/* SIPI: start at vector << 12 in real mode. */
	void (*vcpu_sipi)(struct vmm_vcpu *vcpu, u8 vector);
	u64 (*guest_tsc)(struct vmm_vcpu *vcpu);
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

/* lapic.c: the local APIC of each vCPU */
int vmm_lapic_create(struct vmm_vcpu *vcpu);
void vmm_lapic_free(struct vmm_vcpu *vcpu);
void vmm_lapic_reset(struct vmm_vcpu *vcpu);
bool vmm_lapic_mmio(struct vmm_vcpu *vcpu, u64 gpa, bool write,
		    unsigned int size, u64 *val);
int vmm_lapic_take_interrupt(struct vmm_vcpu *vcpu);
bool vmm_lapic_has_interrupt(struct vmm_vcpu *vcpu);
bool vmm_lapic_take_nmi(struct vmm_vcpu *vcpu);
bool vmm_lapic_wake_pending(struct vmm_vcpu *vcpu);
int vmm_lapic_run_events(struct vmm_vcpu *vcpu);
void vmm_lapic_sync_tpr(struct vmm_vcpu *vcpu, u8 cr8, bool from_guest);
u8 vmm_lapic_cr8(struct vmm_vcpu *vcpu);
int vmm_lapic_get_deadline(struct vmm_vcpu *vcpu, u64 *data);
int vmm_lapic_set_deadline(struct vmm_vcpu *vcpu, u64 data);
int vmm_lapic_deliver(struct vmm_vm *vm, struct vmm_vcpu *src,
		      const struct vmm_irq_msg *msg);
void vmm_vcpu_kick(struct vmm_vcpu *vcpu);
long vmm_vcpu_get_lapic(struct vmm_vcpu *vcpu, void __user *argp);
long vmm_vcpu_set_lapic(struct vmm_vcpu *vcpu, void __user *argp);

/* ioapic.c */
struct vmm_ioapic *vmm_ioapic_create(void);
void vmm_ioapic_set_pin(struct vmm_vm *vm, u32 pin, int level);
void vmm_ioapic_eoi(struct vmm_vm *vm, u8 vector);
bool vmm_ioapic_mmio(struct vmm_vm *vm, u64 gpa, bool write,
		     unsigned int size, u64 *val);
long vmm_vm_irqchip_state(struct vmm_vm *vm, void __user *argp, bool set);

/* irq.c: KVM_CREATE_IRQCHIP, GSI routes, KVM_IRQ_LINE, KVM_SIGNAL_MSI */
long vmm_vm_create_irqchip(struct vmm_vm *vm);
void vmm_irqchip_destroy(struct vmm_vm *vm);
int vmm_irq_set(struct vmm_vm *vm, u32 gsi, int level);
long vmm_vm_irq_line(struct vmm_vm *vm, void __user *argp);
long vmm_vm_signal_msi(struct vmm_vm *vm, void __user *argp);
long vmm_vm_set_gsi_routing(struct vmm_vm *vm, void __user *argp);

/* eventfd.c: KVM_IRQFD, KVM_IOEVENTFD */
long vmm_vm_irqfd(struct vmm_vm *vm, void __user *argp);
long vmm_vm_ioeventfd(struct vmm_vm *vm, void __user *argp);
bool vmm_ioeventfd_write(struct vmm_vm *vm, bool pio, u64 addr,
			 unsigned int len, u64 val);
void vmm_eventfds_destroy(struct vmm_vm *vm);

/* kvmclock.c */
int vmm_kvmclock_set_msr(struct vmm_vcpu *vcpu, u32 index, u64 data);
bool vmm_kvmclock_get_msr(struct vmm_vcpu *vcpu, u32 index, u64 *data);
void vmm_kvmclock_update(struct vmm_vcpu *vcpu);

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
