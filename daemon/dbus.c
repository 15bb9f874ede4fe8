/* vmd on D-Bus: org.vmd1 on the system (or session) bus, through sd-bus on
 * the daemon's libevent loop.
 *
 * Nothing here decides anything about domains. A D-Bus method call becomes
 * the JSON params object its JSON-RPC twin would get, runs the same
 * method_<id>() through rpc_invoke() (so the same permission check), and
 * the JSON result or error goes back in the shape rpc/methods.def gives.
 * Properties read (and Autostart writes) through the same methods. A call
 * that answers later (Start answers once the VM runs) keeps its message. */
#include <errno.h>
#include <event2/event.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>

#include "dbus.h"
#include "dbus_json.h"
#include "domain.h"
#include "log.h"
#include "util.h"
#include "vmd.h"

struct vmd_dbus {
	struct vmd *vmd;
	sd_bus *bus;
	struct event *io;        /* the bus fd, for what sd-bus waits on */
	struct event *timer;     /* sd-bus's next deadline */
	struct event *kick;      /* process after we queued a message */
	struct event *changed_ev; /* PropertiesChanged for changed_uuids */
	uint8_t (*changed_uuids)[DOMAIN_UUID_LEN];
	size_t nchanged, changed_cap;
};

/* ------------------------------------------------------------ the tables */

#define DBUS_OBJ_manager false
#define DBUS_OBJ_domain true
#define DBUS_OBJ_none false

/* One method's D-Bus shape, indexed by enum vmd_method_id. */
struct dbus_method {
	bool on_domain;
	const char *in, *in_names;
	const char *out, *out_names;
};

static const struct dbus_method dbus_methods[VMD_METHOD_COUNT] = {
#define METHOD(id, json, access, obj, member, in, in_names, out, out_names, \
	       summary)                                                     \
	[VMD_METHOD_##id] = { DBUS_OBJ_##obj, in, in_names, out, out_names },
#include "methods.def"
#undef METHOD
};

#define DBUS_PFLAGS_const SD_BUS_VTABLE_PROPERTY_CONST
#define DBUS_PFLAGS_change SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE
#define DBUS_PFLAGS_none 0

struct dbus_prop {
	bool on_domain;
	const char *name, *sig;
	enum vmd_method_id get;
	const char *member;
	int set;                /* enum vmd_method_id, or -1 */
	const char *set_param;
	uint64_t flags;
};

