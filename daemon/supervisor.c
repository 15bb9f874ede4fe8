/* vmd-vm processes: start one per running domain, talk to its control
 * socket, notice when it ends (pidfd), apply on_poweroff/on_reboot/on_crash,
 * and take running ones back after vmd itself restarts.
 *
 * Live state of a domain lives in <run_dir>/<name>/: pid, control.sock,
 * console.sock, status (written by vmd-vm as it ends) and log (its stderr). */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "domain.h"
#include "log.h"
#include "util.h"
#include "vmd.h"

/* vmd-vm's exit statuses (devices/vm.h). */
#define VMM_EXIT_POWEROFF 0
#define VMM_EXIT_ERROR 1
#define VMM_EXIT_USAGE 2
#define VMM_EXIT_REBOOT 3
#define VMM_EXIT_CRASH 4

#define START_POLL_MS 50
#define START_TIMEOUT_POLLS 400   /* 20 s for the control socket to answer */
#define DESTROY_GRACE_S 5         /* after "quit", before SIGKILL */
#define CONTROL_TIMEOUT_S 10

static void supervisor_start_poll(evutil_socket_t fd, short what, void *arg);

int
supervisor_path(const struct vmd *vmd, const char *name, const char *file,
		char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%s%s%s", vmd->run_dir, name,
			 file ? "/" : "", file ? file : "");

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int
supervisor_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* The last lines vmd-vm logged, for an error message a person can act on. */
static void
supervisor_log_tail(struct vmd_domain *d, char *buf, size_t size)
{
	char path[4096], *p;
	ssize_t n;
	off_t end;
	int fd;

	buf[0] = '\0';
	if (supervisor_path(d->vmd, d->def->name, "log", path, sizeof(path)))
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	end = lseek(fd, 0, SEEK_END);
	n = pread(fd, buf, size - 1, end > (off_t)size - 1 ? end - (off_t)size + 1 : 0);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	/* Keep the last line that says "error", else the last line. */
	p = strstr(buf, "error: ");
	if (p) {
		char *q;

		while ((q = strstr(p + 1, "error: ")))
			p = q;
		while (p > buf && p[-1] != '\n')
			p--;
	} else {
		p = strrchr(buf, '\n');
		p = p ? p + 1 : buf;
	}
	memmove(buf, p, strlen(p) + 1);
	p = strchr(buf, '\n');
	if (p)
		*p = '\0';
}

static void
supervisor_clean_run_dir(struct vmd *vmd, const char *name)
{
	static const char *const files[] = { "pid", "control.sock",
		"console.sock", "status", "status.tmp", "display", "spice.pass" };
	char path[4096];
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(files); i++)
		if (!supervisor_path(vmd, name, files[i], path, sizeof(path)))
			unlink(path);
}

static void
supervisor_finish_waiters(struct vmd_waiter **list, const char *error)
{
	struct vmd_waiter *w = vmd_waiters_take(list), *next;

	for (; w; w = next) {
		next = w->next;
		if (error)
			rpc_call_fail(w->call, RPC_ERR_OPERATION_FAILED, "%s",
				      error);
		else
			rpc_call_reply(w->call, NULL);
		free(w);
	}
}

static void
supervisor_forget_process(struct vmd_domain *d)
{
	if (d->pid_ev) {
		event_free(d->pid_ev);
		d->pid_ev = NULL;
	}
	if (d->timer) {
		event_free(d->timer);
		d->timer = NULL;
	}
	if (d->pidfd >= 0) {
		close(d->pidfd);
		d->pidfd = -1;
	}
	d->pid = 0;
	d->is_child = false;
}

/* Why did the process end? Its status file when it wrote one (always,
 * unless it was killed), else what waitid() says for our own child. */
static int
supervisor_exit_status(struct vmd_domain *d, char *reason, size_t size)
{
	char path[4096], line[512];
	siginfo_t si;
	FILE *f;
	int status = -1;

	reason[0] = '\0';
	if (d->is_child) {
		memset(&si, 0, sizeof(si));
		if (!waitid(P_PID, (id_t)d->pid, &si, WEXITED | WNOHANG) &&
		    si.si_pid == d->pid) {
			if (si.si_code == CLD_EXITED)
				status = si.si_status;
			else
				snprintf(reason, size, "vmd-vm killed by signal %s",
					 strsignal(si.si_status));
		}
	}
	if (!supervisor_path(d->vmd, d->def->name, "status", path, sizeof(path)) &&
	    (f = fopen(path, "re"))) {
		int s;

		if (fgets(line, sizeof(line), f) &&
		    sscanf(line, "%d", &s) == 1) {
			char *sp = strchr(line, ' ');

			status = s;
			util_strlcpy(reason, sp ? sp + 1 : "", size);
			reason[strcspn(reason, "\n")] = '\0';
		}
		fclose(f);
	}
	if (status < 0 && !reason[0])
		snprintf(reason, size, "vmd-vm ended without saying why");
	return status;
}

