/* The CPUID table a vCPU shows its guest: what the hypervisor supports,
 * plus topology, the hypervisor bit and our own signature. */
#ifndef VMD_DEVICES_CPUID_H
#define VMD_DEVICES_CPUID_H

struct vm;
struct kvm_cpuid2;

/* The host hypervisor's supported table, fetched once. */
struct kvm_cpuid2 *cpuid_get_supported(struct vm *vm);
/* Sets the table for vCPU id on fd from the supported one. */
int cpuid_setup_vcpu(struct vm *vm, const struct kvm_cpuid2 *supported,
		     unsigned id, int fd);

#endif
