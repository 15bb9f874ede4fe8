#include "control.h"

#include <errno.h>
#include <stdarg.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "acpi.h"
#include "log.h"
#include "options.h"
#include "platform.h"
#include "util.h"
#include "vcpu.h"
#include "virtio/devices.h"
#include "vm.h"

/* A request line longer than this is not a control command: drop the
 * client rather than buffer without end. */
#define CONTROL_MAX_LINE 4096
#define CONTROL_MAX_CLIENTS 16

struct control_client {
	struct control *ctl;
	struct bufferevent *bev;
	struct control_client *next;
};

struct control {
	struct vm *vm;
	const struct vm_config *cfg;
	char *path;
	struct evconnlistener *listener;
	struct control_client *clients;
	unsigned nclients;
};

typedef struct json_object *(*control_cmd_fn)(struct control *ctl,
					      struct json_object *req);

static struct json_object *
control_reply_ok(void)
{
	struct json_object *r = json_object_new_object();

	json_object_object_add(r, "ok", json_object_new_boolean(1));
	return r;
}

static struct json_object *
control_reply_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static struct json_object *
control_reply_error(const char *fmt, ...)
{
	struct json_object *r = json_object_new_object();
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(r, "ok", json_object_new_boolean(0));
	json_object_object_add(r, "error", json_object_new_string(msg));
	return r;
}

static struct json_object *
control_cmd_status(struct control *ctl, struct json_object *req)
{
	struct json_object *r = control_reply_ok();
	struct vm *vm = ctl->vm;

	(void)req;
	json_object_object_add(r, "state", json_object_new_string(
		vcpus_paused(vm) ? "paused" : "running"));
	json_object_object_add(r, "name", json_object_new_string(ctl->cfg->name));
	json_object_object_add(r, "cpus", json_object_new_int((int)vm->ncpus));
	json_object_object_add(r, "memory_mib",
			       json_object_new_int64((int64_t)(vm->ram_size >> 20)));
	json_object_object_add(r, "pid", json_object_new_int(getpid()));
	json_object_object_add(r, "accel", json_object_new_string(vm->accel));
	return r;
}

static struct json_object *
control_cmd_pause(struct control *ctl, struct json_object *req)
{
	(void)req;
	vcpus_pause(ctl->vm);
	return control_reply_ok();
}

static struct json_object *
control_cmd_resume(struct control *ctl, struct json_object *req)
{
	(void)req;
	vcpus_resume(ctl->vm);
	return control_reply_ok();
}

static struct json_object *
control_cmd_powerdown(struct control *ctl, struct json_object *req)
{
	(void)req;
	if (vcpus_paused(ctl->vm))
		return control_reply_error(
			"the VM is paused: resume it so the guest can see the power button");
	acpi_pm_press_power_button(ctl->vm->devs->pm);
	return control_reply_ok();
}

static struct json_object *
control_cmd_reset(struct control *ctl, struct json_object *req)
{
	(void)req;
	vm_request_exit(ctl->vm, VM_EXIT_REBOOT, "reset requested on the control socket");
	return control_reply_ok();
}

static struct json_object *
control_cmd_quit(struct control *ctl, struct json_object *req)
{
	(void)req;
	vm_request_exit(ctl->vm, VM_EXIT_POWEROFF, "quit requested on the control socket");
	return control_reply_ok();
}

/* {"cmd":"balloon","target_mib":N}: the guest should shrink to N MiB. */
static struct json_object *
control_cmd_balloon(struct control *ctl, struct json_object *req)
{
	struct json_object *t;
	int64_t mib;

	if (!ctl->vm->devs || !ctl->vm->devs->balloon)
		return control_reply_error("no balloon device (start with --balloon)");
	if (!json_object_object_get_ex(req, "target_mib", &t) ||
	    !json_object_is_type(t, json_type_int))
		return control_reply_error("balloon needs \"target_mib\": a number");
	mib = json_object_get_int64(t);
	if (mib <= 0 ||
	    virtio_balloon_set_target(ctl->vm->devs->balloon, (uint64_t)mib))
		return control_reply_error("target_mib %lld is not between 1 and the guest's %llu MiB",
					   (long long)mib,
					   (unsigned long long)(ctl->vm->ram_size >> 20));
	return control_reply_ok();
}

static struct json_object *
control_cmd_balloon_stats(struct control *ctl, struct json_object *req)
{
	(void)req;
	if (!ctl->vm->devs || !ctl->vm->devs->balloon)
		return control_reply_error("no balloon device (start with --balloon)");
	return virtio_balloon_stats(ctl->vm->devs->balloon);
}

static const struct {
	const char *name;
	control_cmd_fn fn;
} control_cmds[] = {
	{ "status", control_cmd_status },
	{ "pause", control_cmd_pause },
	{ "resume", control_cmd_resume },
	{ "powerdown", control_cmd_powerdown },
	{ "reset", control_cmd_reset },
	{ "quit", control_cmd_quit },
	{ "balloon", control_cmd_balloon },
	{ "balloon-stats", control_cmd_balloon_stats },
};

