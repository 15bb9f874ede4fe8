/* The JSON-RPC server's framing and protocol, over a real unix socket:
 * single and batched requests, notifications, partial lines, errors with
 * their standard codes, deferred answers and oversized requests. */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "jsonrpc.h"

struct fixture {
	char dir[64];
	char path[128];
	struct event_base *base;
	struct rpc_server *srv;
	int client;
	char buf[1 << 16];
	size_t len;
	struct rpc_call *deferred;
	unsigned calls;
};

static void
method_echo(struct rpc_call *call, struct json_object *params, void *ctx)
{
	struct fixture *f = ctx;

	f->calls++;
	rpc_call_reply(call, json_object_get(params));
}

static void
method_missing(struct rpc_call *call, struct json_object *params, void *ctx)
{
	const char *name = rpc_param_string(call, params, "name");

	(void)ctx;
	if (name)
		rpc_call_fail(call, RPC_ERR_NO_SUCH_DOMAIN,
			      "no domain named '%s'", name);
}

static void
method_later(struct rpc_call *call, struct json_object *params, void *ctx)
{
	struct fixture *f = ctx;

	(void)params;
	f->deferred = call; /* answered by the test */
}

static const struct rpc_method methods[] = {
	{ "echo", method_echo, RPC_ACCESS_read },
	{ "missing", method_missing, RPC_ACCESS_read },
	{ "later", method_later, RPC_ACCESS_read },
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	strcpy(f->dir, "/tmp/test_jsonrpc.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/s", f->dir);
	strcpy(sun.sun_path, f->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 8), 0);
	f->base = event_base_new();
	f->srv = rpc_server_new(f->base, fd, methods, 3, f);
	assert_non_null(f->srv);
	f->client = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_int_equal(connect(f->client, (struct sockaddr *)&sun, sizeof(sun)), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	close(f->client);
	rpc_server_free(f->srv);
	event_base_free(f->base);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Runs the server for a while, collecting what the client receives: at
 * least 20 rounds, and up to 2 s until a whole line is in. */
static void
pump(struct fixture *f)
{
	int i;

	for (i = 0; i < 2000 && (i < 20 || !memchr(f->buf, '\n', f->len)); i++) {
		ssize_t n;

		event_base_loop(f->base, EVLOOP_NONBLOCK);
		n = read(f->client, f->buf + f->len, sizeof(f->buf) - 1 - f->len);
		if (n > 0)
			f->len += (size_t)n;
		usleep(1000);
	}
	f->buf[f->len] = '\0';
}

static void
send_str(struct fixture *f, const char *s)
{
	assert_int_equal(write(f->client, s, strlen(s)), (ssize_t)strlen(s));
}

/* The next reply line, parsed; fails the test if there is none. */
static struct json_object *
next_reply(struct fixture *f)
{
	char *nl;
	struct json_object *o;

	pump(f);
	nl = memchr(f->buf, '\n', f->len);
	assert_non_null(nl);
	*nl = '\0';
	o = json_tokener_parse(f->buf);
	assert_non_null(o);
	f->len -= (size_t)(nl + 1 - f->buf);
	memmove(f->buf, nl + 1, f->len);
	return o;
}

static int
error_code(struct json_object *o)
{
	struct json_object *e, *c;

	assert_true(json_object_object_get_ex(o, "error", &e));
	assert_true(json_object_object_get_ex(e, "code", &c));
	return json_object_get_int(c);
}

static int
reply_id(struct json_object *o)
{
	struct json_object *id;

	assert_true(json_object_object_get_ex(o, "id", &id));
	return id ? json_object_get_int(id) : -1;
}

static void
test_single_request(void **state)
{
	struct fixture *f = *state;
	struct json_object *r, *res, *v;

	send_str(f, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"echo\",\"params\":{\"x\":1}}\n");
	r = next_reply(f);
	assert_int_equal(reply_id(r), 7);
	assert_true(json_object_object_get_ex(r, "result", &res));
	assert_true(json_object_object_get_ex(res, "x", &v));
	assert_int_equal(json_object_get_int(v), 1);
	json_object_put(r);
}

static void
test_partial_lines_and_two_per_write(void **state)
{
	struct fixture *f = *state;
	struct json_object *r;

	send_str(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"met");
	pump(f);
	assert_int_equal(f->len, 0); /* nothing until the line is whole */
	send_str(f, "hod\":\"echo\"}\r\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"echo\"}\n");
	r = next_reply(f);
	assert_int_equal(reply_id(r), 1);
	json_object_put(r);
	r = next_reply(f);
	assert_int_equal(reply_id(r), 2);
	json_object_put(r);
}

static void
test_protocol_errors(void **state)
{
	struct fixture *f = *state;
	static const struct { const char *line; int code; } cases[] = {
		{ "{not json\n", RPC_PARSE_ERROR },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\"} trailing\n", RPC_PARSE_ERROR },
		{ "42\n", RPC_INVALID_REQUEST },
		{ "{\"id\":1,\"method\":\"echo\"}\n", RPC_INVALID_REQUEST },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}\n", RPC_INVALID_REQUEST },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"nope\"}\n", RPC_METHOD_NOT_FOUND },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":[1]}\n", RPC_INVALID_PARAMS },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"missing\",\"params\":{}}\n", RPC_INVALID_PARAMS },
		{ "[]\n", RPC_INVALID_REQUEST },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json_object *r;

		send_str(f, cases[i].line);
		r = next_reply(f);
		if (error_code(r) != cases[i].code)
			fail_msg("%s: got code %d, expected %d", cases[i].line,
				 error_code(r), cases[i].code);
		json_object_put(r);
	}
}

