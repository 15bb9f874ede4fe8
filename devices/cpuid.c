#include "cpuid.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "log.h"
#include "vm.h"

#define CPUID_HYPERVISOR_BASE 0x40000000u
/* KVM's own leaves move up one block so that the first block can carry our
 * name; Linux scans every 0x100 block for "KVMKVMKVM" and still finds the
 * paravirtual clock and friends. */
#define CPUID_KVM_BASE 0x40000100u
#define CPUID_MAX_ENTRIES 256

static const char cpuid_signature[12] = "VMDVMDVMDVMD";

struct kvm_cpuid2 *
cpuid_get_supported(struct vm *vm)
{
	struct kvm_cpuid2 *c;

	c = calloc(1, sizeof(*c) + CPUID_MAX_ENTRIES * sizeof(c->entries[0]));
	if (!c)
		return NULL;
	c->nent = CPUID_MAX_ENTRIES;
	if (ioctl(vm->sys_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		log_error("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		free(c);
		return NULL;
	}
	return c;
}

static unsigned
cpuid_bits_for(unsigned n)
{
	unsigned bits = 0;

	while ((1u << bits) < n)
		bits++;
	return bits;
}

static void
cpuid_patch_entry(struct vm *vm, unsigned id, struct kvm_cpuid_entry2 *e)
{
	unsigned n = vm->ncpus;

	switch (e->function) {
	case 1:
		/* APIC id, logical processor count, CLFLUSH line size of 64. */
		e->ebx = (id << 24) | ((n & 0xff) << 16) | (8 << 8);
		e->ecx |= 1u << 31; /* running under a hypervisor */
		if (n > 1)
			e->edx |= 1u << 28; /* HTT: the count above is valid */
		break;
	case 0xb:
	case 0x1f:
		/* One thread per core, all cores in one package. */
		e->edx = id;
		if (e->index == 0) {
			e->eax = 0;
			e->ebx = 1;
			e->ecx = 1u << 8;
		} else if (e->index == 1) {
			e->eax = cpuid_bits_for(n);
			e->ebx = n;
			e->ecx = (2u << 8) | 1;
		} else {
			e->eax = e->ebx = 0;
			e->ecx = e->index;
		}
		break;
	case 0x80000008:
		e->ecx = (e->ecx & ~0xf0ffu) | (n - 1) |
			 (cpuid_bits_for(n) << 12);
		break;
	case 0x8000001e:
		e->eax = id;
		e->ebx = id; /* core id, one thread per core */
		e->ecx = 0;
		break;
	}
}

int
cpuid_setup_vcpu(struct vm *vm, const struct kvm_cpuid2 *supported,
		 unsigned id, int fd)
{
	struct kvm_cpuid2 *c;
	struct kvm_cpuid_entry2 *e;
	size_t size = sizeof(*c) + (supported->nent + 1) * sizeof(c->entries[0]);
	unsigned i;
	int ret = 0;

	c = calloc(1, size);
	if (!c)
		return -ENOMEM;
	for (i = 0; i < supported->nent; i++) {
		e = &c->entries[c->nent];
		*e = supported->entries[i];
		if (e->function >= CPUID_HYPERVISOR_BASE &&
		    e->function < CPUID_HYPERVISOR_BASE + 0x100) {
			e->function += CPUID_KVM_BASE - CPUID_HYPERVISOR_BASE;
			if (e->function == CPUID_KVM_BASE)
				e->eax += CPUID_KVM_BASE - CPUID_HYPERVISOR_BASE;
		}
		cpuid_patch_entry(vm, id, e);
		c->nent++;
	}
	e = &c->entries[c->nent++];
	memset(e, 0, sizeof(*e));
	e->function = CPUID_HYPERVISOR_BASE;
	e->eax = CPUID_HYPERVISOR_BASE; /* no further leaves in our block */
	memcpy(&e->ebx, cpuid_signature, 4);
	memcpy(&e->ecx, cpuid_signature + 4, 4);
	memcpy(&e->edx, cpuid_signature + 8, 4);

	if (ioctl(fd, KVM_SET_CPUID2, c) < 0) {
		ret = -errno;
		log_error("vcpu %u: KVM_SET_CPUID2: %s", id, strerror(errno));
	}
	free(c);
	return ret;
}