static const struct dbus_prop dbus_props[] = {
#define METHOD(...)
#define PROPERTY(obj, name, sig, get, member, flags)                        \
	{ DBUS_OBJ_##obj, name, sig, VMD_METHOD_##get, member, -1, NULL,     \
	  DBUS_PFLAGS_##flags },
#define WPROPERTY(obj, name, sig, get, member, flags, set, param)           \
	{ DBUS_OBJ_##obj, name, sig, VMD_METHOD_##get, member,              \
	  VMD_METHOD_##set, param, DBUS_PFLAGS_##flags },
#include "methods.def"
#undef METHOD
#undef PROPERTY
#undef WPROPERTY
};

/* The properties PropertiesChanged carries when a domain's state changes. */
static char *dbus_changed_names[ARRAY_SIZE(dbus_props) + 1];

static int dbus_call(sd_bus_message *m, void *userdata, sd_bus_error *error,
		     enum vmd_method_id id);
static int dbus_prop_get(sd_bus *bus, const char *path, const char *interface,
			 const char *property, sd_bus_message *reply,
			 void *userdata, sd_bus_error *error);
static int dbus_prop_set(sd_bus *bus, const char *path, const char *interface,
			 const char *property, sd_bus_message *value,
			 void *userdata, sd_bus_error *error);

/* One handler per D-Bus method, so each knows which method it is. */
#define DBUS_HANDLER(id)                                                    \
	static int                                                          \
	dbus_method_##id(sd_bus_message *m, void *userdata,                 \
			 sd_bus_error *error)                               \
	{                                                                   \
		return dbus_call(m, userdata, error, VMD_METHOD_##id);      \
	}
#define DBUS_HANDLER_manager DBUS_HANDLER
#define DBUS_HANDLER_domain DBUS_HANDLER
#define DBUS_HANDLER_none(id)
#define METHOD(id, json, access, obj, ...) DBUS_HANDLER_##obj(id)
#include "methods.def"
#undef METHOD

/* sd-bus itself would allow only CAP_SYS_ADMIN callers on the system bus;
 * members of group vmd may call too, so every member is UNPRIVILEGED here
 * and rpc_invoke() checks the caller, as it does on the socket. */
#define DBUS_VT_METHOD(id, member, in, in_names, out, out_names)            \
	SD_BUS_METHOD_WITH_NAMES(member, in, in_names, out, out_names,      \
				 dbus_method_##id, SD_BUS_VTABLE_UNPRIVILEGED),
#define DBUS_VT_PROP(name, sig, flags)                                      \
	SD_BUS_PROPERTY(name, sig, dbus_prop_get, 0, DBUS_PFLAGS_##flags),
#define DBUS_VT_WPROP(name, sig, flags)                                     \
	SD_BUS_WRITABLE_PROPERTY(name, sig, dbus_prop_get, dbus_prop_set, 0, \
				 DBUS_PFLAGS_##flags | SD_BUS_VTABLE_UNPRIVILEGED),
#define DBUS_VT_SKIP(...)
#define METHOD(id, json, access, obj, member, in, in_names, out, out_names, \
	       summary) DBUS_VT_M_##obj(id, member, in, in_names, out, out_names)
#define PROPERTY(obj, name, sig, get, member, flags) DBUS_VT_P_##obj(name, sig, flags)
#define WPROPERTY(obj, name, sig, get, member, flags, set, param)           \
	DBUS_VT_W_##obj(name, sig, flags)

#define DBUS_VT_M_manager DBUS_VT_METHOD
#define DBUS_VT_P_manager DBUS_VT_PROP
#define DBUS_VT_W_manager DBUS_VT_WPROP
#define DBUS_VT_M_domain DBUS_VT_SKIP
#define DBUS_VT_P_domain DBUS_VT_SKIP
#define DBUS_VT_W_domain DBUS_VT_SKIP
#define DBUS_VT_M_none DBUS_VT_SKIP
static const sd_bus_vtable dbus_manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
#include "methods.def"
	/* The D-Bus form of events.subscribe: a match rule on this. */
	SD_BUS_SIGNAL_WITH_NAMES("DomainEvent", "sss",
				 SD_BUS_PARAM(name) SD_BUS_PARAM(event)
				 SD_BUS_PARAM(detail), 0),
	SD_BUS_VTABLE_END
};
#undef DBUS_VT_M_manager
#undef DBUS_VT_P_manager
#undef DBUS_VT_W_manager
#undef DBUS_VT_M_domain
#undef DBUS_VT_P_domain
#undef DBUS_VT_W_domain

#define DBUS_VT_M_manager DBUS_VT_SKIP
#define DBUS_VT_P_manager DBUS_VT_SKIP
#define DBUS_VT_W_manager DBUS_VT_SKIP
#define DBUS_VT_M_domain DBUS_VT_METHOD
#define DBUS_VT_P_domain DBUS_VT_PROP
#define DBUS_VT_W_domain DBUS_VT_WPROP
static const sd_bus_vtable dbus_domain_vtable[] = {
	SD_BUS_VTABLE_START(0),
#include "methods.def"
	SD_BUS_VTABLE_END
};
#undef METHOD
#undef PROPERTY
#undef WPROPERTY

/* ------------------------------------------------------------- domains */

static struct vmd_domain *
dbus_domain_by_uuid(struct vmd *vmd, const uint8_t uuid[DOMAIN_UUID_LEN])
{
	struct vmd_domain *d;

	for (d = vmd->domains; d; d = d->next)
		if (!memcmp(d->def->uuid, uuid, DOMAIN_UUID_LEN))
			return d;
	return NULL;
}

static char *
dbus_domain_path(const struct vmd_domain *d)
{
	char uuid[DOMAIN_UUID_STRLEN];

	return dbus_uuid_path(domain_uuid_format(d->def->uuid, uuid));
}

static struct vmd_domain *
dbus_domain_by_path(struct vmd *vmd, const char *path)
{
	uint8_t uuid[DOMAIN_UUID_LEN];
	struct vmd_domain *d = NULL;
	char *label = NULL;

	if (sd_bus_path_decode(path, VMD_DBUS_DOMAIN_PREFIX, &label) > 0 &&
	    !domain_uuid_parse(label, uuid))
		d = dbus_domain_by_uuid(vmd, uuid);
	free(label);
	return d;
}

static int
dbus_find_domain(sd_bus *bus, const char *path, const char *interface,
		 void *userdata, void **found, sd_bus_error *error)
{
	struct vmd_domain *d = dbus_domain_by_path(userdata, path);

	(void)bus;
	(void)interface;
	(void)error;
	if (!d)
		return 0;
	*found = d;
	return 1;
}

static int
dbus_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***nodes,
	       sd_bus_error *error)
{
	struct vmd *vmd = userdata;
	struct vmd_domain *d;
	size_t n = 0, i = 0;
	char **v;

	(void)bus;
	(void)prefix;
	(void)error;
	for (d = vmd->domains; d; d = d->next)
		n++;
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (d = vmd->domains; d; d = d->next)
		if ((v[i] = dbus_domain_path(d)))
			i++;
	*nodes = v;
	return 0;
}

/* ------------------------------------------------------ the event loop */

static void dbus_process(struct vmd_dbus *db);

static void
dbus_on_event(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	dbus_process(arg);
}

static void
dbus_kick(struct vmd_dbus *db)
{
	if (db && db->bus)
		event_active(db->kick, EV_TIMEOUT, 0);
}

/* Waits for what sd-bus wants next: its fd (in, and out while it has
 * unsent messages) and its deadline, an absolute CLOCK_MONOTONIC time in
 * µs that libevent wants as a delay. */
static int
dbus_arm(struct vmd_dbus *db)
{
	struct timespec now;
	struct timeval tv;
	uint64_t until, now_us, delay;
	short what = 0;
	int events;

	events = sd_bus_get_events(db->bus);
	if (events < 0)
		return events;
	if (events & POLLIN)
		what |= EV_READ;
	if (events & POLLOUT)
		what |= EV_WRITE;
	event_del(db->io);
	event_assign(db->io, db->vmd->base, sd_bus_get_fd(db->bus), what,
		     dbus_on_event, db);
	if (what)
		event_add(db->io, NULL);
	if (sd_bus_get_timeout(db->bus, &until) < 0 || until == UINT64_MAX) {
		evtimer_del(db->timer);
		return 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	now_us = (uint64_t)now.tv_sec * 1000000 + (uint64_t)now.tv_nsec / 1000;
	delay = until > now_us ? until - now_us : 0;
	tv.tv_sec = (time_t)(delay / 1000000);
	tv.tv_usec = (suseconds_t)(delay % 1000000);
	evtimer_add(db->timer, &tv);
	return 0;
}

/* The bus went away (dbus-daemon restarted, ...): JSON-RPC goes on. */
static void
dbus_lost(struct vmd_dbus *db, int err)
{
	log_warn("D-Bus: connection lost (%s): vmd carries on without D-Bus",
		 strerror(-err));
	event_del(db->io);
	evtimer_del(db->timer);
	event_del(db->changed_ev);
	sd_bus_close(db->bus);
	db->bus = sd_bus_unref(db->bus);
}

static void
dbus_process(struct vmd_dbus *db)
{
	int r;

	if (!db->bus)
		return;
	do
		r = sd_bus_process(db->bus, NULL);
	while (r > 0);
	if (r >= 0 && !sd_bus_is_open(db->bus))
		r = -ENOTCONN;
	if (r >= 0)
		r = dbus_arm(db);
	if (r < 0)
		dbus_lost(db, r);
}

/* --------------------------------------------------------------- calls */

/* The D-Bus implementation of struct rpc_call. A property read or write
 * (sync) keeps the answer for its caller instead of sending it. */
struct dbus_call {
	struct rpc_call base;
	struct vmd_dbus *db;
	sd_bus_message *msg;    /* NULL: a property read while emitting */
	enum vmd_method_id id;
	bool sync;
	bool done;              /* sync: the method has answered */
	bool abandoned;         /* sync: nobody waits any more */
	struct json_object *result;
	const char *error;      /* sync: the D-Bus error name */
	char *message;
	char error_buf[128];
};

static void
dbus_call_free(struct dbus_call *call)
{
	sd_bus_message_unref(call->msg);
	json_object_put(call->result);
	free(call->message);
	free(call);
}

static void
dbus_call_reply(struct rpc_call *base, struct json_object *result)
{
	struct dbus_call *call = (struct dbus_call *)base;
	const struct dbus_method *dm = &dbus_methods[call->id];
	sd_bus_message *reply = NULL;
	int r;

	if (call->sync && !call->abandoned) {
		call->result = result;
		call->done = true;
		return;
	}
	if (!call->sync && sd_bus_message_get_expect_reply(call->msg)) {
		r = sd_bus_message_new_method_return(call->msg, &reply);
		if (r >= 0)
			r = dbus_append_result(reply, dm->out, dm->out_names,
					       result);
		if (r >= 0)
			r = sd_bus_send(NULL, reply, NULL);
		else
			sd_bus_reply_method_errorf(call->msg, SD_BUS_ERROR_FAILED,
				"vmd cannot express the result of %s as '%s': %s",
				vmd_methods[call->id].name, dm->out, strerror(-r));
		if (r < 0)
			log_debug("D-Bus: reply to %s: %s",
				  vmd_methods[call->id].name, strerror(-r));
		sd_bus_message_unref(reply);
	}
	json_object_put(result);
	dbus_kick(call->db);
	dbus_call_free(call);
}

static void
dbus_call_fail(struct rpc_call *base, int code, const char *name,
	       const char *message)
{
	struct dbus_call *call = (struct dbus_call *)base;
	char buf[128];
	const char *error = dbus_error_name(code, name, buf, sizeof(buf));

	if (call->sync && !call->abandoned) {
		call->error = dbus_error_name(code, name, call->error_buf,
					      sizeof(call->error_buf));
		call->message = strdup(message);
		call->done = true;
		return;
	}
	if (!call->sync && sd_bus_message_get_expect_reply(call->msg))
		sd_bus_reply_method_errorf(call->msg, error, "%s", message);
	dbus_kick(call->db);
	dbus_call_free(call);
}

/* Who sent the call, as the bus (dbus-daemon) knows them. */
static bool
dbus_call_peer(struct rpc_call *base, struct rpc_peer *peer)
{
	struct dbus_call *call = (struct dbus_call *)base;
	sd_bus_creds *c = NULL;
	const gid_t *gids;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	int n;
	bool known = false;

	if (!call->msg ||
	    sd_bus_query_sender_creds(call->msg, SD_BUS_CREDS_UID |
			SD_BUS_CREDS_EUID | SD_BUS_CREDS_GID | SD_BUS_CREDS_PID |
			SD_BUS_CREDS_SUPPLEMENTARY_GIDS, &c) < 0)
		return false;
	if (sd_bus_creds_get_euid(c, &uid) >= 0 ||
	    sd_bus_creds_get_uid(c, &uid) >= 0) {
		peer->uid = uid;
		known = true;
	}
	peer->gid = sd_bus_creds_get_gid(c, &gid) >= 0 ? gid : (gid_t)-1;
	if (sd_bus_creds_get_pid(c, &pid) >= 0)
		peer->pid = pid;
	n = sd_bus_creds_get_supplementary_gids(c, &gids);
	if (n >= 0) {
		if (n > RPC_MAX_PEER_GROUPS)
			n = RPC_MAX_PEER_GROUPS;
		memcpy(peer->groups, gids, (size_t)n * sizeof(gid_t));
		peer->ngroups = n;
	}
	sd_bus_creds_unref(c);
	return known;
}

static const struct rpc_call_ops dbus_call_ops = {
	.reply = dbus_call_reply,
	.fail = dbus_call_fail,
	.subscribe = NULL,      /* signals reach whoever added a match */
	.peer = dbus_call_peer,
};

static struct dbus_call *
dbus_call_new(struct vmd_dbus *db, sd_bus_message *msg, enum vmd_method_id id)
{
	struct dbus_call *call = calloc(1, sizeof(*call));

	if (!call)
		return NULL;
	call->base.ops = &dbus_call_ops;
	call->db = db;
	call->msg = sd_bus_message_ref(msg);
	call->id = id;
	return call;
}

static int
dbus_call(sd_bus_message *m, void *userdata, sd_bus_error *error,
	  enum vmd_method_id id)
{
	const struct dbus_method *dm = &dbus_methods[id];
	struct vmd_domain *d = dm->on_domain ? userdata : NULL;
	struct vmd *vmd = d ? d->vmd : userdata;
	struct json_object *params = json_object_new_object();
	struct dbus_call *call;
	int r;

	if (d)
		json_object_object_add(params, "name",
				       json_object_new_string(d->def->name));
	r = dbus_read_args(m, dm->in, dm->in_names, params);
	if (r < 0) {
		json_object_put(params);
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "cannot read the arguments: %s",
					 strerror(-r));
	}
	call = dbus_call_new(vmd->dbus, m, id);
	if (!call) {
		json_object_put(params);
		return -ENOMEM;
	}
	rpc_invoke(&vmd_methods[id], &call->base, params, vmd);
	json_object_put(params);
	return 1;
}

/* Runs a method for a property and returns its answer (NULL if it did not
 * answer at once: a property cannot wait). */
static struct dbus_call *
dbus_invoke_sync(struct vmd *vmd, struct vmd_domain *d, enum vmd_method_id id,
		 struct json_object *params, sd_bus_message *msg)
{
	struct dbus_call *call = dbus_call_new(vmd->dbus, msg, id);

	if (!params)
		params = json_object_new_object();
	if (!call) {
		json_object_put(params);
		return NULL;
	}
	call->sync = true;
	if (d)
		json_object_object_add(params, "name",
				       json_object_new_string(d->def->name));
	rpc_invoke(&vmd_methods[id], &call->base, params, vmd);
	json_object_put(params);
	if (!call->done) {
		call->abandoned = true;
		return NULL;
	}
	return call;
}

static const struct dbus_prop *
dbus_prop_find(const char *interface, const char *name)
{
	bool on_domain = !strcmp(interface, VMD_DBUS_DOMAIN_IFACE);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(dbus_props); i++)
		if (dbus_props[i].on_domain == on_domain &&
		    !strcmp(dbus_props[i].name, name))
			return &dbus_props[i];
	return NULL;
}

static int
dbus_prop_get(sd_bus *bus, const char *path, const char *interface,
	      const char *property, sd_bus_message *reply, void *userdata,
	      sd_bus_error *error)
{
	const struct dbus_prop *p = dbus_prop_find(interface, property);
	struct vmd_domain *d = p && p->on_domain ? userdata : NULL;
	struct vmd *vmd = d ? d->vmd : userdata;
	struct dbus_call *call;
	int r;

	(void)path;
	if (!p)
		return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_PROPERTY,
					 "no property %s", property);
	call = dbus_invoke_sync(vmd, d, p->get, NULL,
				sd_bus_get_current_message(bus));
	r = dbus_append_value(reply, p->sig, strlen(p->sig),
			      call ? dbus_json_member(call->result, p->sig,
						 p->member) : NULL);
	if (call)
		dbus_call_free(call);
	return r;
}

