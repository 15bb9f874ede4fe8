/* vmd: the daemon. Flags and vmd.conf, the socket (or one passed by
 * systemd), the loop, signals; the rest is in registry/store/supervisor/
 * methods. */
#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "config.h"
#include "dbus.h"
#include "domain.h"
#include "log.h"
#include "util.h"
#include "vmd.h"

#define VMD_DEFAULT_SOCKET "/run/vmd/vmd.sock"
#define VMD_DEFAULT_STATE_DIR "/var/lib/vmd"
#define VMD_DEFAULT_RUN_DIR "/run/vmd"
#define VMD_DEFAULT_CONFIG "/etc/vmd/vmd.conf"

struct vmd_options {
	char *socket_path;
	char *state_dir;
	char *run_dir;
	char *vmm_path;
	const char *config;
	bool config_given;
	bool verbose;
	int dbus;               /* enum vmd_dbus_bus; -1: not set */
};

static void
vmd_usage(FILE *out)
{
	fprintf(out,
"usage: vmd [options]\n"
"The vmd daemon: domain definitions, lifecycle, JSON-RPC on a unix socket.\n"
"\n"
"  --socket PATH     JSON-RPC socket (default " VMD_DEFAULT_SOCKET ")\n"
"  --state-dir DIR   definitions (default " VMD_DEFAULT_STATE_DIR ")\n"
"  --run-dir DIR     live state of running domains (default " VMD_DEFAULT_RUN_DIR ")\n"
"  --config FILE     settings (default " VMD_DEFAULT_CONFIG ", optional)\n"
"  --vmm PATH        the vmd-vm binary (default: next to vmd)\n"
"  --dbus BUS        serve org.vmd1 on the system (default) or session bus,\n"
"                    or none; without a reachable bus vmd runs JSON-RPC only\n"
"  --no-dbus         same as --dbus none (default: $VMD_DBUS, else system)\n"
"  --verbose         debug logging\n"
"  --help, --version\n"
"\n"
"vmd.conf holds \"key = value\" lines for socket, state_dir, run_dir, vmm, dbus.\n"
"Stopping vmd does not stop running VMs; the next vmd takes them back.\n");
}

static int
vmd_set(char **slot, const char *value)
{
	char *s = strdup(value);

	if (!s)
		return -ENOMEM;
	free(*slot);
	*slot = s;
	return 0;
}

/* "key = value" lines; # comments. Flags given on the command line win,
 * so the file is read first and flags override. */
