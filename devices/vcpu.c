#include "vcpu.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "boot.h"
#include "cpuid.h"
#include "log.h"
#include "util.h"
#include "vm.h"

/* The signal that kicks a vCPU thread out of KVM_RUN. Its handler does
 * nothing: the point is the -EINTR. */
#define VCPU_KICK_SIGNAL SIGUSR1

#define MSR_IA32_TSC          0x10
#define MSR_IA32_SYSENTER_CS  0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE  0x1a0
#define MSR_MTRR_DEF_TYPE     0x2ff
#define MSR_STAR              0xc0000081
#define MSR_LSTAR             0xc0000082
#define MSR_CSTAR             0xc0000083
#define MSR_SYSCALL_MASK      0xc0000084
#define MSR_KERNEL_GS_BASE    0xc0000102

#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_MODE_NMI    0x4
#define APIC_MODE_EXTINT 0x7

static void
vcpu_kick_handler(int sig)
{
	(void)sig;
}

static int
vcpu_setup_msrs(struct vcpu *v)
{
	static const struct { uint32_t index; uint64_t data; } boot_msrs[] = {
		{ MSR_IA32_SYSENTER_CS, 0 },
		{ MSR_IA32_SYSENTER_ESP, 0 },
		{ MSR_IA32_SYSENTER_EIP, 0 },
		{ MSR_STAR, 0 },
		{ MSR_CSTAR, 0 },
		{ MSR_KERNEL_GS_BASE, 0 },
		{ MSR_SYSCALL_MASK, 0 },
		{ MSR_LSTAR, 0 },
		{ MSR_IA32_TSC, 0 },
		{ MSR_IA32_MISC_ENABLE, 1 }, /* fast string operations */
		/* MTRRs on, default type write-back: without it Linux maps
		 * all of RAM uncached and complains. */
		{ MSR_MTRR_DEF_TYPE, (1 << 11) | 6 },
	};
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[ARRAY_SIZE(boot_msrs)];
	} msrs;
	unsigned i;
	int n;

	memset(&msrs, 0, sizeof(msrs));
	for (i = 0; i < ARRAY_SIZE(boot_msrs); i++) {
		msrs.e[i].index = boot_msrs[i].index;
		msrs.e[i].data = boot_msrs[i].data;
	}
	msrs.hdr.nmsrs = ARRAY_SIZE(boot_msrs);
	n = ioctl(v->fd, KVM_SET_MSRS, &msrs);
	if (n < 0)
		return -errno;
	if (n != (int)ARRAY_SIZE(boot_msrs))
		log_debug("vcpu %u: KVM_SET_MSRS set %d of %zu", v->id, n,
			  ARRAY_SIZE(boot_msrs));
	return 0;
}

/* LINT0 delivers the PIC's ExtINT and LINT1 the NMI, as a PC's firmware
 * leaves them: Linux expects it when it starts in virtual-wire mode. */
static int
vcpu_setup_lapic(struct vcpu *v)
{
	struct kvm_lapic_state lapic;
	uint32_t *lint0 = (uint32_t *)&lapic.regs[APIC_LVT_LINT0];
	uint32_t *lint1 = (uint32_t *)&lapic.regs[APIC_LVT_LINT1];

	if (ioctl(v->fd, KVM_GET_LAPIC, &lapic) < 0)
		return -errno;
	*lint0 = (*lint0 & ~0x700u) | (APIC_MODE_EXTINT << 8);
	*lint1 = (*lint1 & ~0x700u) | (APIC_MODE_NMI << 8);
	if (ioctl(v->fd, KVM_SET_LAPIC, &lapic) < 0)
		return -errno;
	return 0;
}

static int
vcpu_setup_boot_state(struct vcpu *v, const struct boot_info *bi)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };

	if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	boot_setup_regs(bi, &regs, &sregs);
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0 ||
	    ioctl(v->fd, KVM_SET_REGS, &regs) < 0 ||
	    ioctl(v->fd, KVM_SET_FPU, &fpu) < 0)
		return -errno;
	return 0;
}

static int
vcpu_init(struct vm *vm, struct vcpu *v, unsigned id,
	  const struct kvm_cpuid2 *cpuid, const struct boot_info *bi)
{
	int ret;

	v->vm = vm;
	v->id = id;
	v->request = VCPU_RUN;
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->cond, NULL);
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, id);
	if (v->fd < 0)
		return -errno;
	v->run = mmap(NULL, (size_t)vm->run_size, PROT_READ | PROT_WRITE,
		      MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		return -errno;
	}
	ret = cpuid_setup_vcpu(vm, cpuid, id, v->fd);
	if (!ret)
		ret = vcpu_setup_msrs(v);
	if (!ret)
		ret = vcpu_setup_lapic(v);
	if (!ret && id == 0)
		ret = vcpu_setup_boot_state(v, bi);
	return ret;
}

