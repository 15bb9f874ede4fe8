// SPDX-License-Identifier: GPL-2.0
/*
 * exit_bench: round-trip time of one port-I/O exit (KVM_RUN -> guest "out"
 * -> KVM_EXIT_IO -> back to userspace) on /dev/kvm or /dev/vmm.
 *
 *   gcc -O2 -Wall -Wextra -o exit_bench kmod/tools/exit_bench.c
 *   ./exit_bench [DEV [ITERATIONS]]
 *
 * Prints "DEV: N exits, X.X us per exit".  libc only.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MEM_SIZE	0x10000
#define CODE		0x1000

static void die(const char *what)
{
	fprintf(stderr, "exit_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

int main(int argc, char **argv)
{
	/* out %al,$0x80; jmp back to the out */
	static const uint8_t code[] = { 0xe6, 0x80, 0xeb, 0xfc };
	const char *dev = argc > 1 ? argv[1] : "/dev/kvm";
	long i, n = argc > 2 ? atol(argv[2]) : 20000;
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct timespec t0, t1;
	struct kvm_run *run;
	int sys, vm, vcpu, size;
	uint8_t *mem;
	double us;

	sys = open(dev, O_RDWR | O_CLOEXEC);
	if (sys < 0)
		die(dev);
	vm = ioctl(sys, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	memcpy(mem + CODE, code, sizeof(code));
	memset(&region, 0, sizeof(region));
	region.memory_size = MEM_SIZE;
	region.userspace_addr = (uintptr_t)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		die("KVM_SET_USER_MEMORY_REGION");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU");
	size = ioctl(sys, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(*run))
		die("KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run");
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		die("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		die("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE;
	regs.rflags = 2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		die("KVM_SET_REGS");

	/* Warm up: the first runs fault in guest memory. */
	for (i = 0; i < 100; i++)
		if (ioctl(vcpu, KVM_RUN, 0) < 0)
			die("KVM_RUN");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0)
			die("KVM_RUN");
		if (run->exit_reason != KVM_EXIT_IO) {
			fprintf(stderr, "exit_bench: exit reason %u, expected IO\n",
				run->exit_reason);
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	us = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e3;
	printf("%s: %ld exits, %.1f us per exit\n", dev, n, us / n);
	return 0;
}
