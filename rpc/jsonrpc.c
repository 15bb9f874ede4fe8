#include "jsonrpc.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

static const struct {
	int code;
	const char *name;
} rpc_errors[] = {
#define ERROR(id, code, name, desc) [RPC_ERR_##id] = { code, name },
#include "errors.def"
#undef ERROR
};

struct rpc_client {
	struct rpc_server *srv;
	struct bufferevent *bev;
	struct rpc_client *next;
	unsigned refs;       /* the connection itself + pending calls */
	bool closed;
	bool subscribed;
	struct ucred cred;
	int ngroups;            /* SO_PEERGROUPS; -1: unknown */
	gid_t groups[RPC_MAX_PEER_GROUPS];
};

/* Replies to the calls of one batch request (a JSON array) go back
 * together, as one array, once the last of them is answered. */
struct rpc_batch {
	struct rpc_client *client;
	struct json_object *responses;
	unsigned pending;
};

/* A call that came over the socket: the JSON-RPC implementation of
 * struct rpc_call. */
struct rpc_json_call {
	struct rpc_call base;
	struct rpc_client *client;
	struct json_object *id;
	bool notification;      /* no "id": the caller wants no answer */
	struct rpc_batch *batch; /* NULL: a single request */
};

struct rpc_server {
	struct event_base *base;
	struct evconnlistener *listener;
	const struct rpc_method *methods;
	size_t nmethods;
	void *ctx;
	struct rpc_client *clients;
	unsigned nclients;
};

const char *
rpc_error_name(enum rpc_error err)
{
	return rpc_errors[err].name;
}

int
rpc_error_code(enum rpc_error err)
{
	return rpc_errors[err].code;
}

static void
rpc_client_put(struct rpc_client *cl)
{
	if (--cl->refs == 0)
		free(cl);
}

static void
rpc_client_close(struct rpc_client *cl)
{
	struct rpc_server *srv = cl->srv;
	struct rpc_client **pp;

	if (cl->closed)
		return;
	cl->closed = true;
	for (pp = &srv->clients; *pp; pp = &(*pp)->next) {
		if (*pp == cl) {
			*pp = cl->next;
			break;
		}
	}
	srv->nclients--;
	bufferevent_free(cl->bev);
	cl->bev = NULL;
	rpc_client_put(cl);
}

