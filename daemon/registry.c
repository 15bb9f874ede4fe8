/* The daemon's domains: lookup, state changes and the events they emit. */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbus.h"
#include "domain.h"
#include "jsonrpc.h"
#include "log.h"
#include "util.h"
#include "vmd.h"

static const char *const vmd_state_names[] = {
	[VMD_SHUTOFF] = "shutoff",
	[VMD_STARTING] = "starting",
	[VMD_RUNNING] = "running",
	[VMD_PAUSED] = "paused",
	[VMD_SHUTTING_DOWN] = "shutting-down",
	[VMD_CRASHED] = "crashed",
};

const char *
vmd_state_name(enum vmd_state s)
{
	return vmd_state_names[s];
}

bool
vmd_domain_active(const struct vmd_domain *d)
{
	return d->pid > 0;
}

struct vmd_domain *
vmd_domain_find(struct vmd *vmd, const char *name)
{
	struct vmd_domain *d;

	for (d = vmd->domains; d; d = d->next)
		if (!strcmp(d->def->name, name))
			return d;
	return NULL;
}

struct vmd_domain *
vmd_domain_add(struct vmd *vmd, struct domain_def *def)
{
	struct vmd_domain *d = calloc(1, sizeof(*d)), **pp;

	if (!d)
		return NULL;
	d->vmd = vmd;
	d->def = def;
	d->pidfd = -1;
	d->state = VMD_SHUTOFF;
	/* Keep the list sorted by name: "vmctl list" reads it in order. */
	for (pp = &vmd->domains; *pp && strcmp((*pp)->def->name, def->name) < 0;
	     pp = &(*pp)->next)
		;
	d->next = *pp;
	*pp = d;
	return d;
}

void
vmd_domain_remove(struct vmd_domain *d)
{
	struct vmd_domain **pp;

	for (pp = &d->vmd->domains; *pp; pp = &(*pp)->next) {
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	}
	if (d->timer)
		event_free(d->timer);
	if (d->pid_ev)
		event_free(d->pid_ev);
	if (d->pidfd >= 0)
		close(d->pidfd);
	domain_def_free(d->def);
	free(d);
}

void
vmd_domain_set_state(struct vmd_domain *d, enum vmd_state s,
		     const char *reason)
{
	bool changed = d->state != s || strcmp(d->reason, reason ? reason : "");

	if (d->state != s)
		log_info("%s: %s -> %s%s%s", d->def->name,
			 vmd_state_name(d->state), vmd_state_name(s),
			 reason && *reason ? ": " : "", reason ? reason : "");
	d->state = s;
	util_strlcpy(d->reason, reason ? reason : "", sizeof(d->reason));
	if (changed)
		vmd_dbus_domain_changed(d);
}

void
vmd_emit_event(struct vmd_domain *d, const char *event, const char *detail)
{
	struct json_object *p = json_object_new_object();
	char uuid[DOMAIN_UUID_STRLEN];

	json_object_object_add(p, "name", json_object_new_string(d->def->name));
	json_object_object_add(p, "uuid", json_object_new_string(
		domain_uuid_format(d->def->uuid, uuid)));
	json_object_object_add(p, "event", json_object_new_string(event));
	json_object_object_add(p, "detail",
			       json_object_new_string(detail ? detail : ""));
	rpc_server_broadcast(d->vmd->rpc, "domain.event", p);
	vmd_dbus_emit_event(d, event, detail);
}

void
vmd_waiters_add(struct vmd_waiter **list, struct rpc_call *call)
{
	struct vmd_waiter *w = calloc(1, sizeof(*w));

	if (!w) {
		rpc_call_fail(call, RPC_ERR_OPERATION_FAILED, "out of memory");
		return;
	}
	w->call = call;
	w->next = *list;
	*list = w;
}

struct vmd_waiter *
vmd_waiters_take(struct vmd_waiter **list)
{
	struct vmd_waiter *w = *list;

	*list = NULL;
	return w;
}
