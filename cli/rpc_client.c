/* JSON-RPC 2.0 over vmd's unix socket, one JSON object per line each way
 * (docs/rpc.md). The client is synchronous: one call in flight at a time,
 * which is all a command-line tool needs; notifications that overtake a
 * reply are queued, not lost, because `vmctl events` subscribes and then
 * must see every event that followed the subscription. */
#include "rpc_client.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

/* A reply larger than this is a broken or hostile peer, not a big domain
 * XML; stop buffering rather than grow without bound. */
#define VMCTL_RPC_MAX_LINE (16u << 20)

struct vmctl_rpc_note {
	struct vmctl_rpc_note *next;
	char *method;
	json_object *params;
};

struct vmctl_rpc {
	int fd;
	unsigned timeout_ms;
	int64_t next_id;
	char *buf;		/* bytes read, not yet parsed */
	size_t len;
	size_t cap;
	struct vmctl_rpc_note *head;
	struct vmctl_rpc_note **tail;
	char *last_method;	/* returned by vmctl_rpc_next_event() */
};

int
vmctl_rpc_open_fd(struct vmctl_rpc **rpcp, int fd)
{
	struct vmctl_rpc *rpc = calloc(1, sizeof(*rpc));

	if (!rpc) {
		close(fd);
		return -ENOMEM;
	}
	rpc->fd = fd;
	rpc->timeout_ms = 60000;
	rpc->next_id = 1;
	rpc->tail = &rpc->head;
	*rpcp = rpc;
	return 0;
}

int
vmctl_unix_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (util_strlcpy(sa.sun_path, path, sizeof(sa.sun_path)) < 0)
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int
vmctl_rpc_connect(struct vmctl_rpc **rpcp, const char *path)
{
	int fd = vmctl_unix_connect(path);

	if (fd < 0)
		return fd;
	return vmctl_rpc_open_fd(rpcp, fd);
}

void
vmctl_rpc_close(struct vmctl_rpc *rpc)
{
	struct vmctl_rpc_note *n, *next;

	if (!rpc)
		return;
	for (n = rpc->head; n; n = next) {
		next = n->next;
		free(n->method);
		json_object_put(n->params);
		free(n);
	}
	if (rpc->fd >= 0)
		close(rpc->fd);
	free(rpc->last_method);
	free(rpc->buf);
	free(rpc);
}

void
vmctl_rpc_set_timeout(struct vmctl_rpc *rpc, unsigned timeout_ms)
{
	rpc->timeout_ms = timeout_ms;
}

static uint64_t
vmctl_rpc_deadline(unsigned timeout_ms)
{
	return timeout_ms ? util_now_ns() + (uint64_t)timeout_ms * 1000000u : 0;
}

/* Parse one line; anything but a whole JSON object is a protocol error. */
static int
vmctl_rpc_parse(const char *line, size_t len, json_object **msg)
{
	struct json_tokener *tok;
	json_object *obj;
	size_t end;

	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	obj = json_tokener_parse_ex(tok, line, (int)len);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!obj || end != len || !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		return -EPROTO;
	}
	*msg = obj;
	return 0;
}

/* Read until one whole line is buffered and return it parsed. Empty lines
 * are skipped. deadline_ns 0 waits for ever; -EINTR is passed up so a
 * caller that handles signals sees them. */
static int
vmctl_rpc_read_msg(struct vmctl_rpc *rpc, uint64_t deadline_ns,
		   json_object **msg)
{
	for (;;) {
		char *nl = rpc->len ? memchr(rpc->buf, '\n', rpc->len) : NULL;
		struct pollfd pfd = { .fd = rpc->fd, .events = POLLIN };
		int timeout = -1;
		ssize_t n;

		if (nl) {
			size_t line_len = (size_t)(nl - rpc->buf);
			int ret = 0;

			if (line_len)
				ret = vmctl_rpc_parse(rpc->buf, line_len, msg);
			rpc->len -= line_len + 1;
			memmove(rpc->buf, nl + 1, rpc->len);
			if (line_len)
				return ret;
			continue;
		}
		if (rpc->len >= VMCTL_RPC_MAX_LINE)
			return -EPROTO;
		if (rpc->cap - rpc->len < 4096) {
			size_t cap = rpc->cap ? rpc->cap * 2 : 8192;
			char *buf = realloc(rpc->buf, cap);

			if (!buf)
				return -ENOMEM;
			rpc->buf = buf;
			rpc->cap = cap;
		}
		if (deadline_ns) {
			uint64_t now = util_now_ns();

			if (now >= deadline_ns)
				return -ETIMEDOUT;
			timeout = (int)MIN((deadline_ns - now + 999999) / 1000000,
					   (uint64_t)INT32_MAX);
		}
		n = poll(&pfd, 1, timeout);
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ETIMEDOUT;
		n = read(rpc->fd, rpc->buf + rpc->len, rpc->cap - rpc->len);
		if (n < 0) {
			if (errno == EAGAIN)
				continue;
			return errno == EINTR ? -EINTR : -ECONNRESET;
		}
		if (n == 0)
			return -ECONNRESET;
		rpc->len += (size_t)n;
	}
}