static void
rpc_client_send(struct rpc_client *cl, struct json_object *msg)
{
	struct evbuffer *out;

	if (cl->closed)
		return;
	out = bufferevent_get_output(cl->bev);
	/* A client that does not read its replies or events loses its
	 * connection rather than our memory. */
	if (evbuffer_get_length(out) > RPC_MAX_PENDING_OUTPUT) {
		log_warn("rpc: dropping client pid %d: %zu bytes unread",
			 (int)cl->cred.pid, evbuffer_get_length(out));
		rpc_client_close(cl);
		return;
	}
	evbuffer_add_printf(out, "%s\n",
		json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
}

static struct json_object *
rpc_message_new(struct json_object *id)
{
	struct json_object *msg = json_object_new_object();

	json_object_object_add(msg, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(msg, "id", id ? json_object_get(id) : NULL);
	return msg;
}

static void
rpc_batch_put(struct rpc_batch *b)
{
	if (--b->pending)
		return;
	/* All answered: one array, or nothing if all were notifications. */
	if (json_object_array_length(b->responses))
		rpc_client_send(b->client, b->responses);
	json_object_put(b->responses);
	rpc_client_put(b->client);
	free(b);
}

/* Sends (or files into its batch) the answer to a call, and frees it. */
static void
rpc_json_call_finish(struct rpc_json_call *call, struct json_object *msg)
{
	if (call->notification) {
		json_object_put(msg);
	} else if (call->batch) {
		json_object_array_add(call->batch->responses, msg);
	} else {
		rpc_client_send(call->client, msg);
		json_object_put(msg);
	}
	if (call->batch)
		rpc_batch_put(call->batch);
	json_object_put(call->id);
	rpc_client_put(call->client);
	free(call);
}

static void
rpc_json_reply(struct rpc_call *base, struct json_object *result)
{
	struct rpc_json_call *call = (struct rpc_json_call *)base;
	struct json_object *msg = rpc_message_new(call->id);

	json_object_object_add(msg, "result",
			       result ? result : json_object_new_object());
	rpc_json_call_finish(call, msg);
}

static void
rpc_json_fail(struct rpc_call *base, int code, const char *name,
	      const char *text)
{
	struct rpc_json_call *call = (struct rpc_json_call *)base;
	struct json_object *msg = rpc_message_new(call->id);
	struct json_object *error = json_object_new_object();

	json_object_object_add(error, "code", json_object_new_int(code));
	json_object_object_add(error, "message", json_object_new_string(text));
	if (name) {
		struct json_object *data = json_object_new_object();

		json_object_object_add(data, "name", json_object_new_string(name));
		json_object_object_add(error, "data", data);
	}
	json_object_object_add(msg, "error", error);
	rpc_json_call_finish(call, msg);
}

static void
rpc_json_subscribe(struct rpc_call *base)
{
	((struct rpc_json_call *)base)->client->subscribed = true;
}

static bool
rpc_json_peer(struct rpc_call *base, struct rpc_peer *peer)
{
	struct rpc_client *cl = ((struct rpc_json_call *)base)->client;

	peer->uid = cl->cred.uid;
	peer->gid = cl->cred.gid;
	peer->pid = cl->cred.pid;
	peer->ngroups = cl->ngroups;
	if (cl->ngroups > 0)
		memcpy(peer->groups, cl->groups,
		       (size_t)cl->ngroups * sizeof(gid_t));
	return cl->cred.pid != 0;
}

static const struct rpc_call_ops rpc_json_call_ops = {
	.reply = rpc_json_reply,
	.fail = rpc_json_fail,
	.subscribe = rpc_json_subscribe,
	.peer = rpc_json_peer,
};

static struct rpc_json_call *
rpc_json_call_new(struct rpc_client *cl, struct rpc_batch *batch)
{
	struct rpc_json_call *call = calloc(1, sizeof(*call));

	if (!call)
		return NULL;
	call->base.ops = &rpc_json_call_ops;
	call->client = cl;
	cl->refs++;
	call->batch = batch;
	if (batch)
		batch->pending++;
	return call;
}

void
rpc_call_reply(struct rpc_call *call, struct json_object *result)
{
	call->ops->reply(call, result);
}

static void
rpc_call_vfail(struct rpc_call *call, int code, const char *name,
	       const char *fmt, va_list ap)
{
	char text[1024];

	vsnprintf(text, sizeof(text), fmt, ap);
	call->ops->fail(call, code, name, text);
}

void
rpc_call_fail(struct rpc_call *call, enum rpc_error err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rpc_call_vfail(call, rpc_errors[err].code, rpc_errors[err].name, fmt, ap);
	va_end(ap);
}

void
rpc_call_fail_code(struct rpc_call *call, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rpc_call_vfail(call, code, NULL, fmt, ap);
	va_end(ap);
}

void
rpc_call_subscribe(struct rpc_call *call)
{
	if (call->ops->subscribe)
		call->ops->subscribe(call);
}

bool
rpc_call_peer_creds(struct rpc_call *call, struct rpc_peer *peer)
{
	memset(peer, 0, sizeof(*peer));
	peer->ngroups = -1;
	return call->ops->peer && call->ops->peer(call, peer);
}

bool
rpc_call_peer(struct rpc_call *call, unsigned *uid, unsigned *gid, int *pid)
{
	struct rpc_peer peer;
	bool known = rpc_call_peer_creds(call, &peer);

	*uid = peer.uid;
	*gid = peer.gid;
	*pid = peer.pid;
	return known;
}

/* The groups the peer's process had when it connected (the kernel's or the
 * bus's word); only when they are unknown, the group database's. */
static bool
rpc_peer_in_group(const struct rpc_peer *peer, gid_t gid)
{
	gid_t groups[RPC_MAX_PEER_GROUPS];
	struct passwd pw, *pwp = NULL;
	char buf[4096];
	int i, n = RPC_MAX_PEER_GROUPS;

	if (peer->gid == gid)
		return true;
	if (peer->ngroups >= 0) {
		for (i = 0; i < peer->ngroups; i++)
			if (peer->groups[i] == gid)
				return true;
		return false;
	}
	if (getpwuid_r(peer->uid, &pw, buf, sizeof(buf), &pwp) || !pwp)
		return false;
	if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0)
		return false;
	for (i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

bool
rpc_peer_privileged(const struct rpc_peer *peer)
{
	struct group gr, *grp = NULL;
	char buf[4096];

	if (peer->uid == 0 || peer->uid == geteuid())
		return true;
	if (getgrnam_r(RPC_ADMIN_GROUP, &gr, buf, sizeof(buf), &grp) || !grp)
		return false;
	return rpc_peer_in_group(peer, gr.gr_gid);
}

void
rpc_invoke(const struct rpc_method *method, struct rpc_call *call,
	   struct json_object *params, void *ctx)
{
	struct rpc_peer peer;

	if (method->access == RPC_ACCESS_write) {
		if (!rpc_call_peer_creds(call, &peer)) {
			rpc_call_fail(call, RPC_ERR_PERMISSION_DENIED,
				      "%s changes state, and vmd cannot tell who is calling",
				      method->name);
			return;
		}
		if (!rpc_peer_privileged(&peer)) {
			rpc_call_fail(call, RPC_ERR_PERMISSION_DENIED,
				      "%s changes state: only root and members of group '%s' may call it (you are uid %u)",
				      method->name, RPC_ADMIN_GROUP,
				      (unsigned)peer.uid);
			return;
		}
	}
	method->fn(call, params, ctx);
}

const char *
rpc_param_string(struct rpc_call *call, struct json_object *params,
		 const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(params, key, &v) ||
	    !json_object_is_type(v, json_type_string)) {
		rpc_call_fail_code(call, RPC_INVALID_PARAMS,
				   "missing string parameter \"%s\"", key);
		return NULL;
	}
	return json_object_get_string(v);
}

bool
rpc_param_bool(struct rpc_call *call, struct json_object *params,
	       const char *key, bool dflt, bool *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(params, key, &v) || !v) {
		*out = dflt;
		return true;
	}
	if (!json_object_is_type(v, json_type_boolean)) {
		rpc_call_fail_code(call, RPC_INVALID_PARAMS,
				   "parameter \"%s\" must be true or false", key);
		return false;
	}
	*out = json_object_get_boolean(v);
	return true;
}

void
rpc_server_broadcast(struct rpc_server *srv, const char *method,
		     struct json_object *params)
{
	struct json_object *msg = json_object_new_object();
	struct rpc_client *cl, *next;

	json_object_object_add(msg, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(msg, "method", json_object_new_string(method));
	json_object_object_add(msg, "params", params);
	for (cl = srv->clients; cl; cl = next) {
		next = cl->next;
		if (cl->subscribed)
			rpc_client_send(cl, msg);
	}
	json_object_put(msg);
}

/* One request object, alone or as a member of a batch. */
static void
rpc_dispatch_one(struct rpc_client *cl, struct json_object *req,
		 struct rpc_batch *batch)
{
	struct rpc_server *srv = cl->srv;
	struct json_object *v, *id = NULL, *params = NULL;
	struct rpc_json_call *jcall = rpc_json_call_new(cl, batch);
	struct rpc_call *call;
	const char *name;
	size_t i;

	if (!jcall)
		return;
	call = &jcall->base;
	if (!json_object_is_type(req, json_type_object)) {
		rpc_call_fail_code(call, RPC_INVALID_REQUEST,
				   "a request must be a JSON object");
		return;
	}
	if (json_object_object_get_ex(req, "id", &id))
		jcall->id = json_object_get(id);
	if (!json_object_object_get_ex(req, "jsonrpc", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "2.0")) {
		rpc_call_fail_code(call, RPC_INVALID_REQUEST,
				   "\"jsonrpc\" must be \"2.0\"");
		return;
	}
	if (!json_object_object_get_ex(req, "method", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		rpc_call_fail_code(call, RPC_INVALID_REQUEST,
				   "\"method\" must be a string");
		return;
	}
	/* A well-formed request without "id" is a notification: it runs,
	 * but nothing is answered (JSON-RPC 2.0, section 4.1). */
	jcall->notification = !json_object_object_get_ex(req, "id", NULL);
	name = json_object_get_string(v);
	if (json_object_object_get_ex(req, "params", &params) && params &&
	    !json_object_is_type(params, json_type_object)) {
		rpc_call_fail_code(call, RPC_INVALID_PARAMS,
				   "\"params\" must be an object");
		return;
	}
	for (i = 0; i < srv->nmethods; i++)
		if (!strcmp(srv->methods[i].name, name))
			break;
	if (i == srv->nmethods) {
		rpc_call_fail_code(call, RPC_METHOD_NOT_FOUND,
				   "no method named '%.64s'", name);
		return;
	}
	params = params ? json_object_get(params) : json_object_new_object();
	rpc_invoke(&srv->methods[i], call, params, srv->ctx);
	json_object_put(params);
}

/* Fails a request that could not even be read as one (no id known). */
static void
rpc_fail_unparsed(struct rpc_client *cl, int code, const char *text)
{
	struct rpc_json_call *jcall = rpc_json_call_new(cl, NULL);

	if (jcall)
		rpc_call_fail_code(&jcall->base, code, "%s", text);
}

static void
rpc_dispatch(struct rpc_client *cl, const char *line, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *req;
	struct rpc_batch *batch;
	char text[256];
	size_t i, n;

	if (!tok)
		return;
	/* The terminating NUL goes in too: it ends a bare number ("42"),
	 * which json-c would otherwise wait to see continue. */
	req = json_tokener_parse_ex(tok, line, (int)len + 1);
	if (!req || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) < len) {
		snprintf(text, sizeof(text), "parse error: %s",
			 req ? "trailing data after the JSON value" :
			 json_tokener_error_desc(json_tokener_get_error(tok)));
		rpc_fail_unparsed(cl, RPC_PARSE_ERROR, text);
		goto out;
	}
	if (!json_object_is_type(req, json_type_array)) {
		rpc_dispatch_one(cl, req, NULL);
		goto out;
	}
	n = json_object_array_length(req);
	if (n == 0 || n > RPC_MAX_BATCH) {
		snprintf(text, sizeof(text), n ? "a batch holds at most %u requests" :
			 "an empty batch is not a request", RPC_MAX_BATCH);
		rpc_fail_unparsed(cl, RPC_INVALID_REQUEST, text);
		goto out;
	}
	batch = calloc(1, sizeof(*batch));
	if (!batch || !(batch->responses = json_object_new_array())) {
		free(batch);
		goto out;
	}
	batch->client = cl;
	cl->refs++;
	/* Held while dispatching, so a batch whose calls all answer at once
	 * is sent after the last of them, not after the first. */
	batch->pending = 1;
	for (i = 0; i < n; i++)
		rpc_dispatch_one(cl, json_object_array_get_idx(req, i), batch);
	rpc_batch_put(batch);
out:
	json_object_put(req);
	json_tokener_free(tok);
}

static void rpc_client_event(struct bufferevent *bev, short what, void *arg);

static void
rpc_client_drained(struct bufferevent *bev, void *arg)
{
	(void)bev;
	rpc_client_close(arg);
}

static void
rpc_client_hang_up(struct rpc_client *cl)
{
	struct timeval tv = { 5, 0 };

	bufferevent_disable(cl->bev, EV_READ);
	if (!evbuffer_get_length(bufferevent_get_output(cl->bev))) {
		rpc_client_close(cl);
		return;
	}
	bufferevent_set_timeouts(cl->bev, NULL, &tv);
	bufferevent_setcb(cl->bev, NULL, rpc_client_drained, rpc_client_event,
			  cl);
}

static void
rpc_client_read(struct bufferevent *bev, void *arg)
{
	struct rpc_client *cl = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t len;

	/* A method may close this client (e.g. output limit): hold it. */
	cl->refs++;
	while (!cl->closed &&
	       (line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF))) {
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		if (len)
			rpc_dispatch(cl, line, len);
		free(line);
	}
	if (!cl->closed && evbuffer_get_length(in) > RPC_MAX_REQUEST) {
		struct rpc_json_call *call = rpc_json_call_new(cl, NULL);

		if (call) {
			rpc_call_fail(&call->base, RPC_ERR_LIMIT_EXCEEDED,
				      "request larger than %u bytes",
				      RPC_MAX_REQUEST);
		}
		/* Say why before hanging up, but read nothing more: the
		 * connection closes once the answer has gone out. */
		rpc_client_hang_up(cl);
	}
	rpc_client_put(cl);
}

static void
rpc_client_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		rpc_client_close(arg);
}

