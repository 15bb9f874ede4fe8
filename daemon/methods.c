/* The control plane's methods: one function per entry of rpc/methods.def.
 * They run on the daemon's loop and answer through rpc_call_*(), at once or
 * when the domain has reached the state the caller asked for. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "domain.h"
#include "log.h"
#include "util.h"
#include "vmd.h"

#define METHOD(id, ...)                                                 \
	static void method_##id(struct rpc_call *call,                  \
				struct json_object *params, void *ctx);
#include "methods.def"
#undef METHOD

/* Indexed by enum vmd_method_id, so other transports find a method by id. */
const struct rpc_method vmd_methods[] = {
#define METHOD(id, json, access, ...)                                   \
	[VMD_METHOD_##id] = { json, method_##id, RPC_ACCESS_##access },
#include "methods.def"
#undef METHOD
};
const unsigned vmd_nmethods = ARRAY_SIZE(vmd_methods);

/* The domain named by params.name, or NULL after failing the call. */
static struct vmd_domain *
method_domain(struct rpc_call *call, struct json_object *params,
	      struct vmd *vmd)
{
	const char *name = rpc_param_string(call, params, "name");
	struct vmd_domain *d;

	if (!name)
		return NULL;
	d = vmd_domain_find(vmd, name);
	if (!d)
		rpc_call_fail(call, RPC_ERR_NO_SUCH_DOMAIN,
			      "no domain named '%.64s'", name);
	return d;
}

/* A domain whose vmd-vm is up and answering, else fail the call. */
static bool
method_require_running(struct rpc_call *call, struct vmd_domain *d)
{
	switch (d->state) {
	case VMD_RUNNING:
	case VMD_PAUSED:
	case VMD_SHUTTING_DOWN:
		return true;
	case VMD_STARTING:
		rpc_call_fail(call, RPC_ERR_BUSY, "domain '%s' is starting",
			      d->def->name);
		return false;
	default:
		rpc_call_fail(call, RPC_ERR_NOT_RUNNING,
			      "domain '%s' is not running", d->def->name);
		return false;
	}
}

static struct json_object *
method_summary(struct vmd_domain *d)
{
	struct json_object *o = json_object_new_object();
	char uuid[DOMAIN_UUID_STRLEN];

	json_object_object_add(o, "name", json_object_new_string(d->def->name));
	json_object_object_add(o, "uuid", json_object_new_string(
		domain_uuid_format(d->def->uuid, uuid)));
	json_object_object_add(o, "state",
			       json_object_new_string(vmd_state_name(d->state)));
	json_object_object_add(o, "autostart",
			       json_object_new_boolean(d->autostart));
	return o;
}

static void
method_daemon_version(struct rpc_call *call, struct json_object *params,
		      void *ctx)
{
	struct json_object *r = json_object_new_object();

	(void)params;
	(void)ctx;
	json_object_object_add(r, "version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(r, "api", json_object_new_int(1));
	rpc_call_reply(call, r);
}

static void
method_domain_define(struct rpc_call *call, struct json_object *params,
		     void *ctx)
{
	struct vmd *vmd = ctx;
	const char *xml = rpc_param_string(call, params, "xml");
	struct domain_warnings w;
	struct domain_def *def = NULL;
	struct vmd_domain *d, *other;
	struct json_object *r, *warnings;
	char err[1024], uuid[DOMAIN_UUID_STRLEN];
	size_t i;
	int ret;

	if (!xml)
		return;
	domain_warnings_init(&w);
	ret = domain_xml_parse(xml, strlen(xml), &def, &w, err, sizeof(err));
	if (ret) {
		rpc_call_fail(call, ret == -E2BIG ? RPC_ERR_LIMIT_EXCEEDED :
			      RPC_ERR_INVALID_XML, "%s", err);
		goto out;
	}
	d = vmd_domain_find(vmd, def->name);
	for (other = vmd->domains; other; other = other->next)
		if (other != d && !memcmp(other->def->uuid, def->uuid,
					  DOMAIN_UUID_LEN))
			break;
	if (other) {
		rpc_call_fail(call, RPC_ERR_INVALID_XML,
			      "uuid %s is already used by domain '%s'",
			      domain_uuid_format(def->uuid, uuid),
			      other->def->name);
		goto out;
	}
	if (d && memcmp(d->def->uuid, def->uuid, DOMAIN_UUID_LEN)) {
		rpc_call_fail(call, RPC_ERR_INVALID_XML,
			      "domain '%s' already exists with uuid %s",
			      def->name, domain_uuid_format(d->def->uuid, uuid));
		goto out;
	}
	if (d && vmd_domain_active(d)) {
		rpc_call_fail(call, RPC_ERR_ALREADY_RUNNING,
			      "domain '%s' is running: stop it before redefining it",
			      def->name);
		goto out;
	}
	ret = store_save_domain(vmd, def);
	if (ret) {
		rpc_call_fail(call, RPC_ERR_OPERATION_FAILED,
			      "cannot save the definition of '%s': %s",
			      def->name, strerror(-ret));
		goto out;
	}
	if (d) {
		domain_def_free(d->def);
		d->def = def;
	} else if (!(d = vmd_domain_add(vmd, def))) {
		rpc_call_fail(call, RPC_ERR_OPERATION_FAILED, "out of memory");
		goto out;
	}
	def = NULL;
	log_info("%s: defined", d->def->name);
	vmd_emit_event(d, "defined", "");
	r = method_summary(d);
	warnings = json_object_new_array();
	for (i = 0; i < w.count; i++)
		json_object_array_add(warnings, json_object_new_string(w.msgs[i]));
	json_object_object_add(r, "warnings", warnings);
	rpc_call_reply(call, r);
out:
	domain_def_free(def);
	domain_warnings_free(&w);
}

static void
method_domain_undefine(struct rpc_call *call, struct json_object *params,
		       void *ctx)
{
	struct vmd_domain *d = method_domain(call, params, ctx);
	int ret;

	if (!d)
		return;
	if (vmd_domain_active(d)) {
		rpc_call_fail(call, RPC_ERR_ALREADY_RUNNING,
			      "domain '%s' is running: stop it first", d->def->name);
		return;
	}
	ret = store_delete_domain(d->vmd, d->def->name);
	if (ret) {
		rpc_call_fail(call, RPC_ERR_OPERATION_FAILED,
			      "cannot delete the definition of '%s': %s",
			      d->def->name, strerror(-ret));
		return;
	}
	log_info("%s: undefined", d->def->name);
	vmd_emit_event(d, "undefined", "");
	vmd_domain_remove(d);
	rpc_call_reply(call, NULL);
}

static void
method_domain_list(struct rpc_call *call, struct json_object *params,
		   void *ctx)
{
	struct vmd *vmd = ctx;
	struct json_object *r, *list;
	struct vmd_domain *d;
	bool all;

	if (!rpc_param_bool(call, params, "all", false, &all))
		return;
	list = json_object_new_array();
	for (d = vmd->domains; d; d = d->next)
		if (all || vmd_domain_active(d))
			json_object_array_add(list, method_summary(d));
	r = json_object_new_object();
	json_object_object_add(r, "domains", list);
	rpc_call_reply(call, r);
}

static void
method_domain_start(struct rpc_call *call, struct json_object *params,
		    void *ctx)
{
	struct vmd_domain *d = method_domain(call, params, ctx);
	char err[1024];

	if (!d)
		return;
	if (vmd_domain_active(d)) {
		rpc_call_fail(call, RPC_ERR_ALREADY_RUNNING,
			      "domain '%s' is already %s", d->def->name,
			      vmd_state_name(d->state));
		return;
	}
	if (supervisor_start(d, err, sizeof(err))) {
		rpc_call_fail(call, RPC_ERR_OPERATION_FAILED, "%s", err);
		return;
	}
	/* Answered once the monitor's control socket says it runs. */
	vmd_waiters_add(&d->start_waiters, call);
}

/* Control commands whose reply is the answer to the caller. */
struct method_ctl {
	struct rpc_call *call;
	enum vmd_state next;   /* state on success (SHUTOFF: unchanged) */
	const char *event;     /* event on success, or NULL */
};

static void
method_ctl_done(struct vmd_domain *d, struct json_object *reply, void *arg)
{
	struct method_ctl *m = arg;
	struct json_object *ok, *error;

	if (!reply || !json_object_object_get_ex(reply, "ok", &ok)) {
		rpc_call_fail(m->call, RPC_ERR_OPERATION_FAILED,
			      "the monitor of '%s' did not answer", d->def->name);
	} else if (!json_object_get_boolean(ok)) {
		json_object_object_get_ex(reply, "error", &error);
		rpc_call_fail(m->call, RPC_ERR_OPERATION_FAILED, "%s: %s",
			      d->def->name, error ? json_object_get_string(error) :
			      "refused");
	} else {
		if (m->next != VMD_SHUTOFF && vmd_domain_active(d))
			vmd_domain_set_state(d, m->next, "");
		if (m->event)
			vmd_emit_event(d, m->event, "");
		rpc_call_reply(m->call, NULL);
	}
	free(m);
}

static void
method_control(struct rpc_call *call, struct vmd_domain *d, const char *cmd,
	       enum vmd_state next, const char *event)
{
	struct method_ctl *m = calloc(1, sizeof(*m));
	int ret;

	if (!m) {
		rpc_call_fail(call, RPC_ERR_OPERATION_FAILED, "out of memory");
		return;
	}
	m->call = call;
	m->next = next;
	m->event = event;
	ret = supervisor_control(d, cmd, method_ctl_done, m);
	if (ret) {
		free(m);
		rpc_call_fail(call, RPC_ERR_OPERATION_FAILED,
			      "cannot reach the monitor of '%s': %s",
			      d->def->name, strerror(-ret));
	}
}

static void
method_domain_shutdown(struct rpc_call *call, struct json_object *params,
		       void *ctx)
{
	struct vmd_domain *d = method_domain(call, params, ctx);

	if (!d || !method_require_running(call, d))
		return;
	if (d->state == VMD_PAUSED) {
		rpc_call_fail(call, RPC_ERR_OPERATION_FAILED,
			      "domain '%s' is paused: resume it so the guest can see the power button",
			      d->def->name);
		return;
	}
	d->shutdown_requested = true;
	method_control(call, d, "powerdown", VMD_SHUTTING_DOWN, NULL);
}

static void
method_domain_destroy(struct rpc_call *call, struct json_object *params,
		      void *ctx)
{
	struct vmd_domain *d = method_domain(call, params, ctx);

	if (!d)
		return;
	if (!vmd_domain_active(d)) {
		if (d->state == VMD_CRASHED) {
			vmd_domain_set_state(d, VMD_SHUTOFF, "destroyed");
			rpc_call_reply(call, NULL);
			return;
		}
		rpc_call_fail(call, RPC_ERR_NOT_RUNNING,
			      "domain '%s' is not running", d->def->name);
		return;
	}
	vmd_waiters_add(&d->stop_waiters, call);
	supervisor_destroy(d);
}

static void
method_domain_reboot(struct rpc_call *call, struct json_object *params,
		     void *ctx)
{
	struct vmd_domain *d = method_domain(call, params, ctx);

	if (d && method_require_running(call, d))
		method_control(call, d, "reset", VMD_SHUTOFF, NULL);
}

static void
method_domain_suspend(struct rpc_call *call, struct json_object *params,
		      void *ctx)
{
	struct vmd_domain *d = method_domain(call, params, ctx);

	if (d && method_require_running(call, d))
		method_control(call, d, "pause", VMD_PAUSED, "paused");
}

static void
method_domain_resume(struct rpc_call *call, struct json_object *params,
		     void *ctx)
{
	struct vmd_domain *d = method_domain(call, params, ctx);

	if (d && method_require_running(call, d))
		method_control(call, d, "resume", VMD_RUNNING, "resumed");
}

static void
method_domain_info(struct rpc_call *call, struct json_object *params,
		   void *ctx)
{
	struct vmd_domain *d = method_domain(call, params, ctx);
	struct json_object *r;
	char path[4096], uri[300];

	if (!d)
		return;
	r = method_summary(d);
	json_object_object_add(r, "reason", json_object_new_string(d->reason));
	json_object_object_add(r, "vcpus", json_object_new_int((int)d->def->vcpus));
	json_object_object_add(r, "memory_kib",
			       json_object_new_int64((int64_t)d->def->memory_kib));
	json_object_object_add(r, "persistent", json_object_new_boolean(1));
	json_object_object_add(r, "accel", json_object_new_string(
		domain_type_name(d->def->type)));
	json_object_object_add(r, "pid", d->pid ? json_object_new_int(d->pid) : NULL);
	if (vmd_domain_active(d) &&
	    !supervisor_path(d->vmd, d->def->name, "console.sock", path, sizeof(path)))
		json_object_object_add(r, "console", json_object_new_string(path));
	else
		json_object_object_add(r, "console", NULL);
	json_object_object_add(r, "display", display_uri(d, uri, sizeof(uri)) ?
			       NULL : json_object_new_string(uri));
	rpc_call_reply(call, r);
}

static void
method_domain_xml(struct rpc_call *call, struct json_object *params,
		  void *ctx)
{
	struct vmd_domain *d = method_domain(call, params, ctx);
	struct json_object *r;
	char *xml;

	if (!d)
		return;
	xml = domain_xml_format_flags(d->def, DOMAIN_XML_NO_SECRETS);
	if (!xml) {
		rpc_call_fail(call, RPC_ERR_OPERATION_FAILED, "out of memory");
		return;
	}
	r = json_object_new_object();
	json_object_object_add(r, "xml", json_object_new_string(xml));
	free(xml);
	rpc_call_reply(call, r);
}

static void
method_domain_display(struct rpc_call *call, struct json_object *params,
		      void *ctx)
{
	struct vmd_domain *d = method_domain(call, params, ctx);
	const struct domain_graphics *g;
	struct json_object *r;
	char uri[300];

	if (!d)
		return;
	g = &d->def->graphics;
	if (!g->present) {
		rpc_call_fail(call, RPC_ERR_NO_DISPLAY,
			      "domain '%s' has no graphics", d->def->name);
		return;
	}
	if (!vmd_domain_active(d)) {
		rpc_call_fail(call, RPC_ERR_NOT_RUNNING,
			      "domain '%s' is not running", d->def->name);
		return;
	}
	if (display_uri(d, uri, sizeof(uri))) {
		rpc_call_fail(call, RPC_ERR_NO_DISPLAY,
			      "domain '%s': its display address is unknown "
			      "(started by a vmd without SPICE support?)",
			      d->def->name);
		return;
	}
	r = json_object_new_object();
	json_object_object_add(r, "uri", json_object_new_string(uri));
	rpc_call_reply(call, r);
}

static void
method_domain_console(struct rpc_call *call, struct json_object *params,
		      void *ctx)
{
	struct vmd_domain *d = method_domain(call, params, ctx);
	struct json_object *r;
	char path[4096];

	if (!d || !method_require_running(call, d))
		return;
	supervisor_path(d->vmd, d->def->name, "console.sock", path, sizeof(path));
	r = json_object_new_object();
	json_object_object_add(r, "path", json_object_new_string(path));
	rpc_call_reply(call, r);
}

static void
method_domain_autostart(struct rpc_call *call, struct json_object *params,
			void *ctx)
{
	struct vmd_domain *d = method_domain(call, params, ctx);
	bool enable;
	int ret;

	if (!d || !rpc_param_bool(call, params, "enable", true, &enable))
		return;
	ret = store_set_autostart(d->vmd, d->def->name, enable);
	if (ret) {
		rpc_call_fail(call, RPC_ERR_OPERATION_FAILED,
			      "cannot change autostart of '%s': %s",
			      d->def->name, strerror(-ret));
		return;
	}
	d->autostart = enable;
	rpc_call_reply(call, NULL);
}

static void
method_events_subscribe(struct rpc_call *call, struct json_object *params,
			void *ctx)
{
	(void)params;
	(void)ctx;
	rpc_call_subscribe(call);
	rpc_call_reply(call, NULL);
}
