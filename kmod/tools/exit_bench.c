// SPDX-License-Identifier: GPL-2.0
/*
 * exit_bench: round-trip time of one VM exit on /dev/kvm or /dev/vmm.
 *
 *   gcc -O2 -Wall -Wextra -o exit_bench kmod/tools/exit_bench.c
 *   ./exit_bench [DEV [ITERATIONS]]
 *   ./exit_bench --kind KIND [--runs R] [DEV [ITERATIONS]]
 *
 * KIND (real-mode guest, one vCPU, no irqchip):
 *   io     guest "out" loop: KVM_RUN -> KVM_EXIT_IO -> back to userspace
 *   mmio   guest "mov [unbacked],al" loop: KVM_EXIT_MMIO round trip
 *   hlt    guest "hlt" loop: KVM_EXIT_HLT round trip (no irqchip, so both
 *          devices hand HLT to userspace)
 *   cpuid  guest runs CPUID 20 times per "out": an exit handled in the
 *          kernel; the time is per CPUID (1/20 of an I/O exit included)
 *
 * Without --kind/--runs it prints "DEV: N exits, X.X us per exit" (the
 * mean), as kmod.lab.sh expects.  With them, each run times every KVM_RUN
 * and prints "# DEV KIND run R: ..." and last
 *   "DEV KIND: median M us, min m us, mean a us (R runs x N)"
 * with the median and min over all samples of all runs.  libc only.
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
#define SLOT_SIZE	0x8000	/* 0x8000-0xffff is no slot: MMIO */
#define CODE		0x1000
#define MMIO_ADDR	0x9000
#define CPUID_PER_EXIT	20

struct bench_kind {
	const char *name;
	uint32_t exit_reason;
	unsigned per_exit;	/* guest events per KVM_RUN */
	const uint8_t *code;
	size_t len;
};

/* out %al,$0x80; jmp back to the out */
static const uint8_t code_io[] = { 0xe6, 0x80, 0xeb, 0xfc };
/* mov [0x9000],al; jmp back */
static const uint8_t code_mmio[] = { 0x88, 0x06, 0x00, 0x90, 0xeb, 0xfa };
/* hlt; jmp back */
static const uint8_t code_hlt[] = { 0xf4, 0xeb, 0xfd };
/* mov si,20; 1: xor eax,eax; cpuid; dec si; jnz 1b; out %al,$0x80; jmp start */
static const uint8_t code_cpuid[] = {
	0xbe, CPUID_PER_EXIT, 0x00, 0x66, 0x31, 0xc0, 0x0f, 0xa2, 0x4e, 0x75, 0xf8,
	0xe6, 0x80, 0xeb, 0xf1,
};

static const struct bench_kind bench_kinds[] = {
	{ "io", KVM_EXIT_IO, 1, code_io, sizeof(code_io) },
	{ "mmio", KVM_EXIT_MMIO, 1, code_mmio, sizeof(code_mmio) },
	{ "hlt", KVM_EXIT_HLT, 1, code_hlt, sizeof(code_hlt) },
	{ "cpuid", KVM_EXIT_IO, CPUID_PER_EXIT, code_cpuid, sizeof(code_cpuid) },
};

struct bench_vm {
	int sys, vm, vcpu;
	struct kvm_run *run;
	uint8_t *mem;
};

