/* The client side of vmd's control protocol: connect, call a method, read
 * notifications. Callers speak in method names and json-c objects only, so
 * another transport (D-Bus) can sit behind the same functions later; the
 * newline-delimited JSON-RPC 2.0 unix socket of docs/rpc.md is the one
 * implemented today. */
#ifndef VMD_CLI_RPC_CLIENT_H
#define VMD_CLI_RPC_CLIENT_H

#include <stddef.h>

#include <json-c/json.h>

struct vmctl_rpc;

/* A daemon's error reply: its JSON-RPC code, message and data.name. */
struct vmctl_rpc_error {
	int code;
	char message[512];
	char name[64];
};

/* A connected unix stream socket (close-on-exec), or a negative errno. */
int vmctl_unix_connect(const char *path);

/* Connect to the socket at path. Returns 0 or a negative errno. */
int vmctl_rpc_connect(struct vmctl_rpc **rpcp, const char *path);

/* Wrap an already connected stream socket (tests, socket activation).
 * The client owns fd from then on. */
int vmctl_rpc_open_fd(struct vmctl_rpc **rpcp, int fd);

void vmctl_rpc_close(struct vmctl_rpc *rpc);

/* How long to wait for a reply or a notification; 0 waits for ever. */
void vmctl_rpc_set_timeout(struct vmctl_rpc *rpc, unsigned timeout_ms);

/* Call method with params (taken over; NULL sends none). Returns 0 with
 * *result set (caller puts it), 1 when the daemon answered with an error
 * (err filled in), or a negative errno: -ETIMEDOUT without a reply in time,
 * -ECONNRESET when the daemon hung up, -EPROTO on a malformed reply.
 * Notifications that arrive meanwhile are kept for vmctl_rpc_next_event(). */
int vmctl_rpc_call(struct vmctl_rpc *rpc, const char *method,
		   json_object *params, json_object **result,
		   struct vmctl_rpc_error *err);

/* Wait up to timeout_ms (0: for ever) for the next notification. Returns 0
 * with *method (valid until the next call) and *params (caller puts it),
 * -ETIMEDOUT, -EINTR when a signal arrived, -ECONNRESET, or -EPROTO. */
int vmctl_rpc_next_event(struct vmctl_rpc *rpc, unsigned timeout_ms,
			 const char **method, json_object **params);

#endif