static int
dbus_prop_set(sd_bus *bus, const char *path, const char *interface,
	      const char *property, sd_bus_message *value, void *userdata,
	      sd_bus_error *error)
{
	const struct dbus_prop *p = dbus_prop_find(interface, property);
	struct vmd_domain *d = p && p->on_domain ? userdata : NULL;
	struct vmd *vmd = d ? d->vmd : userdata;
	struct json_object *params;
	struct dbus_call *call;
	int r;

	(void)path;
	if (!p || p->set < 0)
		return sd_bus_error_setf(error, SD_BUS_ERROR_PROPERTY_READ_ONLY,
					 "property %s is read-only", property);
	params = json_object_new_object();
	r = dbus_read_args(value, p->sig, p->set_param, params);
	if (r < 0) {
		json_object_put(params);
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "cannot read the value of %s: %s",
					 property, strerror(-r));
	}
	call = dbus_invoke_sync(vmd, d, (enum vmd_method_id)p->set, params,
				sd_bus_get_current_message(bus));
	if (!call)
		return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED,
					 "setting %s did not complete", property);
	r = call->error ? sd_bus_error_set(error, call->error, call->message) : 0;
	dbus_call_free(call);
	return r;
}

/* ------------------------------------------------------------- signals */

void
vmd_dbus_emit_event(struct vmd_domain *d, const char *event,
		    const char *detail)
{
	struct vmd_dbus *db = d->vmd->dbus;
	int r;

	if (!db || !db->bus)
		return;
	r = sd_bus_emit_signal(db->bus, VMD_DBUS_PATH, VMD_DBUS_MANAGER_IFACE,
			       "DomainEvent", "sss", d->def->name, event,
			       detail ? detail : "");
	if (r < 0)
		log_debug("D-Bus: DomainEvent %s %s: %s", d->def->name, event,
			  strerror(-r));
	dbus_kick(db);
}