static int
vmctl_rpc_queue_note(struct vmctl_rpc *rpc, json_object *msg)
{
	json_object *method, *params = NULL;
	struct vmctl_rpc_note *n;

	if (!json_object_object_get_ex(msg, "method", &method) ||
	    !json_object_is_type(method, json_type_string))
		return -EPROTO;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->method = strdup(json_object_get_string(method));
	if (json_object_object_get_ex(msg, "params", &params))
		n->params = json_object_get(params);
	else
		n->params = json_object_new_object();
	if (!n->method || !n->params) {
		free(n->method);
		json_object_put(n->params);
		free(n);
		return -ENOMEM;
	}
	*rpc->tail = n;
	rpc->tail = &n->next;
	return 0;
}

static void
vmctl_rpc_fill_error(json_object *error, struct vmctl_rpc_error *err)
{
	json_object *v, *data;

	memset(err, 0, sizeof(*err));
	if (json_object_object_get_ex(error, "code", &v))
		err->code = json_object_get_int(v);
	if (json_object_object_get_ex(error, "message", &v) &&
	    json_object_is_type(v, json_type_string))
		util_strlcpy(err->message, json_object_get_string(v),
			     sizeof(err->message));
	else
		snprintf(err->message, sizeof(err->message),
			 "error %d without a message", err->code);
	if (json_object_object_get_ex(error, "data", &data) &&
	    json_object_object_get_ex(data, "name", &v) &&
	    json_object_is_type(v, json_type_string))
		util_strlcpy(err->name, json_object_get_string(v),
			     sizeof(err->name));
}

static int
vmctl_rpc_send(struct vmctl_rpc *rpc, int64_t id, const char *method,
	       json_object *params)
{
	json_object *req = json_object_new_object();
	const char *text;
	char *line;
	size_t len;
	int ret;

	if (!req) {
		json_object_put(params);
		return -ENOMEM;
	}
	json_object_object_add(req, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(req, "id", json_object_new_int64(id));
	json_object_object_add(req, "method", json_object_new_string(method));
	if (params)
		json_object_object_add(req, "params", params);
	/* PLAIN keeps the request on one line: json-c escapes newlines
	 * inside strings, so the only '\n' is the terminator. */
	text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(text);
	line = malloc(len + 1);
	if (!line) {
		json_object_put(req);
		return -ENOMEM;
	}
	memcpy(line, text, len);
	line[len] = '\n';
	log_debug("-> %s", text);
	ret = util_write_all(rpc->fd, line, len + 1);
	free(line);
	json_object_put(req);
	if (ret < 0)
		return ret == -EPIPE ? -ECONNRESET : ret;
	return 0;
}

/* Does this reply answer request `id`? A null id answers whatever we sent
 * last: the daemon could not read our id (parse error). */
static bool
vmctl_rpc_is_reply_to(json_object *msg, int64_t id, bool *has_id)
{
	json_object *v;

	*has_id = json_object_object_get_ex(msg, "id", &v);
	if (!*has_id)
		return false;
	if (!v)
		return true;
	return json_object_is_type(v, json_type_int) &&
	       json_object_get_int64(v) == id;
}

int
vmctl_rpc_call(struct vmctl_rpc *rpc, const char *method, json_object *params,
	       json_object **result, struct vmctl_rpc_error *err)
{
	uint64_t deadline = vmctl_rpc_deadline(rpc->timeout_ms);
	int64_t id = rpc->next_id++;
	int ret;

	*result = NULL;
	ret = vmctl_rpc_send(rpc, id, method, params);
	if (ret < 0)
		return ret;
	for (;;) {
		json_object *msg, *v;
		bool has_id;

		ret = vmctl_rpc_read_msg(rpc, deadline, &msg);
		if (ret == -EINTR)
			continue;
		if (ret < 0)
			return ret;
		log_debug("<- %s", json_object_to_json_string_ext(msg,
			  JSON_C_TO_STRING_PLAIN));
		if (!vmctl_rpc_is_reply_to(msg, id, &has_id)) {
			/* A notification is kept; a stale reply dropped. */
			ret = has_id ? 0 : vmctl_rpc_queue_note(rpc, msg);
			json_object_put(msg);
			if (ret < 0)
				return ret;
			continue;
		}
		if (json_object_object_get_ex(msg, "error", &v) &&
		    json_object_is_type(v, json_type_object)) {
			vmctl_rpc_fill_error(v, err);
			ret = 1;
		} else if (json_object_object_get_ex(msg, "result", &v)) {
			*result = v ? json_object_get(v) : json_object_new_object();
			ret = 0;
		} else {
			ret = -EPROTO;
		}
		json_object_put(msg);
		return ret;
	}
}

int
vmctl_rpc_next_event(struct vmctl_rpc *rpc, unsigned timeout_ms,
		     const char **method, json_object **params)
{
	uint64_t deadline = vmctl_rpc_deadline(timeout_ms);

	for (;;) {
		struct vmctl_rpc_note *n = rpc->head;
		json_object *msg;
		bool has_id;
		int ret;

		if (n) {
			rpc->head = n->next;
			if (!rpc->head)
				rpc->tail = &rpc->head;
			free(rpc->last_method);
			rpc->last_method = n->method;
			*method = n->method;
			*params = n->params;
			free(n);
			return 0;
		}
		ret = vmctl_rpc_read_msg(rpc, deadline, &msg);
		if (ret < 0)
			return ret;
		vmctl_rpc_is_reply_to(msg, 0, &has_id);
		/* With no call in flight a reply can only be stale. */
		ret = has_id ? 0 : vmctl_rpc_queue_note(rpc, msg);
		json_object_put(msg);
		if (ret < 0)
			return ret;
	}
}
