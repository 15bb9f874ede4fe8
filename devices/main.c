/* vmd-vm: one virtual machine per process. The main thread runs the I/O
 * loop (serial input, control socket, signals); each vCPU has a thread. */
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot.h"
#include "control.h"
#include "log.h"
#include "options.h"
#include "platform.h"
#include "vcpu.h"
#include "vm.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "dev"
#endif

static struct event *main_wakeup;

/* Runs on whichever thread asked the VM to end. */
static void
main_on_exit(struct vm *vm)
{
	(void)vm;
	event_active(main_wakeup, EV_READ, 0);
}

static void
main_wakeup_cb(evutil_socket_t fd, short what, void *arg)
{
	struct vm *vm = arg;

	(void)fd;
	(void)what;
	event_base_loopbreak(vm->base);
}

static void
main_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	char reason[64];

	(void)what;
	snprintf(reason, sizeof(reason), "stopped by signal %s",
		 strsignal((int)sig));
	vm_request_exit(arg, VM_EXIT_POWEROFF, reason);
}

static int
main_run(const struct vm_config *cfg, struct vm *vm, char *err,
	 unsigned errlen)
{
	struct boot_info bi;
	struct control *ctl = NULL;
	struct event *sigint, *sigterm;
	int ret;

	ret = vm_create(vm, cfg->accel, cfg->memory, cfg->cpus, err, errlen);
	if (ret)
		return ret;
	vm->on_exit = main_on_exit;
	vm->base = event_base_new();
	main_wakeup = event_new(vm->base, -1, 0, main_wakeup_cb, vm);
	sigint = evsignal_new(vm->base, SIGINT, main_signal_cb, vm);
	sigterm = evsignal_new(vm->base, SIGTERM, main_signal_cb, vm);
	if (!vm->base || !main_wakeup || !sigint || !sigterm) {
		snprintf(err, errlen, "cannot set up the event loop");
		return -ENOMEM;
	}
	event_add(sigint, NULL);
	event_add(sigterm, NULL);

	ret = platform_create(vm, cfg, err, errlen);
	if (!ret)
		ret = boot_load_linux(vm, cfg->kernel, cfg->initrd,
				      cfg->cmdline, vm->devs->rsdp, &bi, err,
				      errlen);
	if (!ret)
		ret = vcpus_create(vm, &bi, err, errlen);
	if (!ret && cfg->control) {
		ctl = control_create(vm, cfg, cfg->control, err, errlen);
		if (!ctl)
			ret = -EINVAL;
	}
	if (!ret) {
		log_info("%s: %u vCPU%s, %llu MiB on /dev/%s", cfg->name,
			 cfg->cpus, cfg->cpus > 1 ? "s" : "",
			 (unsigned long long)(cfg->memory >> 20), vm->accel);
		ret = vcpus_start(vm);
		if (ret)
			snprintf(err, errlen, "cannot start vCPU threads: %s",
				 strerror(-ret));
		else
			event_base_dispatch(vm->base);
	}

	vcpus_destroy(vm);
	control_destroy(ctl);
	platform_destroy(vm);
	event_free(sigint);
	event_free(sigterm);
	event_free(main_wakeup);
	event_base_free(vm->base);
	vm_destroy(vm);
	return ret;
}

/* vmd may not be our parent (it restarted and reattached), so it cannot
 * wait() for our status: leave it in a file, written atomically. */
static void
main_write_status(const char *path, int status, const char *reason)
{
	char tmp[4096];
	FILE *f;

	if (!path || snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return;
	f = fopen(tmp, "w");
	if (!f) {
		log_warn("--status-file %s: %s", path, strerror(errno));
		return;
	}
	fprintf(f, "%d %s\n", status, reason);
	if (fclose(f) || rename(tmp, path))
		log_warn("--status-file %s: %s", path, strerror(errno));
}

int
main(int argc, char **argv)
{
	struct vm_config cfg;
	struct vm vm;
	char err[512] = "";
	int ret;

	log_init("vmd-vm", LOG_LVL_INFO);
	if (options_parse(argc, argv, &cfg, err, sizeof(err))) {
		fprintf(stderr, "vmd-vm: %s\n", err);
		return VM_EXIT_USAGE;
	}
	if (cfg.help) {
		options_usage(stdout, "vmd-vm");
		return 0;
	}
	if (cfg.version) {
		printf("vmd-vm %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (cfg.verbose)
		log_set_level(LOG_LVL_DEBUG);
	evthread_use_pthreads();
	/* A console reader that goes away must not kill the VM. */
	signal(SIGPIPE, SIG_IGN);

	ret = main_run(&cfg, &vm, err, sizeof(err));
	if (ret) {
		log_error("%s", err);
		main_write_status(cfg.status_file, VM_EXIT_ERROR, err);
		return VM_EXIT_ERROR;
	}
	log_info("%s: %s", cfg.name, vm.exit_reason);
	if (vm.exit_status == VM_EXIT_REBOOT &&
	    cfg.on_reboot == VM_ON_REBOOT_RESTART) {
		/* A fresh process is the surest reset: every device starts
		 * from power-on state and nothing of the old guest leaks. */
		log_info("%s: restarting", cfg.name);
		fflush(NULL);
		execv("/proc/self/exe", argv);
		log_error("cannot restart: %s", strerror(errno));
		main_write_status(cfg.status_file, VM_EXIT_ERROR, "cannot restart");
		return VM_EXIT_ERROR;
	}
	main_write_status(cfg.status_file, vm.exit_status, vm.exit_reason);
	return vm.exit_status;
}
