// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-raw-test: run the raw-ioctl cases against a KVM-compatible device and
 * print TAP.  Exit status 0 only if every selected case passed (or skipped).
 *
 *   kvm-raw-test [--dev PATH] [--timeout SEC] [-v] [--list] [CASE...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_cases.h"

static const struct kvmt_case kvm_cases[] = {
#define KVM_CASE_ENTRY(name, summary) { #name, kvm_test_##name },
	KVM_CASES(KVM_CASE_ENTRY)
#undef KVM_CASE_ENTRY
};

static const char *const kvm_summaries[] = {
#define KVM_CASE_SUMMARY(name, summary) summary,
	KVM_CASES(KVM_CASE_SUMMARY)
#undef KVM_CASE_SUMMARY
};

#define NR_CASES (sizeof(kvm_cases) / sizeof(kvm_cases[0]))

static void main_print_usage(FILE *f)
{
	fprintf(f, "usage: kvm-raw-test [--dev PATH] [--timeout SEC] [-v] "
		"[--list] [CASE...]\n"
		"  --dev PATH     KVM-compatible device (default /dev/kvm)\n"
		"  --timeout SEC  longest a single KVM_RUN may take (default 10)\n"
		"  -v             print every exit as a TAP comment\n"
		"  --list         list the cases and exit\n");
}

static int main_find_case(const char *name)
{
	size_t i;

	for (i = 0; i < NR_CASES; i++)
		if (!strcmp(kvm_cases[i].name, name))
			return i;
	return -1;
}

int main(int argc, char **argv)
{
	struct kvmt_ctx ctx = { .dev = "/dev/kvm", .timeout = 10 };
	unsigned char selected[NR_CASES];
	int i, nsel = 0, failed = 0, planned = 0, n = 0;
	enum kvmt_result res;
	size_t c;

	memset(selected, 0, sizeof(selected));
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dev") && i + 1 < argc) {
			ctx.dev = argv[++i];
		} else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			ctx.timeout = strtoul(argv[++i], NULL, 0);
			if (!ctx.timeout)
				ctx.timeout = 1;
		} else if (!strcmp(argv[i], "-v")) {
			ctx.verbose = 1;
		} else if (!strcmp(argv[i], "--list")) {
			for (c = 0; c < NR_CASES; c++)
				printf("%-20s %s\n", kvm_cases[c].name,
				       kvm_summaries[c]);
			return 0;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			main_print_usage(stdout);
			return 0;
		} else if (argv[i][0] != '-' && main_find_case(argv[i]) >= 0) {
			selected[main_find_case(argv[i])] = 1;
			nsel++;
		} else {
			fprintf(stderr, "kvm-raw-test: unknown argument '%s'\n",
				argv[i]);
			main_print_usage(stderr);
			return 2;
		}
	}
	for (c = 0; c < NR_CASES; c++)
		if (!nsel || selected[c])
			planned++;

	/* Line-buffered so a hang inside KVM_RUN still shows how far we got. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	kvmt_init_watchdog();
	printf("1..%d\n# device %s\n", planned, ctx.dev);
	for (c = 0; c < NR_CASES; c++) {
		if (nsel && !selected[c])
			continue;
		n++;
		ctx.msg[0] = '\0';
		res = kvm_cases[c].fn(&ctx);
		if (res == KVMT_PASS)
			printf("ok %d - %s\n", n, kvm_cases[c].name);
		else if (res == KVMT_SKIP)
			printf("ok %d - %s # SKIP %s\n", n, kvm_cases[c].name,
			       ctx.msg);
		else {
			printf("not ok %d - %s: %s\n", n, kvm_cases[c].name,
			       ctx.msg[0] ? ctx.msg : "(no message)");
			failed++;
		}
	}
	if (failed)
		printf("# %d of %d failed\n", failed, planned);
	return failed ? 1 : 0;
}
