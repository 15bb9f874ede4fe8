/* vmd: the daemon. One libevent loop owns everything below; nothing here
 * is touched from another thread. */
#ifndef VMD_DAEMON_VMD_H
#define VMD_DAEMON_VMD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "jsonrpc.h"

struct event;
struct event_base;
struct rpc_server;
struct rpc_call;
struct vmd_dbus;
struct domain_def;
struct json_object;

enum vmd_state {
	VMD_SHUTOFF,
	VMD_STARTING,
	VMD_RUNNING,
	VMD_PAUSED,
	VMD_SHUTTING_DOWN,
	VMD_CRASHED,
};

/* A call waiting for a domain to reach a state (start, destroy). */
struct vmd_waiter {
	struct rpc_call *call;
	struct vmd_waiter *next;
};

struct vmd_domain {
	struct vmd *vmd;
	struct domain_def *def;
	enum vmd_state state;
	char reason[256];   /* why it is in this state, for info/events */
	bool autostart;

	/* Live state while a vmd-vm process exists. */
	pid_t pid;
	int pidfd;
	bool is_child;          /* we forked it (else: reattached) */
	struct event *pid_ev;   /* pidfd readable: the process ended */
	struct event *timer;    /* start polling, destroy deadline */
	unsigned start_polls;
	bool destroying;        /* a destroy is in progress */
	bool shutdown_requested;
	struct vmd_waiter *start_waiters;
	struct vmd_waiter *stop_waiters;

	struct vmd_domain *next;
};

struct vmd {
	struct event_base *base;
	struct rpc_server *rpc;
	const char *socket_path;
	const char *state_dir;
	const char *run_dir;
	const char *vmm_path;   /* the vmd-vm binary */
	struct vmd_domain *domains;
	struct vmd_dbus *dbus;  /* NULL: no D-Bus (--no-dbus, no bus) */
};

/* registry.c */
const char *vmd_state_name(enum vmd_state s);
struct vmd_domain *vmd_domain_find(struct vmd *vmd, const char *name);
struct vmd_domain *vmd_domain_add(struct vmd *vmd, struct domain_def *def);
void vmd_domain_remove(struct vmd_domain *d);
void vmd_domain_set_state(struct vmd_domain *d, enum vmd_state s,
			  const char *reason);
/* Broadcasts domain.event to subscribers. */
void vmd_emit_event(struct vmd_domain *d, const char *event, const char *detail);
bool vmd_domain_active(const struct vmd_domain *d);
void vmd_waiters_add(struct vmd_waiter **list, struct rpc_call *call);
struct vmd_waiter *vmd_waiters_take(struct vmd_waiter **list);

/* store.c: persistent definitions under <state_dir>. */
int store_init(struct vmd *vmd);
int store_save_domain(struct vmd *vmd, const struct domain_def *def);
int store_delete_domain(struct vmd *vmd, const char *name);
int store_load_domains(struct vmd *vmd);
int store_set_autostart(struct vmd *vmd, const char *name, bool enable);
bool store_get_autostart(struct vmd *vmd, const char *name);
/* Writes data to path atomically: temp file, fsync, rename, fsync dir. */
int store_write_atomic(const char *path, const char *data, size_t len);

/* supervisor.c: vmd-vm processes. */
int supervisor_start(struct vmd_domain *d, char *err, size_t errlen);
/* Sends one control command; cb gets the reply (NULL: no answer). */
typedef void (*supervisor_cb)(struct vmd_domain *d, struct json_object *reply,
			      void *arg);
int supervisor_control(struct vmd_domain *d, const char *cmd, supervisor_cb cb,
		       void *arg);
void supervisor_destroy(struct vmd_domain *d);
/* Finds vmd-vm processes left by an earlier vmd and takes them back. */
void supervisor_reattach_all(struct vmd *vmd);
/* <run_dir>/<name>/<file> */
int supervisor_path(const struct vmd *vmd, const char *name, const char *file,
		    char *buf, size_t size);

/* display.c: the SPICE display of a running domain. display_prepare picks
 * the port (autoport), writes the URI and password files into the run dir
 * and gives vmd-vm's --spice value (empty: no graphics). */
int display_prepare(struct vmd_domain *d, char *opt, size_t optlen, char *err,
		    size_t errlen);
/* -ENOENT: not running or no graphics. */
int display_uri(const struct vmd_domain *d, char *uri, size_t len);

/* methods.c: one entry per rpc/methods.def row, in its order. */
enum vmd_method_id {
#define METHOD(id, ...) VMD_METHOD_##id,
#include "methods.def"
#undef METHOD
	VMD_METHOD_COUNT
};
extern const struct rpc_method vmd_methods[];
extern const unsigned vmd_nmethods;

#endif