static void
supervisor_process_ended(evutil_socket_t fd, short what, void *arg)
{
	struct vmd_domain *d = arg;
	enum vmd_state was = d->state;
	enum domain_action action = DOMAIN_ACTION_DESTROY;
	const char *event = "stopped", *detail = "poweroff";
	char reason[256], tail[512], err[1024];
	int status;

	(void)fd;
	(void)what;
	status = supervisor_exit_status(d, reason, sizeof(reason));
	supervisor_forget_process(d);

	if (was == VMD_STARTING) {
		supervisor_log_tail(d, tail, sizeof(tail));
		snprintf(err, sizeof(err), "%s did not start: %s",
			 d->def->name, tail[0] ? tail : reason);
		vmd_domain_set_state(d, VMD_SHUTOFF, err);
		supervisor_clean_run_dir(d->vmd, d->def->name);
		supervisor_finish_waiters(&d->start_waiters, err);
		return;
	}

	if (d->destroying) {
		detail = "destroyed";
		snprintf(reason, sizeof(reason), "destroyed");
	} else if (status == VMM_EXIT_POWEROFF) {
		detail = d->shutdown_requested ? "shutdown" : "poweroff";
		action = d->def->on_poweroff;
	} else if (status == VMM_EXIT_REBOOT) {
		detail = "reboot";
		action = d->def->on_reboot;
	} else {
		event = "crashed";
		detail = "crashed";
		action = d->def->on_crash;
	}
	d->destroying = false;
	d->shutdown_requested = false;
	supervisor_clean_run_dir(d->vmd, d->def->name);

	if (action == DOMAIN_ACTION_RESTART && strcmp(detail, "destroyed")) {
		log_info("%s: %s; restarting (on_%s=restart)", d->def->name,
			 reason, status == VMM_EXIT_REBOOT ? "reboot" :
			 status == VMM_EXIT_POWEROFF ? "poweroff" : "crash");
		vmd_domain_set_state(d, VMD_SHUTOFF, reason);
		if (!supervisor_start(d, err, sizeof(err))) {
			vmd_emit_event(d, status == VMM_EXIT_REBOOT ?
				       "rebooted" : "restarted", detail);
			supervisor_finish_waiters(&d->stop_waiters, NULL);
			return;
		}
		log_error("%s: restart failed: %s", d->def->name, err);
		util_strlcpy(reason, err, sizeof(reason));
		event = "crashed";
	}
	vmd_domain_set_state(d, !strcmp(event, "crashed") ? VMD_CRASHED :
			     VMD_SHUTOFF, reason);
	vmd_emit_event(d, event, detail);
	supervisor_finish_waiters(&d->stop_waiters, NULL);
}

static void
supervisor_exec_child(struct vmd_domain *d, char **argv, const char *logpath)
{
	int fd, maxfd;

	/* Its own session: stopping vmd (or its cgroup's process group)
	 * must not take the VMs with it. */
	setsid();
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0 && fd != 0) {
		dup2(fd, 0);
		close(fd);
	}
	fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	maxfd = (int)sysconf(_SC_OPEN_MAX);
	for (fd = 3; fd < maxfd && fd < 65536; fd++)
		close(fd);
	signal(SIGPIPE, SIG_DFL);
	execv(d->vmd->vmm_path, argv);
	fprintf(stderr, "vmd: cannot run %s: %s\n", d->vmd->vmm_path,
		strerror(errno));
	_exit(VMM_EXIT_ERROR);
}

#define ARGV_MAX 96

struct supervisor_argv {
	char *v[ARGV_MAX + 1];
	unsigned n;
};

static void
argv_add(struct supervisor_argv *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
argv_add(struct supervisor_argv *a, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (a->n >= ARGV_MAX)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) >= 0)
		a->v[a->n++] = s;
	va_end(ap);
}

