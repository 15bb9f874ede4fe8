#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

enum {
	OPT_KERNEL = 1000, OPT_INITRD, OPT_CMDLINE, OPT_MEMORY, OPT_CPUS,
	OPT_SERIAL, OPT_ACCEL, OPT_CONTROL, OPT_NAME, OPT_ON_REBOOT,
	OPT_HELP, OPT_VERSION, OPT_VERBOSE, OPT_STATUS_FILE,
};

static const struct option options_long[] = {
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "cmdline", required_argument, NULL, OPT_CMDLINE },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "accel", required_argument, NULL, OPT_ACCEL },
	{ "control", required_argument, NULL, OPT_CONTROL },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "on-reboot", required_argument, NULL, OPT_ON_REBOOT },
	{ "status-file", required_argument, NULL, OPT_STATUS_FILE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ NULL, 0, NULL, 0 },
};

void
options_usage(FILE *out, const char *prog)
{
	fprintf(out,
"usage: %s --kernel PATH [options]\n"
"Run one virtual machine on KVM (/dev/kvm) or vmm.ko (/dev/vmm).\n"
"\n"
"  --kernel PATH        Linux bzImage to boot (required)\n"
"  --initrd PATH        initramfs to load\n"
"  --cmdline STR        kernel command line (default: \"console=ttyS0\")\n"
"  --memory SIZE        guest RAM, e.g. 256M, 2G (default: 256M)\n"
"  --cpus N             virtual CPUs, 1-%d (default: 1)\n"
"  --serial SPEC        COM1 back-end: stdio, file=PATH, unix=PATH, pty\n"
"                       (default: stdio)\n"
"  --accel kvm|vmm      hypervisor device: /dev/kvm or /dev/vmm (default: kvm)\n"
"  --control unix=PATH  JSON-lines control socket (status, pause, resume,\n"
"                       powerdown, reset, quit)\n"
"  --name NAME          VM name, for logs\n"
"  --on-reboot restart|exit\n"
"                       a guest reboot restarts in place (default), or ends\n"
"                       the monitor with status 3\n"
"  --status-file PATH   write \"STATUS REASON\" there when the monitor ends\n"
"                       (how vmd learns why a VM it reattached to ended)\n"
"  --verbose            debug logging\n"
"  --help, --version\n"
"\n"
"Exit status: 0 guest powered off, 1 start-up error, 2 bad command line,\n"
"3 guest reboot (with --on-reboot exit), 4 guest crash or internal error.\n",
		prog, VM_MAX_CPUS);
}

static int
options_error(char *err, unsigned errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int
options_parse(int argc, char **argv, struct vm_config *cfg, char *err,
	      unsigned errlen)
{
	uint64_t v;
	int c;

	memset(cfg, 0, sizeof(*cfg));
	cfg->memory = 256ull << 20;
	cfg->cpus = 1;
	cfg->serial = "stdio";
	cfg->cmdline = "console=ttyS0";
	cfg->name = "vm";
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", options_long, NULL)) != -1) {
		switch (c) {
		case OPT_KERNEL: cfg->kernel = optarg; break;
		case OPT_INITRD: cfg->initrd = optarg; break;
		case OPT_CMDLINE: cfg->cmdline = optarg; break;
		case OPT_SERIAL: cfg->serial = optarg; break;
		case OPT_NAME: cfg->name = optarg; break;
		case OPT_MEMORY:
			if (util_parse_size(optarg, &v) || v % 4096)
				return options_error(err, errlen,
					"--memory: '%s' is not a size (examples: 256M, 2G)",
					optarg);
			if (v < VM_MIN_MEMORY || v > VM_MAX_MEMORY)
				return options_error(err, errlen,
					"--memory: %s is out of range (16M to 1T)",
					optarg);
			cfg->memory = v;
			break;
		case OPT_CPUS:
			if (util_parse_uint(optarg, 1, VM_MAX_CPUS, &v))
				return options_error(err, errlen,
					"--cpus: '%s' is not a number from 1 to %d",
					optarg, VM_MAX_CPUS);
			cfg->cpus = (unsigned)v;
			break;
		case OPT_ACCEL:
			if (strcmp(optarg, "kvm") && strcmp(optarg, "vmm"))
				return options_error(err, errlen,
					"--accel: '%s' is not kvm or vmm", optarg);
			cfg->accel = optarg;
			break;
		case OPT_CONTROL:
			if (strncmp(optarg, "unix=", 5) || !optarg[5])
				return options_error(err, errlen,
					"--control: '%s' is not unix=PATH", optarg);
			cfg->control = optarg + 5;
			break;
		case OPT_ON_REBOOT:
			if (!strcmp(optarg, "restart"))
				cfg->on_reboot = VM_ON_REBOOT_RESTART;
			else if (!strcmp(optarg, "exit"))
				cfg->on_reboot = VM_ON_REBOOT_EXIT;
			else
				return options_error(err, errlen,
					"--on-reboot: '%s' is not restart or exit",
					optarg);
			break;
		case OPT_STATUS_FILE: cfg->status_file = optarg; break;
		case OPT_HELP: cfg->help = true; return 0;
		case OPT_VERSION: cfg->version = true; return 0;
		case OPT_VERBOSE: cfg->verbose = true; break;
		case ':':
			return options_error(err, errlen, "%s needs a value",
					     argv[optind - 1]);
		default:
			return options_error(err, errlen,
				"unknown option '%s' (see --help)",
				argv[optind - 1]);
		}
	}
	if (optind < argc)
		return options_error(err, errlen,
			"unexpected argument '%s' (see --help)", argv[optind]);
	if (!cfg->kernel)
		return options_error(err, errlen,
			"--kernel is required (see --help)");
	return 0;
}