static struct json_object *
control_dispatch(struct control *ctl, const char *line, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *req, *cmd, *reply;
	const char *name;
	unsigned i;

	req = json_tokener_parse_ex(tok, line, (int)len);
	if (!req || json_tokener_get_error(tok) != json_tokener_success) {
		reply = control_reply_error("malformed JSON: %s",
			json_tokener_error_desc(json_tokener_get_error(tok)));
		goto out;
	}
	if (!json_object_is_type(req, json_type_object) ||
	    !json_object_object_get_ex(req, "cmd", &cmd) ||
	    !json_object_is_type(cmd, json_type_string)) {
		reply = control_reply_error(
			"a request is an object with a string \"cmd\", e.g. {\"cmd\": \"status\"}");
		goto out;
	}
	name = json_object_get_string(cmd);
	for (i = 0; i < ARRAY_SIZE(control_cmds); i++)
		if (!strcmp(name, control_cmds[i].name))
			break;
	if (i == ARRAY_SIZE(control_cmds))
		reply = control_reply_error(
			"unknown command '%.64s' (status, pause, resume, powerdown, reset, quit, balloon, balloon-stats)",
			name);
	else
		reply = control_cmds[i].fn(ctl, req);
out:
	json_object_put(req);
	json_tokener_free(tok);
	return reply;
}

static void
control_client_free(struct control_client *cl)
{
	struct control *ctl = cl->ctl;
	struct control_client **pp;

	for (pp = &ctl->clients; *pp; pp = &(*pp)->next) {
		if (*pp == cl) {
			*pp = cl->next;
			break;
		}
	}
	ctl->nclients--;
	bufferevent_free(cl->bev);
	free(cl);
}

static void
control_client_read(struct bufferevent *bev, void *arg)
{
	struct control_client *cl = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer *out = bufferevent_get_output(bev);
	char *line;
	size_t len;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF))) {
		struct json_object *reply = NULL;

		if (len)
			reply = control_dispatch(cl->ctl, line, len);
		free(line);
		if (reply) {
			evbuffer_add_printf(out, "%s\n",
				json_object_to_json_string_ext(reply,
					JSON_C_TO_STRING_PLAIN));
			json_object_put(reply);
		}
	}
	if (evbuffer_get_length(in) > CONTROL_MAX_LINE) {
		log_warn("control: dropping a client that sent a line over %d bytes",
			 CONTROL_MAX_LINE);
		control_client_free(cl);
	}
}

static void
control_client_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		control_client_free(arg);
}

static void
control_accept(struct evconnlistener *l, evutil_socket_t fd,
	       struct sockaddr *sa, int salen, void *arg)
{
	struct control *ctl = arg;
	struct control_client *cl;

	(void)l;
	(void)sa;
	(void)salen;
	if (ctl->nclients >= CONTROL_MAX_CLIENTS ||
	    !(cl = calloc(1, sizeof(*cl)))) {
		log_warn("control: refusing a client (%u connected)",
			 ctl->nclients);
		close(fd);
		return;
	}
	cl->ctl = ctl;
	cl->bev = bufferevent_socket_new(evconnlistener_get_base(l), fd,
					 BEV_OPT_CLOSE_ON_FREE);
	if (!cl->bev) {
		close(fd);
		free(cl);
		return;
	}
	bufferevent_setcb(cl->bev, control_client_read, NULL,
			  control_client_event, cl);
	bufferevent_enable(cl->bev, EV_READ | EV_WRITE);
	cl->next = ctl->clients;
	ctl->clients = cl;
	ctl->nclients++;
}

struct control *
control_create(struct vm *vm, const struct vm_config *cfg, const char *path,
	       char *err, unsigned errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct control *ctl;

	if (util_strlcpy(sun.sun_path, path, sizeof(sun.sun_path))) {
		snprintf(err, errlen, "--control: path too long: %s", path);
		return NULL;
	}
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl || !(ctl->path = strdup(path))) {
		free(ctl);
		snprintf(err, errlen, "--control: out of memory");
		return NULL;
	}
	ctl->vm = vm;
	ctl->cfg = cfg;
	unlink(path); /* a stale socket from a monitor that died */
	ctl->listener = evconnlistener_new_bind(vm->base, control_accept, ctl,
		LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 8,
		(struct sockaddr *)&sun, sizeof(sun));
	if (!ctl->listener) {
		snprintf(err, errlen, "--control unix=%s: %s", path,
			 strerror(errno));
		free(ctl->path);
		free(ctl);
		return NULL;
	}
	chmod(path, 0600);
	return ctl;
}

void
control_destroy(struct control *ctl)
{
	if (!ctl)
		return;
	while (ctl->clients)
		control_client_free(ctl->clients);
	evconnlistener_free(ctl->listener);
	unlink(ctl->path);
	free(ctl->path);
	free(ctl);
}