static void
argv_free(struct supervisor_argv *a)
{
	while (a->n)
		free(a->v[--a->n]);
}

/* The vmd-vm command line for a definition. */
static int
supervisor_build_argv(struct vmd_domain *d, struct supervisor_argv *a,
		      char *err, size_t errlen)
{
	const struct domain_def *def = d->def;
	char path[4096], spice[4200];
	size_t i;
	int ret;

	argv_add(a, "vmd-vm");
	argv_add(a, "--name=%s", def->name);
	argv_add(a, "--accel=%s", def->type == DOMAIN_TYPE_VMM ? "vmm" : "kvm");
	argv_add(a, "--kernel=%s", def->kernel);
	if (def->initrd)
		argv_add(a, "--initrd=%s", def->initrd);
	argv_add(a, "--cmdline=%s", def->cmdline ? def->cmdline : "console=ttyS0");
	argv_add(a, "--memory=%lluK", (unsigned long long)def->memory_kib);
	argv_add(a, "--cpus=%u", def->vcpus);
	argv_add(a, "--on-reboot=exit"); /* vmd applies on_reboot itself */
	supervisor_path(d->vmd, def->name, "control.sock", path, sizeof(path));
	argv_add(a, "--control=unix=%s", path);
	supervisor_path(d->vmd, def->name, "status", path, sizeof(path));
	argv_add(a, "--status-file=%s", path);
	/* The serial console is always a socket in the run dir, so that
	 * "vmctl console" works; a file in the XML is not honoured yet. */
	supervisor_path(d->vmd, def->name, "console.sock", path, sizeof(path));
	argv_add(a, "--serial=unix=%s", path);
	for (i = 0; i < def->ndisks; i++) {
		const struct domain_disk *dk = &def->disks[i];

		argv_add(a, "--disk=%s%s%s%s%s", dk->path,
			 dk->readonly ? ",readonly" : "",
			 dk->cache == DOMAIN_CACHE_NONE ? ",cache=none" :
			 dk->cache == DOMAIN_CACHE_WRITEBACK ? ",cache=writeback" : "",
			 dk->serial ? ",serial=" : "", dk->serial ? dk->serial : "");
	}
	for (i = 0; i < def->nnets; i++) {
		const struct domain_net *n = &def->nets[i];
		char mac[DOMAIN_MAC_STRLEN];

		if (n->type == DOMAIN_NET_USER) {
			argv_add(a, "--net=user");
		} else if (n->type == DOMAIN_NET_ETHERNET && n->ifname) {
			argv_add(a, "--net=tap=%s", n->ifname);
		} else {
			snprintf(err, errlen,
				 "%s: interface %zu: bridge networking is not supported by vmd-vm yet",
				 def->name, i);
			return -EOPNOTSUPP;
		}
		argv_add(a, "--mac=%s", domain_mac_format(n->mac, mac));
	}
	if (def->rng != DOMAIN_RNG_NONE)
		argv_add(a, "--rng");
	if (def->memballoon)
		argv_add(a, "--balloon");
	ret = display_prepare(d, spice, sizeof(spice), err, errlen);
	if (ret)
		return ret;
	if (spice[0]) {
		argv_add(a, "--spice=%s", spice);
		argv_add(a, "--vga=%s", def->video == DOMAIN_VIDEO_NONE ? "none" : "bochs");
	}
	if (a->n >= ARGV_MAX) {
		snprintf(err, errlen, "%s: too many devices", def->name);
		return -E2BIG;
	}
	a->v[a->n] = NULL;
	return 0;
}

