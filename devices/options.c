#include "options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

enum {
	OPT_KERNEL = 1000, OPT_INITRD, OPT_CMDLINE, OPT_MEMORY, OPT_CPUS,
	OPT_SERIAL, OPT_ACCEL, OPT_CONTROL, OPT_NAME, OPT_ON_REBOOT,
	OPT_HELP, OPT_VERSION, OPT_VERBOSE, OPT_STATUS_FILE, OPT_DISK, OPT_RNG,
	OPT_CONSOLE, OPT_NET, OPT_MAC, OPT_BALLOON, OPT_SPICE, OPT_VGA,
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
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "rng", no_argument, NULL, OPT_RNG },
	{ "console", required_argument, NULL, OPT_CONSOLE },
	{ "net", required_argument, NULL, OPT_NET },
	{ "mac", required_argument, NULL, OPT_MAC },
	{ "balloon", no_argument, NULL, OPT_BALLOON },
	{ "spice", required_argument, NULL, OPT_SPICE },
	{ "vga", required_argument, NULL, OPT_VGA },
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
"  --disk PATH[,readonly][,cache=none|writeback][,serial=S]\n"
"                       a virtio-blk disk on a raw image (repeatable, up to %d)\n"
"  --rng                a virtio-rng device (entropy from the host)\n"
"  --console SPEC       a virtio-console (hvc0): stdio, file=PATH, unix=PATH, pty\n"
"  --net user[,hostfwd=tcp:[ADDR:]HOSTPORT-:GUESTPORT]...\n"
"                       virtio-net on user-mode networking (libslirp):\n"
"                       guest 10.0.2.15, host 10.0.2.2, DNS 10.0.2.3\n"
"  --net tap=NAME       virtio-net on an existing TAP interface\n"
"  --mac XX:XX:XX:XX:XX:XX\n"
"                       the network card's address (default 52:54:00:12:34:56)\n"
"  --balloon            a virtio-balloon (control: balloon, balloon-stats)\n"
"  --spice port=N[,addr=A][,password=P][,password-file=PATH][,disable-ticketing]\n"
"  --spice unix=PATH[,password=P][,password-file=PATH][,disable-ticketing]\n"
"                       a SPICE server for the display, keyboard and tablet\n"
"                       (virtio-input): TCP on A (default 127.0.0.1) port N,\n"
"                       or a unix socket. A password turns ticketing on;\n"
"                       password-file reads it from the file's first line\n"
"                       (keeps it off the command line). Without a password\n"
"                       anyone who reaches the socket gets the console\n"
"                       (disable-ticketing says that is meant)\n"
"  --vga bochs|none     display adapter: the Bochs/QEMU standard VGA (PCI\n"
"                       1234:1111, 16 MiB framebuffer) or none (default:\n"
"                       bochs with --spice, else none)\n"
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
		prog, VM_MAX_CPUS, VM_MAX_DISKS);
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

static int
options_parse_disk(const char *arg, struct vm_config *cfg, char *err,
		   unsigned errlen)
{
	struct vm_disk_config *d;
	char buf[4096 + 128], *opt, *save = NULL;

	if (cfg->ndisks >= VM_MAX_DISKS)
		return options_error(err, errlen, "--disk: at most %d disks",
				     VM_MAX_DISKS);
	if (util_strlcpy(buf, arg, sizeof(buf)) < 0 || !buf[0] || buf[0] == ',')
		return options_error(err, errlen,
			"--disk: '%s' is not PATH[,readonly][,cache=none|writeback][,serial=S]",
			arg);
	d = &cfg->disks[cfg->ndisks];
	memset(d, 0, sizeof(*d));
	opt = strtok_r(buf, ",", &save);
	if (util_strlcpy(d->path, opt, sizeof(d->path)) < 0)
		return options_error(err, errlen, "--disk: path too long");
	while ((opt = strtok_r(NULL, ",", &save))) {
		if (!strcmp(opt, "readonly") || !strcmp(opt, "ro"))
			d->readonly = true;
		else if (!strcmp(opt, "cache=none"))
			d->cache = VM_DISK_CACHE_NONE;
		else if (!strcmp(opt, "cache=writeback"))
			d->cache = VM_DISK_CACHE_WRITEBACK;
		else if (!strncmp(opt, "serial=", 7)) {
			if (strlen(opt + 7) > VM_DISK_SERIAL_LEN)
				return options_error(err, errlen,
					"--disk: serial '%s' is longer than %d characters",
					opt + 7, VM_DISK_SERIAL_LEN);
			util_strlcpy(d->serial, opt + 7, sizeof(d->serial));
		} else
			return options_error(err, errlen,
				"--disk: unknown option '%s' (readonly, cache=none|writeback, serial=S)",
				opt);
	}
	cfg->ndisks++;
	return 0;
}

