/* JSON-RPC 2.0 over a stream socket, one JSON object per line (json-c on a
 * libevent loop), and what every transport shares: the call object, the
 * method table's shape, errors and the permission check. The server knows
 * nothing of domains: it parses, checks limits, dispatches to a method table
 * and frames replies. A method may answer at once or later (e.g. once a VM
 * has started): it keeps the call and finishes it with rpc_call_reply() or
 * rpc_call_fail(), whichever transport (JSON-RPC, D-Bus) the call came from. */
#ifndef VMD_RPC_JSONRPC_H
#define VMD_RPC_JSONRPC_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct event_base;
struct rpc_server;
struct rpc_call;

enum rpc_error {
#define ERROR(id, code, name, desc) RPC_ERR_##id,
#include "errors.def"
#undef ERROR
	RPC_ERR_COUNT
};

/* JSON-RPC's own codes. */
#define RPC_PARSE_ERROR      -32700
#define RPC_INVALID_REQUEST  -32600
#define RPC_METHOD_NOT_FOUND -32601
#define RPC_INVALID_PARAMS   -32602
#define RPC_INTERNAL_ERROR   -32603

/* Limits that keep one bad or slow client from hurting the others. */
#define RPC_MAX_REQUEST   (2u << 20)  /* one request line */
#define RPC_MAX_CLIENTS   64
#define RPC_MAX_BATCH     64          /* requests in one batch */
#define RPC_MAX_PENDING_OUTPUT (8u << 20) /* unread replies + events */

/* params is always an object (an empty one when the request had none). */
typedef void (*rpc_method_fn)(struct rpc_call *call, struct json_object *params,
			      void *ctx);

/* read: anyone who may reach the transport; write: changes something, so
 * only privileged callers (rpc_peer_privileged()). */
enum rpc_access {
	RPC_ACCESS_read,
	RPC_ACCESS_write,
};

struct rpc_method {
	const char *name;
	rpc_method_fn fn;
	enum rpc_access access;
};

/* The group whose members may call every method (besides root). */
#define RPC_ADMIN_GROUP "vmd"
#define RPC_MAX_PEER_GROUPS 64

struct rpc_peer {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	int ngroups;            /* supplementary groups; -1: unknown */
	gid_t groups[RPC_MAX_PEER_GROUPS];
};

/* A transport's half of a call. reply and fail end the call (they own it
 * from then on); subscribe may be NULL; peer fills in who called, or returns
 * false when that is unknown. */
struct rpc_call_ops {
	void (*reply)(struct rpc_call *call, struct json_object *result);
	void (*fail)(struct rpc_call *call, int code, const char *name,
		     const char *message);
	void (*subscribe)(struct rpc_call *call);
	bool (*peer)(struct rpc_call *call, struct rpc_peer *peer);
};

/* Transports embed this as the first member of their own call. */
struct rpc_call {
	const struct rpc_call_ops *ops;
};

/* Runs a method for a call from any transport: checks the caller may use
 * it (PermissionDenied otherwise), then calls it. */
void rpc_invoke(const struct rpc_method *method, struct rpc_call *call,
		struct json_object *params, void *ctx);
/* Root, the daemon's own user, or a member of RPC_ADMIN_GROUP. */
bool rpc_peer_privileged(const struct rpc_peer *peer);

struct rpc_server *rpc_server_new(struct event_base *base, int listen_fd,
				  const struct rpc_method *methods,
				  size_t nmethods, void *ctx);
void rpc_server_free(struct rpc_server *srv);

/* Sends a notification to every client that subscribed; takes params. */
void rpc_server_broadcast(struct rpc_server *srv, const char *method,
			  struct json_object *params);

/* Finish a call (takes ownership of result; NULL means {}). Both free the
 * call; a client that went away meanwhile just gets nothing. */
void rpc_call_reply(struct rpc_call *call, struct json_object *result);
void rpc_call_fail(struct rpc_call *call, enum rpc_error err, const char *fmt,
		   ...) __attribute__((format(printf, 3, 4)));
void rpc_call_fail_code(struct rpc_call *call, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The connection that made this call receives broadcasts from now on. */
void rpc_call_subscribe(struct rpc_call *call);
/* The caller's credentials (SO_PEERCRED, or the D-Bus sender's), for
 * permission checks. */
bool rpc_call_peer(struct rpc_call *call, unsigned *uid, unsigned *gid,
		   int *pid);
bool rpc_call_peer_creds(struct rpc_call *call, struct rpc_peer *peer);

/* For other transports (D-Bus) that share the error table. */
const char *rpc_error_name(enum rpc_error err);
int rpc_error_code(enum rpc_error err);

/* Param helpers: fail the call with RPC_INVALID_PARAMS and return NULL /
 * false when the member is missing or of the wrong type. */
const char *rpc_param_string(struct rpc_call *call, struct json_object *params,
			     const char *key);
bool rpc_param_bool(struct rpc_call *call, struct json_object *params,
		    const char *key, bool dflt, bool *out);

#endif