void
vmd_dbus_domain_changed(struct vmd_domain *d)
{
	struct vmd_dbus *db = d->vmd->dbus;
	void *p;
	size_t i;

	if (!db || !db->bus)
		return;
	for (i = 0; i < db->nchanged; i++)
		if (!memcmp(db->changed_uuids[i], d->def->uuid, DOMAIN_UUID_LEN))
			return;
	if (db->nchanged == db->changed_cap) {
		p = reallocarray(db->changed_uuids, db->changed_cap * 2 + 8,
				 sizeof(*db->changed_uuids));
		if (!p)
			return;
		db->changed_uuids = p;
		db->changed_cap = db->changed_cap * 2 + 8;
	}
	memcpy(db->changed_uuids[db->nchanged++], d->def->uuid, DOMAIN_UUID_LEN);
	event_active(db->changed_ev, EV_TIMEOUT, 0);
}

/* Sent from the loop, not from inside set_state: the values are then
 * those of the whole change (state, pid, console together), and a domain
 * removed meanwhile is simply skipped. */
static void
dbus_on_changed(evutil_socket_t fd, short what, void *arg)
{
	struct vmd_dbus *db = arg;
	struct vmd_domain *d;
	char *path;
	size_t i;
	int r;

	(void)fd;
	(void)what;
	for (i = 0; db->bus && i < db->nchanged; i++) {
		d = dbus_domain_by_uuid(db->vmd, db->changed_uuids[i]);
		if (!d || !(path = dbus_domain_path(d)))
			continue;
		r = sd_bus_emit_properties_changed_strv(db->bus, path,
			VMD_DBUS_DOMAIN_IFACE, dbus_changed_names);
		if (r < 0)
			log_debug("D-Bus: PropertiesChanged %s: %s", path,
				  strerror(-r));
		free(path);
	}
	db->nchanged = 0;
	dbus_process(db);
}