/* tcp:[ADDR:]HOSTPORT-[:]GUESTPORT */
static int
options_parse_hostfwd(const char *spec, struct vm_net_config *net)
{
	char buf[128], *dash, *hp, *gp, *colon, *end;
	unsigned long host, guest;
	struct in_addr a = { htonl(INADDR_LOOPBACK) };

	if (net->nfwd >= VM_MAX_HOSTFWD || strncmp(spec, "tcp:", 4) ||
	    util_strlcpy(buf, spec + 4, sizeof(buf)) < 0)
		return -1;
	dash = strchr(buf, '-');
	if (!dash)
		return -1;
	*dash = '\0';
	hp = buf;
	colon = strrchr(hp, ':');
	if (colon) {
		*colon = '\0';
		if (*hp && !inet_aton(hp, &a))
			return -1;
		hp = colon + 1;
	}
	gp = dash + 1;
	if (*gp == ':')
		gp++;
	errno = 0;
	host = strtoul(hp, &end, 10);
	if (!*hp || *end || !host || host > 65535)
		return -1;
	guest = strtoul(gp, &end, 10);
	if (!*gp || *end || !guest || guest > 65535)
		return -1;
	net->fwd[net->nfwd].host_addr = a.s_addr;
	net->fwd[net->nfwd].host_port = (uint16_t)host;
	net->fwd[net->nfwd].guest_port = (uint16_t)guest;
	net->nfwd++;
	return 0;
}

static int
options_parse_net(const char *arg, struct vm_config *cfg, char *err,
		  unsigned errlen)
{
	struct vm_net_config *net = &cfg->net;
	char buf[1024], *opt, *save = NULL;

	if (net->mode != VM_NET_NONE)
		return options_error(err, errlen, "--net: only one network card");
	if (!strncmp(arg, "tap=", 4)) {
		if (!arg[4] || util_strlcpy(net->tap, arg + 4, sizeof(net->tap)) < 0)
			return options_error(err, errlen,
				"--net: '%s' is not tap=NAME (at most 15 characters)",
				arg);
		net->mode = VM_NET_TAP;
		return 0;
	}
	if (util_strlcpy(buf, arg, sizeof(buf)) < 0)
		return options_error(err, errlen, "--net: too long");
	opt = strtok_r(buf, ",", &save);
	if (!opt || strcmp(opt, "user"))
		return options_error(err, errlen,
			"--net: '%s' is not user[,hostfwd=...] or tap=NAME", arg);
	while ((opt = strtok_r(NULL, ",", &save))) {
		if (strncmp(opt, "hostfwd=", 8) ||
		    options_parse_hostfwd(opt + 8, net))
			return options_error(err, errlen,
				"--net: '%s' is not hostfwd=tcp:[ADDR:]HOSTPORT-:GUESTPORT (at most %d)",
				opt, VM_MAX_HOSTFWD);
	}
	net->mode = VM_NET_USER;
	return 0;
}

static int
options_parse_mac(const char *arg, struct vm_net_config *net)
{
	unsigned m[6], i;
	char extra;

	if (sscanf(arg, "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0], &m[1], &m[2],
		   &m[3], &m[4], &m[5], &extra) != 6 || strlen(arg) != 17)
		return -1;
	/* A multicast address cannot be a card's. */
	if (m[0] & 1)
		return -1;
	for (i = 0; i < 6; i++)
		net->mac[i] = (uint8_t)m[i];
	net->mac_set = true;
	return 0;
}

/* The first line of path, without its line end. */
static int
options_read_password(const char *path, char *out, size_t size, char *err,
		      unsigned errlen)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return options_error(err, errlen,
			"--spice: password-file %s: %s", path, strerror(errno));
	if (!fgets(out, (int)size, f)) {
		fclose(f);
		return options_error(err, errlen,
			"--spice: password-file %s is empty", path);
	}
	fclose(f);
	n = strcspn(out, "\r\n");
	if (n == size - 1 && out[n] != '\0')
		return options_error(err, errlen,
			"--spice: password in %s is longer than %d characters",
			path, VM_SPICE_PASSWORD_MAX - 1);
	out[n] = '\0';
	if (!n)
		return options_error(err, errlen,
			"--spice: password-file %s has an empty first line", path);
	return 0;
}

