#include "jsonrpc.h"

#include <errno.h>
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
};

struct rpc_call {
	struct rpc_client *client;
	struct json_object *id;
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
rpc_call_free(struct rpc_call *call)
{
	json_object_put(call->id);
	rpc_client_put(call->client);
	free(call);
}

void
rpc_call_reply(struct rpc_call *call, struct json_object *result)
{
	struct json_object *msg = rpc_message_new(call->id);

	json_object_object_add(msg, "result",
			       result ? result : json_object_new_object());
	rpc_client_send(call->client, msg);
	json_object_put(msg);
	rpc_call_free(call);
}

static void
rpc_call_vfail(struct rpc_call *call, int code, const char *name,
	       const char *fmt, va_list ap)
{
	struct json_object *msg = rpc_message_new(call->id);
	struct json_object *error = json_object_new_object();
	char text[1024];

	vsnprintf(text, sizeof(text), fmt, ap);
	json_object_object_add(error, "code", json_object_new_int(code));
	json_object_object_add(error, "message", json_object_new_string(text));
	if (name) {
		struct json_object *data = json_object_new_object();

		json_object_object_add(data, "name", json_object_new_string(name));
		json_object_object_add(error, "data", data);
	}
	json_object_object_add(msg, "error", error);
	rpc_client_send(call->client, msg);
	json_object_put(msg);
	rpc_call_free(call);
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
	call->client->subscribed = true;
}

bool
rpc_call_peer(struct rpc_call *call, unsigned *uid, unsigned *gid, int *pid)
{
	*uid = call->client->cred.uid;
	*gid = call->client->cred.gid;
	*pid = call->client->cred.pid;
	return call->client->cred.pid != 0;
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

static void
rpc_dispatch(struct rpc_client *cl, const char *line, size_t len)
{
	struct rpc_server *srv = cl->srv;
	struct json_tokener *tok = json_tokener_new();
	struct json_object *req, *v, *id = NULL, *params = NULL;
	struct rpc_call *call;
	const char *name;
	size_t i;

	call = calloc(1, sizeof(*call));
	if (!tok || !call) {
		json_tokener_free(tok);
		free(call);
		return;
	}
	call->client = cl;
	cl->refs++;
	req = json_tokener_parse_ex(tok, line, (int)len);
	if (!req || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len) {
		rpc_call_fail_code(call, RPC_PARSE_ERROR, "parse error: %s",
			req ? "trailing data after the JSON object" :
			json_tokener_error_desc(json_tokener_get_error(tok)));
		goto out;
	}
	if (!json_object_is_type(req, json_type_object)) {
		rpc_call_fail_code(call, RPC_INVALID_REQUEST,
				   "a request must be a JSON object");
		goto out;
	}
	if (json_object_object_get_ex(req, "id", &id))
		call->id = json_object_get(id);
	if (!json_object_object_get_ex(req, "jsonrpc", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "2.0")) {
		rpc_call_fail_code(call, RPC_INVALID_REQUEST,
				   "\"jsonrpc\" must be \"2.0\"");
		goto out;
	}
	if (!json_object_object_get_ex(req, "method", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		rpc_call_fail_code(call, RPC_INVALID_REQUEST,
				   "\"method\" must be a string");
		goto out;
	}
	name = json_object_get_string(v);
	if (json_object_object_get_ex(req, "params", &params) && params &&
	    !json_object_is_type(params, json_type_object)) {
		rpc_call_fail_code(call, RPC_INVALID_PARAMS,
				   "\"params\" must be an object");
		goto out;
	}
	for (i = 0; i < srv->nmethods; i++)
		if (!strcmp(srv->methods[i].name, name))
			break;
	if (i == srv->nmethods) {
		rpc_call_fail_code(call, RPC_METHOD_NOT_FOUND,
				   "no method named '%.64s'", name);
		goto out;
	}
	params = params ? json_object_get(params) : json_object_new_object();
	srv->methods[i].fn(call, params, srv->ctx);
	json_object_put(params);
out:
	json_object_put(req);
	json_tokener_free(tok);
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
		struct rpc_call *call = calloc(1, sizeof(*call));

		if (call) {
			call->client = cl;
			cl->refs++;
			rpc_call_fail(call, RPC_ERR_LIMIT_EXCEEDED,
				      "request larger than %u bytes",
				      RPC_MAX_REQUEST);
		}
		bufferevent_flush(bev, EV_WRITE, BEV_FLUSH);
		rpc_client_close(cl);
	}
	rpc_client_put(cl);
}

static void
rpc_client_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
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