int
vcpus_create(struct vm *vm, const struct boot_info *bi, char *err,
	     unsigned errlen)
{
	struct kvm_cpuid2 *cpuid;
	unsigned i;
	int ret = 0;

	vm->vcpus = calloc(vm->ncpus, sizeof(*vm->vcpus));
	cpuid = cpuid_get_supported(vm);
	if (!vm->vcpus || !cpuid) {
		free(cpuid);
		snprintf(err, errlen, "cannot set up vCPUs: %s",
			 vm->vcpus ? "no CPUID from the hypervisor" :
				     strerror(ENOMEM));
		return -ENOMEM;
	}
	for (i = 0; i < vm->ncpus; i++)
		vm->vcpus[i].fd = -1;
	for (i = 0; i < vm->ncpus && !ret; i++) {
		ret = vcpu_init(vm, &vm->vcpus[i], i, cpuid, bi);
		if (ret)
			snprintf(err, errlen, "cannot set up vCPU %u: %s", i,
				 strerror(-ret));
	}
	free(cpuid);
	return ret;
}

static void
vcpu_handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint32_t i;

	/* String I/O (rep outsb...) arrives as count items back to back. */
	for (i = 0; i < run->io.count; i++) {
		bus_dispatch(&v->vm->pio, run->io.port, data, run->io.size,
			     run->io.direction == KVM_EXIT_IO_OUT);
		data += run->io.size;
	}
}

static const char *
vcpu_exit_name(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_SHUTDOWN: return "triple fault (shutdown)";
	case KVM_EXIT_FAIL_ENTRY: return "VM entry failed";
	case KVM_EXIT_INTERNAL_ERROR: return "hypervisor internal error";
	default: return "unexpected exit";
	}
}

/* Where the vCPU was, for the log line of a crash: rip and the control
 * registers are what tells a triple fault's story. */
static void
vcpu_crash_reason(struct vcpu *v, char *buf, size_t size, const char *what)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	if (!ioctl(v->fd, KVM_GET_REGS, &regs) &&
	    !ioctl(v->fd, KVM_GET_SREGS, &sregs))
		snprintf(buf, size,
			 "vCPU %u: %s at rip 0x%llx (cr0 0x%llx cr3 0x%llx cr4 0x%llx efer 0x%llx)",
			 v->id, what, (unsigned long long)regs.rip,
			 (unsigned long long)sregs.cr0,
			 (unsigned long long)sregs.cr3,
			 (unsigned long long)sregs.cr4,
			 (unsigned long long)sregs.efer);
	else
		snprintf(buf, size, "vCPU %u: %s", v->id, what);
}

/* Returns false when the vCPU must stop running. */
static bool
vcpu_handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	char reason[256], what[96];

	if (v->exits < 400 && log_get_level() >= LOG_LVL_DEBUG)
		log_debug("vcpu %u: exit %u io port 0x%x mmio 0x%llx", v->id,
			  run->exit_reason, run->io.port,
			  (unsigned long long)run->mmio.phys_addr);
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu_handle_io(v);
		return true;
	case KVM_EXIT_MMIO:
		bus_dispatch(&v->vm->mmio, run->mmio.phys_addr, run->mmio.data,
			     MIN(run->mmio.len, 8u), run->mmio.is_write);
		return true;
	case KVM_EXIT_INTR:
	case KVM_EXIT_HLT: /* in-kernel irqchip: only seen if a vCPU halts
			      with interrupts off, i.e. stops for good */
		return true;
	case KVM_EXIT_SYSTEM_EVENT:
		switch (run->system_event.type) {
		case KVM_SYSTEM_EVENT_SHUTDOWN:
			vm_request_exit(v->vm, VM_EXIT_POWEROFF,
					"guest powered off");
			break;
		case KVM_SYSTEM_EVENT_RESET:
			vm_request_exit(v->vm, VM_EXIT_REBOOT,
					"guest reset");
			break;
		default:
			snprintf(reason, sizeof(reason),
				 "vCPU %u: system event %u (crash)", v->id,
				 run->system_event.type);
			vm_request_exit(v->vm, VM_EXIT_CRASH, reason);
		}
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(what, sizeof(what), "%s, hardware reason 0x%llx",
			 vcpu_exit_name(run->exit_reason),
			 (unsigned long long)
			 run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(what, sizeof(what), "%s, suberror %u",
			 vcpu_exit_name(run->exit_reason), run->internal.suberror);
		break;
	default:
		snprintf(what, sizeof(what), "%s (%u)",
			 vcpu_exit_name(run->exit_reason), run->exit_reason);
		break;
	}
	vcpu_crash_reason(v, reason, sizeof(reason), what);
	vm_request_exit(v->vm, VM_EXIT_CRASH, reason);
	return false;
}

