/* The VM itself: the hypervisor device, guest RAM and the in-kernel
 * interrupt controllers. */
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

/* KVM needs these three pages below 4G on Intel hosts (real-mode TSS and
 * the EPT identity map); they sit just under the IOAPIC, inside the PCI
 * hole where no RAM is. AMD ignores them. */
#define VM_TSS_ADDR 0xFFFBD000ull
#define VM_IDENTITY_MAP_ADDR 0xFFFBC000ull

static int
vm_open_device(struct vm *vm, const char *accel, char *err, unsigned errlen)
{
	const char *path = strcmp(accel, "vmm") ? "/dev/kvm" : "/dev/vmm";
	int version;

	vm->accel = strcmp(accel, "vmm") ? "kvm" : "vmm";
	vm->sys_fd = open(path, O_RDWR | O_CLOEXEC);
	if (vm->sys_fd < 0) {
		int e = errno;

		snprintf(err, errlen, "cannot open %s: %s%s", path,
			 strerror(e),
			 e == ENOENT ? (strcmp(accel, "vmm") ?
			 " (no KVM here: load kvm-amd/kvm-intel, or run in the lab: tests/lab/run)" :
			 " (load the module: insmod kmod/vmm.ko)") : "");
		return -e;
	}
	version = ioctl(vm->sys_fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION) {
		snprintf(err, errlen, "%s speaks KVM API %d, we need %d", path,
			 version, KVM_API_VERSION);
		return -ENOTSUP;
	}
	return 0;
}

static int
vm_check_ext(struct vm *vm, long ext)
{
	int r = ioctl(vm->sys_fd, KVM_CHECK_EXTENSION, ext);

	return r > 0 ? r : 0;
}

/* RAM is one anonymous mapping; the part above the PCI hole start is
 * registered at 4 GiB. 2 MiB alignment lets THP back it with huge pages. */
static int
vm_setup_memory(struct vm *vm, uint64_t size, char *err, unsigned errlen)
{
	const uint64_t align = 2ull << 20;
	int ret;
	uint8_t *raw;

	raw = mmap(NULL, size + align, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED) {
		snprintf(err, errlen, "cannot map %llu MiB of guest RAM: %s",
			 (unsigned long long)(size >> 20), strerror(errno));
		return -ENOMEM;
	}
	vm->ram = (uint8_t *)ALIGN_UP((uintptr_t)raw, align);
	if (vm->ram != raw)
		munmap(raw, (size_t)(vm->ram - raw));
	munmap(vm->ram + size, (size_t)(raw + size + align - (vm->ram + size)));
	madvise(vm->ram, size, MADV_HUGEPAGE);
	madvise(vm->ram, size, MADV_DONTDUMP);
	vm->ram_size = size;
	vm->low_ram = MIN(size, VM_PCI_HOLE_START);

	ret = vm_set_memory_slot(vm, VM_SLOT_LOW_RAM, 0, vm->low_ram, vm->ram);
	if (!ret && size > vm->low_ram)
		ret = vm_set_memory_slot(vm, VM_SLOT_HIGH_RAM, VM_HIGH_RAM_START,
					 size - vm->low_ram, vm->ram + vm->low_ram);
	if (ret)
		snprintf(err, errlen, "KVM_SET_USER_MEMORY_REGION: %s", strerror(-ret));
	return ret;
}

int
vm_set_memory_slot(struct vm *vm, enum vm_slot slot, uint64_t gpa,
		   uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0 ?
	       -errno : 0;
}

static int
vm_setup_irqchip(struct vm *vm, char *err, unsigned errlen)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, VM_TSS_ADDR) < 0 &&
	    vm_check_ext(vm, KVM_CAP_SET_TSS_ADDR))
		log_warn("KVM_SET_TSS_ADDR: %s", strerror(errno));
	if (vm_check_ext(vm, KVM_CAP_SET_IDENTITY_MAP_ADDR)) {
		uint64_t addr = VM_IDENTITY_MAP_ADDR;

		if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &addr) < 0)
			log_warn("KVM_SET_IDENTITY_MAP_ADDR: %s",
				 strerror(errno));
	}
	if (!vm_check_ext(vm, KVM_CAP_IRQCHIP)) {
		snprintf(err, errlen,
			 "/dev/%s has no in-kernel irqchip (KVM_CAP_IRQCHIP), which vmd-vm needs",
			 vm->accel);
		return -ENOTSUP;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		snprintf(err, errlen, "/dev/%s: KVM_CREATE_IRQCHIP: %s",
			 vm->accel, strerror(errno));
		return -errno;
	}
	if (vm_check_ext(vm, KVM_CAP_PIT2)) {
		if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
			log_warn("KVM_CREATE_PIT2: %s", strerror(errno));
	} else {
		log_info("no in-kernel PIT: the guest will calibrate without it");
	}
	return 0;
}

int
vm_create(struct vm *vm, const char *accel, uint64_t ram_size,
	  unsigned ncpus, char *err, unsigned errlen)
{
	int ret;

	memset(vm, 0, sizeof(*vm));
	vm->sys_fd = vm->vm_fd = -1;
	vm->ncpus = ncpus;
	pthread_mutex_init(&vm->exit_lock, NULL);
	bus_init(&vm->pio, "pio");
	bus_init(&vm->mmio, "mmio");

	ret = vm_open_device(vm, accel ? accel : "kvm", err, errlen);
	if (ret)
		return ret;
	vm->run_size = ioctl(vm->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size < (int)sizeof(struct kvm_run)) {
		snprintf(err, errlen, "KVM_GET_VCPU_MMAP_SIZE: %s",
			 strerror(errno));
		return -ENOTSUP;
	}
	vm->vm_fd = ioctl(vm->sys_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		snprintf(err, errlen, "KVM_CREATE_VM: %s", strerror(errno));
		return -errno;
	}
	ret = vm_setup_irqchip(vm, err, errlen);
	if (ret)
		return ret;
	return vm_setup_memory(vm, ram_size, err, errlen);
}

void
vm_destroy(struct vm *vm)
{
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->sys_fd >= 0)
		close(vm->sys_fd);
	bus_destroy(&vm->pio);
	bus_destroy(&vm->mmio);
	pthread_mutex_destroy(&vm->exit_lock);
}

int
vm_irq_line(struct vm *vm, uint32_t gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0) {
		log_once(LOG_LVL_WARN, "KVM_IRQ_LINE %u: %s", gsi,
			 strerror(errno));
		return -errno;
	}
	return 0;
}

void
vm_request_exit(struct vm *vm, enum vm_exit_status status, const char *reason)
{
	bool first;

	pthread_mutex_lock(&vm->exit_lock);
	first = !vm->exit_requested;
	if (first) {
		vm->exit_requested = true;
		vm->exit_status = status;
		util_strlcpy(vm->exit_reason, reason, sizeof(vm->exit_reason));
	}
	pthread_mutex_unlock(&vm->exit_lock);
	if (first && vm->on_exit)
		vm->on_exit(vm);
}