static void die(const char *what)
{
	fprintf(stderr, "exit_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void bench_create_vm(struct bench_vm *b, const char *dev,
			    const struct bench_kind *k)
{
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int size;

	b->sys = open(dev, O_RDWR | O_CLOEXEC);
	if (b->sys < 0)
		die(dev);
	b->vm = ioctl(b->sys, KVM_CREATE_VM, 0);
	if (b->vm < 0)
		die("KVM_CREATE_VM");
	b->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->mem == MAP_FAILED)
		die("mmap");
	memcpy(b->mem + CODE, k->code, k->len);
	memset(&region, 0, sizeof(region));
	region.memory_size = SLOT_SIZE;
	region.userspace_addr = (uintptr_t)b->mem;
	if (ioctl(b->vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		die("KVM_SET_USER_MEMORY_REGION");
	b->vcpu = ioctl(b->vm, KVM_CREATE_VCPU, 0);
	if (b->vcpu < 0)
		die("KVM_CREATE_VCPU");
	size = ioctl(b->sys, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(*b->run))
		die("KVM_GET_VCPU_MMAP_SIZE");
	b->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, b->vcpu, 0);
	if (b->run == MAP_FAILED)
		die("mmap kvm_run");
	if (ioctl(b->vcpu, KVM_GET_SREGS, &sregs) < 0)
		die("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	sregs.ds.base = 0;
	sregs.ds.selector = 0;
	if (ioctl(b->vcpu, KVM_SET_SREGS, &sregs) < 0)
		die("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE;
	regs.rflags = 2;
	if (ioctl(b->vcpu, KVM_SET_REGS, &regs) < 0)
		die("KVM_SET_REGS");
}

static void bench_destroy_vm(struct bench_vm *b)
{
	close(b->vcpu);
	close(b->vm);
	close(b->sys);
	munmap(b->mem, MEM_SIZE);
}

static void bench_run(struct bench_vm *b, const struct bench_kind *k)
{
	if (ioctl(b->vcpu, KVM_RUN, 0) < 0)
		die("KVM_RUN");
	if (b->run->exit_reason != k->exit_reason) {
		fprintf(stderr, "exit_bench: %s: exit reason %u, expected %u\n",
			k->name, b->run->exit_reason, k->exit_reason);
		exit(1);
	}
}

static double bench_now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of N sorted samples. */
static double bench_median(const double *s, long n)
{
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void bench_usage(FILE *f)
{
	fprintf(f, "usage: exit_bench [--kind io|mmio|hlt|cpuid] [--runs R] [DEV [ITERATIONS]]\n");
}

int main(int argc, char **argv)
{
	const struct bench_kind *k = &bench_kinds[0];
	const char *dev = "/dev/kvm";
	long i, n = 20000, runs = 1, r, samples, all_n = 0;
	int detailed = 0, pos = 0, a;
	double *s, *all, t0, t1, sum;
	struct bench_vm b;
	size_t j;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--kind") && a + 1 < argc) {
			a++;
			for (j = 0; j < sizeof(bench_kinds) / sizeof(bench_kinds[0]); j++)
				if (!strcmp(argv[a], bench_kinds[j].name))
					break;
			if (j == sizeof(bench_kinds) / sizeof(bench_kinds[0])) {
				fprintf(stderr, "exit_bench: unknown kind '%s'\n", argv[a]);
				bench_usage(stderr);
				return 2;
			}
			k = &bench_kinds[j];
			detailed = 1;
		} else if (!strcmp(argv[a], "--runs") && a + 1 < argc) {
			runs = atol(argv[++a]);
			detailed = 1;
		} else if (!strcmp(argv[a], "--help")) {
			bench_usage(stdout);
			return 0;
		} else if (pos == 0) {
			dev = argv[a];
			pos++;
		} else if (pos == 1) {
			n = atol(argv[a]);
			pos++;
		} else {
			bench_usage(stderr);
			return 2;
		}
	}
	if (n < 1 || runs < 1) {
		fprintf(stderr, "exit_bench: ITERATIONS and --runs must be at least 1\n");
		return 2;
	}

	if (!detailed) {
		bench_create_vm(&b, dev, k);
		/* Warm up: the first runs fault in guest memory. */
		for (i = 0; i < 100; i++)
			bench_run(&b, k);
		t0 = bench_now_us();
		for (i = 0; i < n; i++)
			bench_run(&b, k);
		t1 = bench_now_us();
		printf("%s: %ld exits, %.1f us per exit\n", dev, n, (t1 - t0) / n);
		bench_destroy_vm(&b);
		return 0;
	}

	/* One sample per KVM_RUN; a CPUID sample covers per_exit of them. */
	samples = (n + k->per_exit - 1) / k->per_exit;
	s = calloc(samples, sizeof(*s));
	all = calloc(samples * runs, sizeof(*all));
	if (!s || !all)
		die("calloc");
	for (r = 0; r < runs; r++) {
		/* A fresh VM per run, as a monitor would see it. */
		bench_create_vm(&b, dev, k);
		for (i = 0; i < 100; i++)
			bench_run(&b, k);
		sum = 0;
		for (i = 0; i < samples; i++) {
			t0 = bench_now_us();
			bench_run(&b, k);
			t1 = bench_now_us();
			s[i] = (t1 - t0) / k->per_exit;
			sum += s[i];
			all[all_n++] = s[i];
		}
		bench_destroy_vm(&b);
		qsort(s, samples, sizeof(*s), bench_cmp);
		printf("# %s %s run %ld: median %.2f us, min %.2f us, mean %.2f us (%ld samples)\n",
		       dev, k->name, r + 1, bench_median(s, samples), s[0], sum / samples,
		       samples);
	}
	qsort(all, all_n, sizeof(*all), bench_cmp);
	sum = 0;
	for (i = 0; i < all_n; i++)
		sum += all[i];
	printf("%s %s: median %.2f us, min %.2f us, mean %.2f us (%ld runs x %ld)\n",
	       dev, k->name, bench_median(all, all_n), all[0], sum / all_n, runs,
	       samples * k->per_exit);
	free(s);
	free(all);
	return 0;
}
