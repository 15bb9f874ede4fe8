// SPDX-License-Identifier: GPL-2.0
/*
 * kvmclock: the paravirtual clock (MSR_KVM_SYSTEM_TIME_NEW and
 * MSR_KVM_WALL_CLOCK_NEW, pvclock structures in guest memory).
 *
 * Why: without a PIT or HPET a Linux guest can calibrate its TSC only
 * against the ACPI PM timer, whose every read is an exit to userspace --
 * far longer than the calibration's SMI threshold, so it gives up and runs
 * without a TSC.  kvmclock tells the guest the TSC frequency and a clock.
 *
 * The guest's TSC is the host's plus the vCPU's offset, so guest time =
 * system_time + (guest_tsc - tsc_timestamp) scaled by tsc_khz.  We refresh
 * the structure at each KVM_RUN; PVCLOCK_TSC_STABLE_BIT is not set, so the
 * guest keeps its clock monotonic across refreshes itself.
 */
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/sched.h>
#include <linux/timekeeping.h>
#include <asm/pvclock-abi.h>
#include <asm/kvm_para.h>
#include <asm/tsc.h>

#include "vmm.h"

/* ns = ((tsc_delta << shift) * mul) >> 32, as pvclock defines it. */
static void kvmclock_scale(u32 *mul, s8 *shift)
{
	u64 hz = (u64)tsc_khz * 1000;
	s8 s = 0;

	while (hz > 2 * NSEC_PER_SEC) {
		hz >>= 1;
		s--;
	}
	while (hz && hz <= NSEC_PER_SEC) {
		hz <<= 1;
		s++;
	}
	*shift = s;
	*mul = hz ? div64_u64((u64)NSEC_PER_SEC << 32, hz) : 0;
}

void vmm_kvmclock_update(struct vmm_vcpu *vcpu)
{
	struct pvclock_vcpu_time_info ti;
	u64 gpa = vcpu->pvclock_msr & ~1ull;
	u64 host_ns, tsc;

	if (!(vcpu->pvclock_msr & 1) || !tsc_khz)
		return;
	memset(&ti, 0, sizeof(ti));
	preempt_disable();
	host_ns = ktime_get_boottime_ns();
	tsc = vmm_vendor->guest_tsc(vcpu);
	preempt_enable();
	ti.tsc_timestamp = tsc;
	ti.system_time = host_ns - vcpu->vm->kvmclock_base;
	kvmclock_scale(&ti.tsc_to_system_mul, &ti.tsc_shift);

	/* Odd version while the guest must not trust the contents. */
	vcpu->pvclock_version += 2;
	ti.version = vcpu->pvclock_version - 1;
	if (vmm_write_gpa(vcpu->vm, gpa, &ti.version, sizeof(ti.version)))
		return;
	smp_wmb();
	vmm_write_gpa(vcpu->vm, gpa, &ti, sizeof(ti));
	smp_wmb();
	ti.version = vcpu->pvclock_version;
	vmm_write_gpa(vcpu->vm, gpa, &ti.version, sizeof(ti.version));
}

/* The wall-clock time at which kvmclock's system_time was 0. */
static void kvmclock_write_wall(struct vmm_vcpu *vcpu, u64 gpa)
{
	struct pvclock_wall_clock wc;
	struct timespec64 ts;
	u64 boot_ns;

	boot_ns = ktime_get_real_ns() -
		  (ktime_get_boottime_ns() - vcpu->vm->kvmclock_base);
	ts = ns_to_timespec64(boot_ns);
	memset(&wc, 0, sizeof(wc));
	wc.version = 2;
	wc.sec = ts.tv_sec;
	wc.nsec = ts.tv_nsec;
	vmm_write_gpa(vcpu->vm, gpa, &wc, sizeof(wc));
}

/* 0 if index is a kvmclock MSR and data is acceptable, else -EINVAL. */
int vmm_kvmclock_set_msr(struct vmm_vcpu *vcpu, u32 index, u64 data)
{
	switch (index) {
	case MSR_KVM_SYSTEM_TIME_NEW:
		/* The 32-byte structure must not cross a page. */
		if ((data & 1) && ((data & ~PAGE_MASK) & ~1ull) > PAGE_SIZE - 32)
			return -EINVAL;
		vcpu->pvclock_msr = data;
		vmm_kvmclock_update(vcpu);
		return 0;
	case MSR_KVM_WALL_CLOCK_NEW:
		vcpu->wall_clock_msr = data;
		if ((data & ~PAGE_MASK) <= PAGE_SIZE - 12)
			kvmclock_write_wall(vcpu, data);
		return 0;
	}
	return -EINVAL;
}

bool vmm_kvmclock_get_msr(struct vmm_vcpu *vcpu, u32 index, u64 *data)
{
	switch (index) {
	case MSR_KVM_SYSTEM_TIME_NEW:
		*data = vcpu->pvclock_msr;
		return true;
	case MSR_KVM_WALL_CLOCK_NEW:
		*data = vcpu->wall_clock_msr;
		return true;
	}
	return false;
}