static void
test_application_error_has_name(void **state)
{
	struct fixture *f = *state;
	struct json_object *r, *e, *d, *n, *m;

	send_str(f, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"missing\",\"params\":{\"name\":\"web\"}}\n");
	r = next_reply(f);
	assert_int_equal(error_code(r), rpc_error_code(RPC_ERR_NO_SUCH_DOMAIN));
	assert_true(json_object_object_get_ex(r, "error", &e));
	assert_true(json_object_object_get_ex(e, "data", &d));
	assert_true(json_object_object_get_ex(d, "name", &n));
	assert_string_equal(json_object_get_string(n), "NoSuchDomain");
	assert_true(json_object_object_get_ex(e, "message", &m));
	assert_non_null(strstr(json_object_get_string(m), "'web'"));
	json_object_put(r);
}

static void
test_notification_gets_no_answer(void **state)
{
	struct fixture *f = *state;
	struct json_object *r;

	send_str(f, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\"}\n");
	send_str(f, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"echo\"}\n");
	r = next_reply(f);
	assert_int_equal(reply_id(r), 9); /* the first line answers id 9 */
	assert_int_equal(f->calls, 2);    /* but the notification ran */
	json_object_put(r);
}

static void
test_batch(void **state)
{
	struct fixture *f = *state;
	struct json_object *r, *a;

	send_str(f, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\"},"
		    "{\"jsonrpc\":\"2.0\",\"method\":\"echo\"},"
		    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"later\"},"
		    "7]\n");
	pump(f);
	assert_int_equal(f->len, 0); /* held until the deferred call answers */
	assert_non_null(f->deferred);
	rpc_call_reply(f->deferred, NULL);
	r = next_reply(f);
	assert_true(json_object_is_type(r, json_type_array));
	/* id 1, id 3 and the error for 7; nothing for the notification */
	assert_int_equal(json_object_array_length(r), 3);
	a = json_object_array_get_idx(r, 0);
	assert_int_equal(reply_id(a), 1);
	a = json_object_array_get_idx(r, 1);
	assert_int_equal(error_code(a), RPC_INVALID_REQUEST);
	a = json_object_array_get_idx(r, 2);
	assert_int_equal(reply_id(a), 3);
	json_object_put(r);
}

static void
test_oversized_request_is_refused(void **state)
{
	struct fixture *f = *state;
	struct json_object *r;
	size_t total = 0, chunk = 1 << 16;
	char *junk = malloc(chunk);

	memset(junk, 'a', chunk);
	signal(SIGPIPE, SIG_IGN); /* the server hangs up on us */
	/* No newline, ever: the server must give up, not buffer forever. */
	while (total <= RPC_MAX_REQUEST + chunk) {
		ssize_t n = write(f->client, junk, chunk);

		if (n > 0)
			total += (size_t)n;
		event_base_loop(f->base, EVLOOP_NONBLOCK);
		if (n < 0 && errno != EAGAIN)
			break;
	}
	free(junk);
	r = next_reply(f);
	assert_int_equal(error_code(r), rpc_error_code(RPC_ERR_LIMIT_EXCEEDED));
	json_object_put(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_single_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_lines_and_two_per_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_protocol_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_application_error_has_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notification_gets_no_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized_request_is_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