/* ------------------------------------------------------------ set-up */

int
vmd_dbus_bus_parse(const char *s)
{
	if (!strcmp(s, "system"))
		return VMD_DBUS_SYSTEM;
	if (!strcmp(s, "session") || !strcmp(s, "user"))
		return VMD_DBUS_SESSION;
	if (!strcmp(s, "none") || !strcmp(s, "no") || !strcmp(s, "off"))
		return VMD_DBUS_NONE;
	return -1;
}

static int
dbus_publish(struct vmd_dbus *db)
{
	sd_bus *bus = db->bus;
	size_t i, n = 0;
	int r;

	for (i = 0; i < ARRAY_SIZE(dbus_props); i++)
		if (dbus_props[i].on_domain &&
		    (dbus_props[i].flags & SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE))
			dbus_changed_names[n++] = (char *)dbus_props[i].name;
	dbus_changed_names[n] = NULL;
	r = sd_bus_add_object_vtable(bus, NULL, VMD_DBUS_PATH,
				     VMD_DBUS_MANAGER_IFACE,
				     dbus_manager_vtable, db->vmd);
	if (r >= 0)
		r = sd_bus_add_fallback_vtable(bus, NULL, VMD_DBUS_DOMAIN_PREFIX,
					       VMD_DBUS_DOMAIN_IFACE,
					       dbus_domain_vtable,
					       dbus_find_domain, db->vmd);
	if (r >= 0)
		r = sd_bus_add_node_enumerator(bus, NULL, VMD_DBUS_DOMAIN_PREFIX,
					       dbus_enumerate, db->vmd);
	return r;
}