static void
rpc_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
	   int salen, void *arg)
{
	struct rpc_server *srv = arg;
	struct rpc_client *cl;
	socklen_t len;

	(void)l;
	(void)sa;
	(void)salen;
	if (srv->nclients >= RPC_MAX_CLIENTS) {
		static const char busy[] =
			"{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32009,"
			"\"message\":\"too many clients\",\"data\":{\"name\":\"LimitExceeded\"}}}\n";

		if (write(fd, busy, sizeof(busy) - 1) < 0)
			log_debug("rpc: refusing client: %s", strerror(errno));
		close(fd);
		return;
	}
	cl = calloc(1, sizeof(*cl));
	if (!cl) {
		close(fd);
		return;
	}
	len = sizeof(cl->cred);
	getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cl->cred, &len);
	/* The groups the client had when it connected, as for the socket's
	 * own permission check (none were lost by a later setgroups()). */
	len = sizeof(cl->groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, cl->groups, &len))
		cl->ngroups = -1;
	else
		cl->ngroups = (int)(len / sizeof(gid_t));
	cl->srv = srv;
	cl->refs = 1;
	cl->bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!cl->bev) {
		close(fd);
		free(cl);
		return;
	}
	bufferevent_setcb(cl->bev, rpc_client_read, NULL, rpc_client_event, cl);
	bufferevent_enable(cl->bev, EV_READ | EV_WRITE);
	cl->next = srv->clients;
	srv->clients = cl;
	srv->nclients++;
}

struct rpc_server *
rpc_server_new(struct event_base *base, int listen_fd,
	       const struct rpc_method *methods, size_t nmethods, void *ctx)
{
	struct rpc_server *srv = calloc(1, sizeof(*srv));

	if (!srv)
		return NULL;
	srv->base = base;
	srv->methods = methods;
	srv->nmethods = nmethods;
	srv->ctx = ctx;
	srv->listener = evconnlistener_new(base, rpc_accept, srv,
		LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, listen_fd);
	if (!srv->listener) {
		free(srv);
		return NULL;
	}
	return srv;
}

void
rpc_server_free(struct rpc_server *srv)
{
	if (!srv)
		return;
	while (srv->clients)
		rpc_client_close(srv->clients);
	evconnlistener_free(srv->listener);
	free(srv);
}