int
supervisor_start(struct vmd_domain *d, char *err, size_t errlen)
{
	struct vmd *vmd = d->vmd;
	struct supervisor_argv a = { .n = 0 };
	char dir[4096], logpath[4096], pidbuf[32];
	pid_t pid;
	int ret;

	if (supervisor_path(vmd, d->def->name, NULL, dir, sizeof(dir)) ||
	    supervisor_path(vmd, d->def->name, "log", logpath, sizeof(logpath))) {
		snprintf(err, errlen, "run directory path too long");
		return -ENAMETOOLONG;
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -errno;
	}
	supervisor_clean_run_dir(vmd, d->def->name);
	ret = supervisor_build_argv(d, &a, err, errlen);
	if (ret) {
		argv_free(&a);
		return ret;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		snprintf(err, errlen, "fork: %s", strerror(errno));
		argv_free(&a);
		return ret;
	}
	if (pid == 0)
		supervisor_exec_child(d, a.v, logpath);
	argv_free(&a);

	d->pid = pid;
	d->is_child = true;
	d->pidfd = supervisor_pidfd_open(pid);
	d->start_polls = 0;
	d->destroying = d->shutdown_requested = false;
	if (d->pidfd < 0) {
		/* Without a pidfd we cannot tell when it ends: refuse. */
		snprintf(err, errlen, "pidfd_open: %s", strerror(errno));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		d->pid = 0;
		return -ENOSYS;
	}
	d->pid_ev = event_new(vmd->base, d->pidfd, EV_READ,
			      supervisor_process_ended, d);
	d->timer = evtimer_new(vmd->base, supervisor_start_poll, d);
	event_add(d->pid_ev, NULL);
	snprintf(pidbuf, sizeof(pidbuf), "%d\n", (int)pid);
	supervisor_path(vmd, d->def->name, "pid", dir, sizeof(dir));
	store_write_atomic(dir, pidbuf, strlen(pidbuf));
	vmd_domain_set_state(d, VMD_STARTING, "");
	supervisor_start_poll(-1, 0, d);
	return 0;
}

/* ---- control socket client ---------------------------------------- */

struct supervisor_req {
	struct vmd_domain *d;
	struct bufferevent *bev;
	supervisor_cb cb;
	void *arg;
	bool done;
};

static void
supervisor_req_finish(struct supervisor_req *r, struct json_object *reply)
{
	if (!r->done) {
		r->done = true;
		r->cb(r->d, reply, r->arg);
	}
	bufferevent_free(r->bev);
	free(r);
}

static void
supervisor_req_read(struct bufferevent *bev, void *arg)
{
	struct supervisor_req *r = arg;
	struct json_object *reply;
	size_t len;
	char *line;

	line = evbuffer_readln(bufferevent_get_input(bev), &len,
			       EVBUFFER_EOL_LF);
	if (!line)
		return;
	reply = json_tokener_parse(line);
	free(line);
	supervisor_req_finish(r, reply);
	json_object_put(reply);
}

static void
supervisor_req_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		supervisor_req_finish(arg, NULL);
}

int
supervisor_control(struct vmd_domain *d, const char *cmd, supervisor_cb cb,
		   void *arg)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { CONTROL_TIMEOUT_S, 0 };
	struct supervisor_req *r;
	char path[4096];
	int fd;

	if (supervisor_path(d->vmd, d->def->name, "control.sock", path,
			    sizeof(path)) ||
	    util_strlcpy(sun.sun_path, path, sizeof(sun.sun_path)))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		int e = errno;

		close(fd);
		return -e;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		close(fd);
		return -ENOMEM;
	}
	r->d = d;
	r->cb = cb;
	r->arg = arg;
	r->bev = bufferevent_socket_new(d->vmd->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!r->bev) {
		close(fd);
		free(r);
		return -ENOMEM;
	}
	bufferevent_setcb(r->bev, supervisor_req_read, NULL,
			  supervisor_req_event, r);
	bufferevent_set_timeouts(r->bev, &tv, &tv);
	bufferevent_enable(r->bev, EV_READ | EV_WRITE);
	evbuffer_add_printf(bufferevent_get_output(r->bev), "{\"cmd\":\"%s\"}\n",
			    cmd);
	return 0;
}

/* ---- start: wait for the control socket to answer ------------------ */

static void
supervisor_started(struct vmd_domain *d, struct json_object *reply, void *arg)
{
	struct json_object *st;
	bool paused;

	(void)arg;
	if (d->state != VMD_STARTING)
		return;
	if (!reply || !json_object_object_get_ex(reply, "state", &st)) {
		/* Not ready yet (or it is dying: the pidfd will tell). */
		struct timeval tv = { 0, START_POLL_MS * 1000 };

		if (d->timer)
			evtimer_add(d->timer, &tv);
		return;
	}
	paused = !strcmp(json_object_get_string(st), "paused");
	vmd_domain_set_state(d, paused ? VMD_PAUSED : VMD_RUNNING, "");
	vmd_emit_event(d, "started", d->is_child ? "booted" : "reattached");
	supervisor_finish_waiters(&d->start_waiters, NULL);
}