/* Parks the thread while a pause is requested. Returns false on stop. */
static bool
vcpu_check_request(struct vcpu *v)
{
	bool keep_running;

	pthread_mutex_lock(&v->lock);
	while (v->request == VCPU_PAUSE) {
		if (!v->parked) {
			v->parked = true;
			pthread_cond_broadcast(&v->cond);
		}
		pthread_cond_wait(&v->cond, &v->lock);
	}
	if (v->parked) {
		v->parked = false;
		pthread_cond_broadcast(&v->cond);
	}
	keep_running = v->request == VCPU_RUN;
	v->run->immediate_exit = 0;
	pthread_mutex_unlock(&v->lock);
	return keep_running;
}

static void *
vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	char name[16];
	char reason[128];

	snprintf(name, sizeof(name), "vcpu%u", v->id);
	pthread_setname_np(pthread_self(), name);
	while (vcpu_check_request(v)) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			snprintf(reason, sizeof(reason), "vCPU %u: KVM_RUN: %s",
				 v->id, strerror(errno));
			vm_request_exit(v->vm, VM_EXIT_CRASH, reason);
			break;
		}
		v->exits++;
		if (!vcpu_handle_exit(v))
			break;
	}
	if (log_get_level() >= LOG_LVL_DEBUG) {
		struct kvm_regs regs;
		struct kvm_sregs sregs;

		if (!ioctl(v->fd, KVM_GET_REGS, &regs) &&
		    !ioctl(v->fd, KVM_GET_SREGS, &sregs))
			log_debug("vcpu %u: stopped after %llu exits at rip 0x%llx "
				  "cr0 0x%llx cr3 0x%llx rsp 0x%llx",
				  v->id, (unsigned long long)v->exits,
				  (unsigned long long)regs.rip,
				  (unsigned long long)sregs.cr0,
				  (unsigned long long)sregs.cr3,
				  (unsigned long long)regs.rsp);
	}
	/* A stopped vCPU counts as parked, so a pause never waits on it. */
	pthread_mutex_lock(&v->lock);
	v->parked = true;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
	return NULL;
}

int
vcpus_start(struct vm *vm)
{
	struct sigaction sa = { .sa_handler = vcpu_kick_handler };
	unsigned i;
	int ret;

	/* No SA_RESTART: KVM_RUN must come back with EINTR. */
	sigemptyset(&sa.sa_mask);
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL);
	for (i = 0; i < vm->ncpus; i++) {
		ret = pthread_create(&vm->vcpus[i].thread, NULL, vcpu_thread,
				     &vm->vcpus[i]);
		if (ret)
			return -ret;
		vm->vcpus[i].started = true;
	}
	return 0;
}

static void
vcpu_post(struct vcpu *v, enum vcpu_request req)
{
	pthread_mutex_lock(&v->lock);
	v->request = req;
	if (req != VCPU_RUN && v->run)
		v->run->immediate_exit = 1;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
	if (req != VCPU_RUN && v->started)
		pthread_kill(v->thread, VCPU_KICK_SIGNAL);
}

void
vcpus_pause(struct vm *vm)
{
	unsigned i;

	for (i = 0; i < vm->ncpus; i++)
		vcpu_post(&vm->vcpus[i], VCPU_PAUSE);
	for (i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		pthread_mutex_lock(&v->lock);
		while (v->started && !v->parked)
			pthread_cond_wait(&v->cond, &v->lock);
		pthread_mutex_unlock(&v->lock);
	}
}

void
vcpus_resume(struct vm *vm)
{
	unsigned i;

	for (i = 0; i < vm->ncpus; i++)
		vcpu_post(&vm->vcpus[i], VCPU_RUN);
}

bool
vcpus_paused(struct vm *vm)
{
	bool paused;

	pthread_mutex_lock(&vm->vcpus[0].lock);
	paused = vm->vcpus[0].request == VCPU_PAUSE;
	pthread_mutex_unlock(&vm->vcpus[0].lock);
	return paused;
}

void
vcpus_destroy(struct vm *vm)
{
	unsigned i;

	if (!vm->vcpus)
		return;
	for (i = 0; i < vm->ncpus; i++)
		vcpu_post(&vm->vcpus[i], VCPU_STOP);
	for (i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (v->started)
			pthread_join(v->thread, NULL);
		if (v->run)
			munmap(v->run, (size_t)vm->run_size);
		if (v->fd >= 0)
			close(v->fd);
		pthread_mutex_destroy(&v->lock);
		pthread_cond_destroy(&v->cond);
	}
	free(vm->vcpus);
	vm->vcpus = NULL;
}