static int
options_parse_spice(const char *arg, struct vm_spice_config *sp, char *err,
		    unsigned errlen)
{
	char buf[4096 + 512], *opt, *save = NULL;
	bool have_port = false, have_pw = false;
	uint64_t v;

	if (sp->enabled)
		return options_error(err, errlen, "--spice: given twice");
	if (util_strlcpy(buf, arg, sizeof(buf)) < 0)
		return options_error(err, errlen, "--spice: too long");
	memset(sp, 0, sizeof(*sp));
	util_strlcpy(sp->addr, "127.0.0.1", sizeof(sp->addr));
	for (opt = strtok_r(buf, ",", &save); opt;
	     opt = strtok_r(NULL, ",", &save)) {
		if (!strncmp(opt, "port=", 5)) {
			if (util_parse_uint(opt + 5, 1, 65535, &v))
				return options_error(err, errlen,
					"--spice: port '%s' is not a number from 1 to 65535",
					opt + 5);
			sp->port = (uint16_t)v;
			have_port = true;
		} else if (!strncmp(opt, "addr=", 5)) {
			if (!opt[5] || util_strlcpy(sp->addr, opt + 5,
						    sizeof(sp->addr)) < 0)
				return options_error(err, errlen,
					"--spice: '%s' is not addr=HOST", opt);
		} else if (!strncmp(opt, "unix=", 5)) {
			if (!opt[5] || util_strlcpy(sp->unix_path, opt + 5,
						    sizeof(sp->unix_path)) < 0)
				return options_error(err, errlen,
					"--spice: '%s' is not unix=PATH (at most %zu characters)",
					opt, sizeof(sp->unix_path) - 1);
		} else if (!strncmp(opt, "password=", 9)) {
			if (have_pw || !opt[9] ||
			    util_strlcpy(sp->password, opt + 9,
					 sizeof(sp->password)) < 0)
				return options_error(err, errlen,
					"--spice: password must be given once, 1 to %d characters",
					VM_SPICE_PASSWORD_MAX - 1);
			have_pw = true;
		} else if (!strncmp(opt, "password-file=", 14)) {
			if (have_pw)
				return options_error(err, errlen,
					"--spice: password given twice (password= or password-file=)");
			if (options_read_password(opt + 14, sp->password,
						  sizeof(sp->password), err,
						  errlen))
				return -EINVAL;
			have_pw = true;
		} else if (!strcmp(opt, "disable-ticketing")) {
			sp->disable_ticketing = true;
		} else {
			return options_error(err, errlen,
				"--spice: unknown option '%s' (port=, addr=, unix=, password=, password-file=, disable-ticketing)",
				opt);
		}
	}
	if (have_port == !!sp->unix_path[0])
		return options_error(err, errlen,
			"--spice: give either port=N or unix=PATH");
	if (sp->disable_ticketing && have_pw)
		return options_error(err, errlen,
			"--spice: disable-ticketing and a password contradict each other");
	sp->enabled = true;
	return 0;
}

int
options_parse(int argc, char **argv, struct vm_config *cfg, char *err,
	      unsigned errlen)
{
	int vga = -1;
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
		case OPT_RNG: cfg->rng = true; break;
		case OPT_BALLOON: cfg->balloon = true; break;
		case OPT_CONSOLE: cfg->console = optarg; break;
		case OPT_DISK:
			if (options_parse_disk(optarg, cfg, err, errlen))
				return -EINVAL;
			break;
		case OPT_NET:
			if (options_parse_net(optarg, cfg, err, errlen))
				return -EINVAL;
			break;
		case OPT_SPICE:
			if (options_parse_spice(optarg, &cfg->spice, err, errlen))
				return -EINVAL;
			break;
		case OPT_VGA:
			if (!strcmp(optarg, "bochs"))
				vga = VM_VGA_BOCHS;
			else if (!strcmp(optarg, "none"))
				vga = VM_VGA_NONE;
			else
				return options_error(err, errlen,
					"--vga: '%s' is not bochs or none", optarg);
			break;
		case OPT_MAC:
			if (options_parse_mac(optarg, &cfg->net))
				return options_error(err, errlen,
					"--mac: '%s' is not a unicast XX:XX:XX:XX:XX:XX",
					optarg);
			break;
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
	cfg->vga = vga >= 0 ? (enum vm_vga)vga :
		   cfg->spice.enabled ? VM_VGA_BOCHS : VM_VGA_NONE;
	if (!cfg->kernel)
		return options_error(err, errlen,
			"--kernel is required (see --help)");
	if (cfg->console && !strcmp(cfg->console, "stdio") &&
	    !strcmp(cfg->serial, "stdio"))
		return options_error(err, errlen,
			"--console stdio: the serial port has stdio already (give it --serial file=PATH or unix=PATH)");
	return 0;
}