static int
vmd_read_config(struct vmd_options *o)
{
	char line[4096], *key, *value, *end;
	unsigned lineno = 0;
	FILE *f;

	f = fopen(o->config, "re");
	if (!f) {
		if (errno == ENOENT && !o->config_given)
			return 0;
		log_error("--config %s: %s", o->config, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		key = line + strspn(line, " \t");
		if (*key == '#' || *key == '\n' || !*key)
			continue;
		value = strchr(key, '=');
		if (!value) {
			log_error("%s:%u: expected \"key = value\"", o->config, lineno);
			fclose(f);
			return -EINVAL;
		}
		for (end = value; end > key && (end[-1] == ' ' || end[-1] == '\t'); end--)
			;
		*end = '\0';
		value++;
		value += strspn(value, " \t");
		value[strcspn(value, "\r\n")] = '\0';
		if (!strcmp(key, "socket"))
			vmd_set(&o->socket_path, value);
		else if (!strcmp(key, "state_dir"))
			vmd_set(&o->state_dir, value);
		else if (!strcmp(key, "run_dir"))
			vmd_set(&o->run_dir, value);
		else if (!strcmp(key, "vmm"))
			vmd_set(&o->vmm_path, value);
		else if (!strcmp(key, "dbus") && vmd_dbus_bus_parse(value) >= 0)
			o->dbus = vmd_dbus_bus_parse(value);
		else if (!strcmp(key, "dbus")) {
			log_error("%s:%u: dbus = system, session or none, not '%s'",
				  o->config, lineno, value);
			fclose(f);
			return -EINVAL;
		} else {
			log_error("%s:%u: unknown setting '%s' (socket, state_dir, run_dir, vmm, dbus)",
				  o->config, lineno, key);
			fclose(f);
			return -EINVAL;
		}
	}
	fclose(f);
	return 0;
}

static int
vmd_parse_args(int argc, char **argv, struct vmd_options *o)
{
	enum { O_SOCKET = 1, O_STATE, O_RUN, O_CONFIG, O_VMM, O_VERBOSE,
	       O_HELP, O_VERSION, O_DBUS, O_NO_DBUS };
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, O_SOCKET },
		{ "state-dir", required_argument, NULL, O_STATE },
		{ "run-dir", required_argument, NULL, O_RUN },
		{ "config", required_argument, NULL, O_CONFIG },
		{ "vmm", required_argument, NULL, O_VMM },
		{ "verbose", no_argument, NULL, O_VERBOSE },
		{ "dbus", required_argument, NULL, O_DBUS },
		{ "no-dbus", no_argument, NULL, O_NO_DBUS },
		{ "help", no_argument, NULL, O_HELP },
		{ "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	struct vmd_options flags = { .dbus = -1 };
	int c;

	o->config = VMD_DEFAULT_CONFIG;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case O_SOCKET: vmd_set(&flags.socket_path, optarg); break;
		case O_STATE: vmd_set(&flags.state_dir, optarg); break;
		case O_RUN: vmd_set(&flags.run_dir, optarg); break;
		case O_VMM: vmd_set(&flags.vmm_path, optarg); break;
		case O_CONFIG: o->config = optarg; o->config_given = true; break;
		case O_VERBOSE: o->verbose = true; break;
		case O_DBUS:
			flags.dbus = vmd_dbus_bus_parse(optarg);
			if (flags.dbus < 0) {
				fprintf(stderr, "vmd: --dbus system, session or none, not '%s'\n",
					optarg);
				return -EINVAL;
			}
			break;
		case O_NO_DBUS: flags.dbus = VMD_DBUS_NONE; break;
		case O_HELP: vmd_usage(stdout); exit(0);
		case O_VERSION: printf("vmd %s\n", PACKAGE_VERSION); exit(0);
		case ':':
			fprintf(stderr, "vmd: %s needs a value\n", argv[optind - 1]);
			return -EINVAL;
		default:
			fprintf(stderr, "vmd: unknown option '%s' (see --help)\n",
				argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vmd: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (vmd_read_config(o))
		return -EINVAL;
	if (flags.socket_path) vmd_set(&o->socket_path, flags.socket_path);
	if (flags.state_dir) vmd_set(&o->state_dir, flags.state_dir);
	if (flags.run_dir) vmd_set(&o->run_dir, flags.run_dir);
	if (flags.vmm_path) vmd_set(&o->vmm_path, flags.vmm_path);
	if (flags.dbus >= 0) o->dbus = flags.dbus;
	/* $VMD_DBUS (for tests) when neither a flag nor vmd.conf said. */
	if (o->dbus < 0 && getenv("VMD_DBUS"))
		o->dbus = vmd_dbus_bus_parse(getenv("VMD_DBUS"));
	if (o->dbus < 0) o->dbus = VMD_DBUS_SYSTEM;
	free(flags.socket_path);
	free(flags.state_dir);
	free(flags.run_dir);
	free(flags.vmm_path);
	if (!o->socket_path) vmd_set(&o->socket_path, VMD_DEFAULT_SOCKET);
	if (!o->state_dir) vmd_set(&o->state_dir, VMD_DEFAULT_STATE_DIR);
	if (!o->run_dir) vmd_set(&o->run_dir, VMD_DEFAULT_RUN_DIR);
	return 0;
}

/* vmd-vm next to vmd (installed), or in the build tree's devices/. */
static int
vmd_find_vmm(struct vmd_options *o)
{
	static const char *const rel[] = { "vmd-vm", "../devices/vmd-vm" };
	char self[PATH_MAX], dir[PATH_MAX], path[PATH_MAX + 32];
	ssize_t n;
	unsigned i;

	if (o->vmm_path)
		goto check;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		for (i = 0; i < ARRAY_SIZE(rel); i++) {
			util_strlcpy(dir, self, sizeof(dir));
			snprintf(path, sizeof(path), "%s/%s", dirname(dir), rel[i]);
			if (!access(path, X_OK)) {
				vmd_set(&o->vmm_path, path);
				break;
			}
		}
	}
	if (!o->vmm_path)
		vmd_set(&o->vmm_path, BINDIR "/vmd-vm");
check:
	if (access(o->vmm_path, X_OK)) {
		log_error("the monitor %s: %s (set --vmm or vmm= in vmd.conf)",
			  o->vmm_path, strerror(errno));
		return -ENOENT;
	}
	return 0;
}

static int
vmd_mkdir_parents(const char *path, mode_t mode)
{
	char buf[PATH_MAX], *p;

	if (util_strlcpy(buf, path, sizeof(buf)))
		return -ENAMETOOLONG;
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

/* systemd's socket (vmd.socket) when we were activated, else our own. */
static int
vmd_listen(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[PATH_MAX];
	struct group *gr;
	int fd, n;

	n = sd_listen_fds(1);
	if (n == 1 && sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1,
					 NULL, 0) > 0) {
		log_info("using the socket passed by systemd");
		/* systemd passes it blocking and inheritable: libevent accepts
		 * until EAGAIN (a blocking accept would stall the loop), and
		 * vmd-vm children must not hold our listener. */
		if (evutil_make_socket_nonblocking(SD_LISTEN_FDS_START) ||
		    evutil_make_socket_closeonexec(SD_LISTEN_FDS_START))
			log_warn("the socket passed by systemd: %s", strerror(errno));
		return SD_LISTEN_FDS_START;
	}
	if (n > 1)
		log_warn("systemd passed %d sockets; using our own", n);
	if (util_strlcpy(sun.sun_path, path, sizeof(sun.sun_path))) {
		log_error("--socket %s: path too long", path);
		return -1;
	}
	util_strlcpy(dir, path, sizeof(dir));
	vmd_mkdir_parents(dirname(dir), 0755);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	/* A socket nobody listens on is a leftover of a vmd that died. */
	if (!connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		log_error("another vmd is already listening on %s", path);
		close(fd);
		return -1;
	}
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || listen(fd, 64)) {
		log_error("--socket %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	/* Root and the vmd group may call methods (ARCHITECTURE.md). */
	gr = getgrnam("vmd");
	if (gr && chown(path, 0, gr->gr_gid))
		log_warn("chown %s: %s", path, strerror(errno));
	chmod(path, gr ? 0660 : 0600);
	return fd;
}

static void
vmd_on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct vmd *vmd = arg;

	(void)what;
	log_info("%s: stopping (running VMs keep running)", strsignal((int)sig));
	sd_notify(0, "STOPPING=1");
	event_base_loopbreak(vmd->base);
}

static void
vmd_autostart(struct vmd *vmd)
{
	struct vmd_domain *d;
	char err[1024];

	for (d = vmd->domains; d; d = d->next) {
		if (!d->autostart || vmd_domain_active(d))
			continue;
		log_info("%s: autostart", d->def->name);
		if (supervisor_start(d, err, sizeof(err)))
			log_error("%s: autostart failed: %s", d->def->name, err);
	}
}

int
main(int argc, char **argv)
{
	struct vmd_options o = { .dbus = -1 };
	struct vmd vmd = { 0 };
	struct event *sigterm, *sigint;
	struct vmd_domain *d;
	unsigned n = 0;
	int fd, ret = 1;

	log_init("vmd", LOG_LVL_INFO);
	if (vmd_parse_args(argc, argv, &o))
		return 2;
	if (o.verbose)
		log_set_level(LOG_LVL_DEBUG);
	if (vmd_find_vmm(&o))
		return 1;
	signal(SIGPIPE, SIG_IGN);
	vmd.socket_path = o.socket_path;
	vmd.state_dir = o.state_dir;
	vmd.run_dir = o.run_dir;
	vmd.vmm_path = o.vmm_path;
	if (store_init(&vmd) || vmd_mkdir_parents(vmd.run_dir, 0755))
		return 1;
	vmd.base = event_base_new();
	fd = vmd_listen(vmd.socket_path);
	if (!vmd.base || fd < 0)
		return 1;
	vmd.rpc = rpc_server_new(vmd.base, fd, vmd_methods, vmd_nmethods, &vmd);
	sigterm = evsignal_new(vmd.base, SIGTERM, vmd_on_signal, &vmd);
	sigint = evsignal_new(vmd.base, SIGINT, vmd_on_signal, &vmd);
	if (!vmd.rpc || !sigterm || !sigint)
		goto out;
	event_add(sigterm, NULL);
	event_add(sigint, NULL);

	store_load_domains(&vmd);
	supervisor_reattach_all(&vmd);
	vmd_autostart(&vmd);
	/* After the domains are known: the name appears with its objects. */
	vmd_dbus_open(&vmd, (enum vmd_dbus_bus)o.dbus);
	for (d = vmd.domains; d; d = d->next)
		n++;
	log_info("vmd %s ready on %s: %u domain%s defined, monitor %s",
		 PACKAGE_VERSION, vmd.socket_path, n, n == 1 ? "" : "s",
		 vmd.vmm_path);
	sd_notifyf(0, "READY=1\nSTATUS=%u domain%s defined", n, n == 1 ? "" : "s");
	event_base_dispatch(vmd.base);
	ret = 0;
	event_free(sigterm);
	event_free(sigint);
out:
	vmd_dbus_close(vmd.dbus);
	rpc_server_free(vmd.rpc);
	while (vmd.domains)
		vmd_domain_remove(vmd.domains);
	event_base_free(vmd.base);
	free(o.socket_path);
	free(o.state_dir);
	free(o.run_dir);
	free(o.vmm_path);
	return ret;
}