struct vmd_dbus *
vmd_dbus_open(struct vmd *vmd, enum vmd_dbus_bus which)
{
	const char *what = which == VMD_DBUS_SYSTEM ? "system" : "session";
	struct vmd_dbus *db;
	int r;

	if (which == VMD_DBUS_NONE) {
		log_info("D-Bus: off (--no-dbus): JSON-RPC only");
		return NULL;
	}
	db = calloc(1, sizeof(*db));
	if (!db)
		return NULL;
	db->vmd = vmd;
	r = which == VMD_DBUS_SYSTEM ? sd_bus_open_system(&db->bus) :
				       sd_bus_open_user(&db->bus);
	if (r < 0) {
		log_warn("D-Bus: no %s bus (%s): vmd carries on without D-Bus, JSON-RPC only",
			 what, strerror(-r));
		goto fail;
	}
	r = dbus_publish(db);
	if (r < 0) {
		log_error("D-Bus: cannot publish the objects: %s", strerror(-r));
		goto fail;
	}
	r = sd_bus_request_name(db->bus, VMD_DBUS_NAME, 0);
	if (r < 0) {
		log_warn("D-Bus: cannot own %s on the %s bus (%s%s): vmd carries on without D-Bus, JSON-RPC only",
			 VMD_DBUS_NAME, what, strerror(-r),
			 r == -EEXIST ? ": another vmd has it" :
			 (r == -EACCES || r == -EPERM) ?
			 ": is org.vmd1.conf installed in /usr/share/dbus-1/system.d?" : "");
		goto fail;
	}
	db->io = event_new(vmd->base, -1, 0, dbus_on_event, db);
	db->timer = evtimer_new(vmd->base, dbus_on_event, db);
	db->kick = event_new(vmd->base, -1, 0, dbus_on_event, db);
	db->changed_ev = event_new(vmd->base, -1, 0, dbus_on_changed, db);
	if (!db->io || !db->timer || !db->kick || !db->changed_ev) {
		log_error("D-Bus: out of memory");
		goto fail;
	}
	vmd->dbus = db;
	log_info("D-Bus: %s on the %s bus", VMD_DBUS_NAME, what);
	dbus_process(db);
	return db;
fail:
	vmd_dbus_close(db);
	return NULL;
}

void
vmd_dbus_close(struct vmd_dbus *db)
{
	if (!db)
		return;
	if (db->vmd && db->vmd->dbus == db)
		db->vmd->dbus = NULL;
	if (db->io)
		event_free(db->io);
	if (db->timer)
		event_free(db->timer);
	if (db->kick)
		event_free(db->kick);
	if (db->changed_ev)
		event_free(db->changed_ev);
	if (db->bus)
		sd_bus_flush_close_unref(db->bus);
	free(db->changed_uuids);
	free(db);
}
