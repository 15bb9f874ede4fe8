/* One virtual machine: the KVM (or /dev/vmm) handles, guest RAM, the
 * buses, the vCPUs and the platform devices. Owned by the main (I/O)
 * thread; vCPU threads read the immutable parts (fds, RAM layout, buses). */
#ifndef VMD_DEVICES_VM_H
#define VMD_DEVICES_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus.h"

/* Guest physical layout (x86, like QEMU's pc/microvm). */
#define VM_PCI_HOLE_START 0xC0000000ull /* 3 GiB: RAM above moves to 4G+ */
#define VM_HIGH_RAM_START 0x100000000ull
#define VM_IOAPIC_BASE    0xFEC00000ull
#define VM_LAPIC_BASE     0xFEE00000ull

/* Legacy ISA interrupt lines (GSI numbers on the in-kernel IOAPIC). */
#define VM_IRQ_KBD    1
#define VM_IRQ_COM1   4
#define VM_IRQ_RTC    8
#define VM_IRQ_SCI    9
#define VM_IRQ_MOUSE 12

/* Process exit status of vmd-vm: vmd tells why its child ended by these. */
enum vm_exit_status {
	VM_EXIT_POWEROFF = 0, /* the guest powered off (or "quit") */
	VM_EXIT_ERROR = 1,    /* could not start: bad file, no KVM, ... */
	VM_EXIT_USAGE = 2,    /* bad command line */
	VM_EXIT_REBOOT = 3,   /* the guest asked for a reboot */
	VM_EXIT_CRASH = 4,    /* triple fault or internal error */
};

struct vm_devices; /* platform devices, devices/platform.c */
struct vcpu;
struct event_base;

struct vm {
	int sys_fd;  /* /dev/kvm or /dev/vmm */
	int vm_fd;
	const char *accel; /* "kvm" or "vmm" */
	int run_size; /* KVM_GET_VCPU_MMAP_SIZE */

	uint8_t *ram;      /* one mapping; guest pages below and above the hole */
	uint64_t ram_size; /* bytes of guest RAM in total */
	uint64_t low_ram;  /* bytes of it mapped at GPA 0 (<= PCI hole start) */

	unsigned ncpus;
	struct vcpu *vcpus;

	struct bus pio;
	struct bus mmio;

	struct event_base *base; /* the I/O loop (main thread) */
	struct vm_devices *devs;

	/* Set once by whoever decides the VM must end (a device, a vCPU,
	 * the control socket); the main loop then stops the vCPUs. */
	pthread_mutex_t exit_lock;
	bool exit_requested;
	enum vm_exit_status exit_status;
	char exit_reason[256];
	/* Called once, on the requesting thread, by the first
	 * vm_request_exit(): wakes the main loop. */
	void (*on_exit)(struct vm *vm);
};

/* KVM memory slots, one owner each. */
enum vm_slot { VM_SLOT_LOW_RAM, VM_SLOT_HIGH_RAM, VM_SLOT_FRAMEBUFFER };
/* Backs guest-physical [gpa, gpa + size) with host memory at hva as memory
 * slot `slot`; size 0 removes the slot. Returns -errno on failure. */
int vm_set_memory_slot(struct vm *vm, enum vm_slot slot, uint64_t gpa,
		       uint64_t size, void *hva);

int vm_create(struct vm *vm, const char *accel, uint64_t ram_size,
	      unsigned ncpus, char *err, unsigned errlen);
void vm_destroy(struct vm *vm);

/* Host pointer for guest-physical [gpa, gpa+len), or NULL when any part of
 * it is not guest RAM. Every guest-provided address goes through this, on
 * hot paths (virtqueues), hence inline. RAM is mapped at GPA 0 up to
 * low_ram and the rest from 4 GiB. */
static inline void *
vm_gpa_to_hva(struct vm *vm, uint64_t gpa, uint64_t len)
{
	if (!vm->ram || gpa + len < gpa)
		return NULL;
	if (gpa + len <= vm->low_ram)
		return vm->ram + gpa;
	if (gpa >= VM_HIGH_RAM_START &&
	    gpa - VM_HIGH_RAM_START + len <= vm->ram_size - vm->low_ram)
		return vm->ram + vm->low_ram + (gpa - VM_HIGH_RAM_START);
	return NULL;
}

/* Raise (level 1) or lower (0) a GSI on the in-kernel irqchip. For an
 * edge-triggered ISA line pulse it: 1 then 0. Thread-safe. */
int vm_irq_line(struct vm *vm, uint32_t gsi, int level);

/* Ask the VM to end with status and a reason for the log; the first
 * request wins. Thread-safe, callable from device handlers. */
void vm_request_exit(struct vm *vm, enum vm_exit_status status,
		     const char *reason);

#endif