static void
supervisor_start_poll(evutil_socket_t fd, short what, void *arg)
{
	struct vmd_domain *d = arg;
	struct timeval tv = { 0, START_POLL_MS * 1000 };

	(void)fd;
	(void)what;
	if (d->state != VMD_STARTING || !d->pid)
		return;
	if (++d->start_polls > START_TIMEOUT_POLLS) {
		log_error("%s: vmd-vm (pid %d) did not answer on its control socket; killing it",
			  d->def->name, (int)d->pid);
		syscall(SYS_pidfd_send_signal, d->pidfd, SIGKILL, NULL, 0);
		return;
	}
	if (supervisor_control(d, "status", supervisor_started, NULL))
		evtimer_add(d->timer, &tv);
}

/* ---- destroy -------------------------------------------------------- */

static void
supervisor_destroy_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct vmd_domain *d = arg;

	(void)fd;
	(void)what;
	if (d->pid && d->pidfd >= 0) {
		log_warn("%s: vmd-vm (pid %d) did not quit; killing it",
			 d->def->name, (int)d->pid);
		syscall(SYS_pidfd_send_signal, d->pidfd, SIGKILL, NULL, 0);
	}
}

static void
supervisor_quit_sent(struct vmd_domain *d, struct json_object *reply, void *arg)
{
	(void)d;
	(void)reply;
	(void)arg;
}

void
supervisor_destroy(struct vmd_domain *d)
{
	struct timeval tv = { DESTROY_GRACE_S, 0 };

	if (!d->pid)
		return;
	d->destroying = true;
	if (d->timer)
		event_free(d->timer);
	d->timer = evtimer_new(d->vmd->base, supervisor_destroy_deadline, d);
	evtimer_add(d->timer, &tv);
	if (supervisor_control(d, "quit", supervisor_quit_sent, NULL))
		syscall(SYS_pidfd_send_signal, d->pidfd, SIGTERM, NULL, 0);
}

/* ---- reattach after a vmd restart ----------------------------------- */

static bool
supervisor_is_vmm(pid_t pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return !strncmp(comm, "vmd-vm", 6);
}

static void
supervisor_reattach(struct vmd_domain *d)
{
	char path[4096];
	FILE *f;
	int pid = 0;

	if (supervisor_path(d->vmd, d->def->name, "pid", path, sizeof(path)))
		return;
	f = fopen(path, "re");
	if (!f)
		return;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid <= 0 || !supervisor_is_vmm(pid)) {
		log_info("%s: cleaning up stale state (pid %d is gone)",
			 d->def->name, pid);
		supervisor_clean_run_dir(d->vmd, d->def->name);
		return;
	}
	d->pid = pid;
	d->is_child = false;
	d->pidfd = supervisor_pidfd_open(pid);
	if (d->pidfd < 0) {
		log_error("%s: cannot watch pid %d: %s", d->def->name, pid,
			  strerror(errno));
		d->pid = 0;
		return;
	}
	d->pid_ev = event_new(d->vmd->base, d->pidfd, EV_READ,
			      supervisor_process_ended, d);
	d->timer = evtimer_new(d->vmd->base, supervisor_start_poll, d);
	event_add(d->pid_ev, NULL);
	log_info("%s: reattaching to vmd-vm pid %d", d->def->name, pid);
	vmd_domain_set_state(d, VMD_STARTING, "reattaching");
	supervisor_start_poll(-1, 0, d);
}

void
supervisor_reattach_all(struct vmd *vmd)
{
	struct vmd_domain *d;
	struct dirent *de;
	DIR *dp;

	for (d = vmd->domains; d; d = d->next)
		supervisor_reattach(d);
	/* Run dirs of domains that are no longer defined. */
	dp = opendir(vmd->run_dir);
	if (!dp)
		return;
	while ((de = readdir(dp))) {
		char path[4096];
		FILE *f;
		int pid = 0;

		if (de->d_name[0] == '.' || de->d_type != DT_DIR ||
		    vmd_domain_find(vmd, de->d_name))
			continue;
		if (supervisor_path(vmd, de->d_name, "pid", path, sizeof(path)))
			continue;
		f = fopen(path, "re");
		if (f) {
			if (fscanf(f, "%d", &pid) != 1)
				pid = 0;
			fclose(f);
		}
		if (pid > 0 && supervisor_is_vmm(pid))
			log_warn("vmd-vm pid %d runs '%s', which is not defined; leaving it alone",
				 pid, de->d_name);
		else
			supervisor_clean_run_dir(vmd, de->d_name);
	}
	closedir(dp);
}
