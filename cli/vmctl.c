/* vmctl: the verbs. Each is one row of vmctl_verbs[]; most only name the
 * method they call and the word that tells the user it worked, a few (list,
 * info, console, events ...) have a handler of their own. The summaries of
 * verbs that map onto one method come from rpc/methods.def, so `vmctl help`
 * describes exactly what the daemon implements. `validate` is the one verb
 * that needs no daemon: it parses with vmd's own domain library. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "domain.h"
#include "log.h"
#include "util.h"
#include "vmctl.h"

static const struct {
	const char *name;
	const char *summary;
} vmctl_methods[] = {
#define METHOD(id, json_name, access, dbus_object, dbus_member, dbus_in, \
	       dbus_in_names, dbus_out, dbus_out_names, summary) \
	{ json_name, summary },
#include "methods.def"
#undef METHOD
};

const char *
vmctl_method_summary(const char *method)
{
	size_t i;

	for (i = 0; method && i < ARRAY_SIZE(vmctl_methods); i++)
		if (!strcmp(vmctl_methods[i].name, method))
			return vmctl_methods[i].summary;
	return NULL;
}

static const char *
vmctl_socket_path(const struct vmctl_args *args)
{
	const char *env = getenv("VMD_SOCKET");

	if (args->socket)
		return args->socket;
	return env && *env ? env : VMCTL_DEFAULT_SOCKET;
}

static int
vmctl_connect(struct vmctl_ctx *ctx)
{
	int ret;

	if (ctx->rpc)
		return 0;
	ctx->socket_path = vmctl_socket_path(&ctx->args);
	ret = vmctl_rpc_connect(&ctx->rpc, ctx->socket_path);
	if (ret < 0) {
		fprintf(stderr,
			"vmctl: cannot connect to vmd at %s: %s "
			"(is it running? systemctl start vmd)\n",
			ctx->socket_path, strerror(-ret));
		return VMCTL_EXIT_ERROR;
	}
	vmctl_rpc_set_timeout(ctx->rpc, ctx->args.timeout_ms);
	return 0;
}

static void
vmctl_report_transport(struct vmctl_ctx *ctx, int err)
{
	if (err == -ETIMEDOUT)
		log_error("no reply from vmd within %u s",
			  ctx->args.timeout_ms / 1000);
	else if (err == -ECONNRESET)
		log_error("vmd closed the connection");
	else if (err == -EPROTO)
		log_error("malformed reply from vmd");
	else
		log_error("talking to vmd: %s", strerror(-err));
}

/* Call method; on success *result is set (caller puts it) and 0 returned,
 * otherwise the failure has been reported and the exit status returned. */
static int
vmctl_call(struct vmctl_ctx *ctx, const char *method, json_object *params,
	   json_object **result)
{
	struct vmctl_rpc_error err;
	int ret = vmctl_connect(ctx);

	*result = NULL;
	if (ret) {
		json_object_put(params);
		return ret;
	}
	ret = vmctl_rpc_call(ctx->rpc, method, params, result, &err);
	if (ret == 1) {
		log_error("%s", err.message);
		return VMCTL_EXIT_ERROR;
	}
	if (ret < 0) {
		vmctl_report_transport(ctx, ret);
		return VMCTL_EXIT_ERROR;
	}
	return 0;
}

static json_object *
vmctl_name_params(const char *name)
{
	json_object *params = json_object_new_object();

	json_object_object_add(params, "name", json_object_new_string(name));
	return params;
}

/* Call a method on the domain named by the first argument. */
static int
vmctl_call_domain(struct vmctl_ctx *ctx, const char *method,
		  json_object **result)
{
	return vmctl_call(ctx, method, vmctl_name_params(ctx->args.pos[0]),
			  result);
}

/* Verbs that only report success: "Domain NAME <done>". */
static int
vmctl_verb_simple(struct vmctl_ctx *ctx, const struct vmctl_verb *verb)
{
	json_object *result;
	int ret = vmctl_call_domain(ctx, verb->method, &result);

	if (ret)
		return ret;
	if (ctx->args.json)
		vmctl_print_json(stdout, result);
	else
		printf("Domain %s %s\n", ctx->args.pos[0], verb->done);
	json_object_put(result);
	return 0;
}

/* Milliseconds left until deadline (ns, 0: none) for a wait: 0 waits for
 * ever, so a deadline that has passed is reported as false. */
static bool
vmctl_remaining_ms(uint64_t deadline, unsigned *ms)
{
	uint64_t now = util_now_ns();

	*ms = 0;
	if (!deadline)
		return true;
	if (now >= deadline)
		return false;
	*ms = (unsigned)MIN(MAX((deadline - now) / 1000000, 1u),
			    (uint64_t)UINT32_MAX);
	return true;
}

/* The next domain.event notification before deadline (ns, 0: none), other
 * notifications skipped. 0 with *params (caller puts it), or what
 * vmctl_rpc_next_event() returns: -ETIMEDOUT, -EINTR, -ECONNRESET ... */
static int
vmctl_next_domain_event(struct vmctl_ctx *ctx, uint64_t deadline,
			json_object **params)
{
	for (;;) {
		const char *method;
		unsigned wait_ms;
		int ret;

		if (!vmctl_remaining_ms(deadline, &wait_ms))
			return -ETIMEDOUT;
		ret = vmctl_rpc_next_event(ctx->rpc, wait_ms, &method, params);
		if (ret < 0)
			return ret;
		if (!strcmp(method, "domain.event"))
			return 0;
		/* a kind of notification we do not know yet */
		json_object_put(*params);
	}
}

/* How `stop --timeout` ends, by the domain's event. */
static const struct {
	const char *event;
	int status;
} vmctl_stop_outcomes[] = {
	{ "stopped", VMCTL_EXIT_OK },
	{ "crashed", VMCTL_EXIT_ERROR },
};

/* After domain.shutdown: wait for the domain's stopped (or crashed)
 * event. The subscription came first, so the event cannot be missed. */
static int
vmctl_stop_wait(struct vmctl_ctx *ctx, uint64_t deadline)
{
	const char *name = ctx->args.pos[0];

	for (;;) {
		json_object *params;
		const char *event, *who;
		size_t i;
		int ret = vmctl_next_domain_event(ctx, deadline, &params);

		if (ret == -EINTR)
			continue;
		if (ret == -ETIMEDOUT) {
			log_error("domain %s did not shut down within %u s",
				  name, ctx->args.timeout_ms / 1000);
			return VMCTL_EXIT_ERROR;
		}
		if (ret < 0) {
			vmctl_report_transport(ctx, ret);
			return VMCTL_EXIT_ERROR;
		}
		event = vmctl_json_str(params, "event");
		who = vmctl_json_str(params, "name");
		for (i = 0; i < ARRAY_SIZE(vmctl_stop_outcomes); i++)
			if (event && !strcmp(event, vmctl_stop_outcomes[i].event))
				break;
		if (i == ARRAY_SIZE(vmctl_stop_outcomes) || !who ||
		    strcmp(who, name)) {
			json_object_put(params);
			continue;
		}
		ret = vmctl_stop_outcomes[i].status;
		if (ctx->args.json)
			vmctl_print_json(stdout, params);
		else if (ret == VMCTL_EXIT_OK)
			printf("Domain %s shut off\n", name);
		else
			log_error("domain %s crashed while shutting down", name);
		json_object_put(params);
		return ret;
	}
}

/* A call bounded by what is left of deadline (ns, 0: none). */
static int
vmctl_call_until(struct vmctl_ctx *ctx, uint64_t deadline, const char *method,
		 json_object *params, json_object **result)
{
	unsigned ms;

	if (!vmctl_remaining_ms(deadline, &ms))
		ms = 1;
	vmctl_rpc_set_timeout(ctx->rpc, ms);
	return vmctl_call(ctx, method, params, result);
}

/* stop: ACPI shutdown, returning at once; with --timeout, waiting until the
 * domain is off; with --force, destroy (which returns once stopped). */
static int
vmctl_verb_stop(struct vmctl_ctx *ctx, const struct vmctl_verb *verb)
{
	static const struct vmctl_verb destroy = {
		.name = "stop", .method = "domain.destroy", .done = "destroyed",
	};
	uint64_t deadline;
	json_object *result;
	int ret;

	if (ctx->args.force || !ctx->args.timeout_set)
		return vmctl_verb_simple(ctx, ctx->args.force ? &destroy : verb);
	ret = vmctl_connect(ctx);
	if (ret)
		return ret;
	deadline = ctx->args.timeout_ms ?
		util_now_ns() + (uint64_t)ctx->args.timeout_ms * 1000000u : 0;
	ret = vmctl_call_until(ctx, deadline, "events.subscribe", NULL,
			       &result);
	if (ret)
		return ret;
	json_object_put(result);
	ret = vmctl_call_until(ctx, deadline, verb->method,
			       vmctl_name_params(ctx->args.pos[0]), &result);
	if (ret)
		return ret;
	json_object_put(result);
	return vmctl_stop_wait(ctx, deadline);
}

static int
vmctl_verb_autostart(struct vmctl_ctx *ctx, const struct vmctl_verb *verb)
{
	json_object *params = vmctl_name_params(ctx->args.pos[0]), *result;
	int ret;

	json_object_object_add(params, "enable",
			       json_object_new_boolean(!ctx->args.disable));
	ret = vmctl_call(ctx, verb->method, params, &result);
	if (ret)
		return ret;
	if (ctx->args.json)
		vmctl_print_json(stdout, result);
	else
		printf("Domain %s %s as autostarted\n", ctx->args.pos[0],
		       ctx->args.disable ? "unmarked" : "marked");
	json_object_put(result);
	return 0;
}

/* The whole of a file, or of stdin for "-". */
static int
vmctl_read_file(const char *path, char **out)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int err = 0;

	if (!f)
		return -errno;
	for (;;) {
		size_t n;

		if (cap - len < 4096) {
			char *bigger = realloc(buf, cap = cap ? cap * 2 : 16384);

			if (!bigger) {
				err = -ENOMEM;
				break;
			}
			buf = bigger;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0) {
			err = ferror(f) ? -EIO : 0;
			break;
		}
	}
	if (f != stdin)
		fclose(f);
	if (err) {
		free(buf);
		return err;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

static int
vmctl_verb_create(struct vmctl_ctx *ctx, const struct vmctl_verb *verb)
{
	json_object *params, *result, *warnings;
	const char *file = ctx->args.pos[0];
	char *xml = NULL;
	size_t i;
	int ret;

	ret = vmctl_read_file(file, &xml);
	if (ret < 0) {
		log_error("cannot read %s: %s",
			  strcmp(file, "-") ? file : "stdin", strerror(-ret));
		return VMCTL_EXIT_ERROR;
	}
	params = json_object_new_object();
	json_object_object_add(params, "xml", json_object_new_string(xml));
	free(xml);
	ret = vmctl_call(ctx, verb->method, params, &result);
	if (ret)
		return ret;
	if (ctx->args.json) {
		vmctl_print_json(stdout, result);
	} else {
		const char *name = vmctl_json_str(result, "name");

		printf("Domain %s defined\n", name ? name : "(unnamed)");
		if (json_object_object_get_ex(result, "warnings", &warnings) &&
		    json_object_is_type(warnings, json_type_array))
			for (i = 0; i < json_object_array_length(warnings); i++)
				log_warn("%s", json_object_get_string(
					 json_object_array_get_idx(warnings, i)));
	}
	json_object_put(result);
	return 0;
}

/* One file for validate: 0 valid, 1 not (reported). */
static int
vmctl_validate_one(const char *file, bool json)
{
	const char *shown = strcmp(file, "-") ? file : "stdin";
	struct domain_warnings w;
	struct domain_def *def = NULL;
	json_object *out, *warnings;
	char err[1024] = "";
	char *xml = NULL;
	size_t i;
	int ret;

	domain_warnings_init(&w);
	ret = vmctl_read_file(file, &xml);
	if (ret < 0)
		snprintf(err, sizeof(err), "cannot read %s: %s", shown,
			 strerror(-ret));
	else if (domain_xml_parse(xml, strlen(xml), &def, &w, err,
				  sizeof(err)) < 0 && !err[0])
		snprintf(err, sizeof(err), "invalid domain XML");
	free(xml);
	if (w.dropped)
		domain_warnings_add(&w, "%zu more warnings not shown",
				    w.dropped);
	if (json) {
		out = json_object_new_object();
		warnings = json_object_new_array();
		for (i = 0; i < w.count; i++)
			json_object_array_add(warnings,
					      json_object_new_string(w.msgs[i]));
		json_object_object_add(out, "file",
				       json_object_new_string(file));
		json_object_object_add(out, "valid",
				       json_object_new_boolean(def != NULL));
		json_object_object_add(out, "name", def ?
				       json_object_new_string(def->name) : NULL);
		json_object_object_add(out, "warnings", warnings);
		json_object_object_add(out, "error", def ? NULL :
				       json_object_new_string(err));
		vmctl_print_json(stdout, out);
		json_object_put(out);
	} else {
		for (i = 0; i < w.count; i++)
			log_warn("%s: %s", shown, w.msgs[i]);
		if (def)
			printf("%s: valid domain '%s'\n", shown, def->name);
		else if (ret < 0)
			log_error("%s", err);
		else
			log_error("%s: %s", shown, err);
	}
	ret = def ? 0 : VMCTL_EXIT_ERROR;
	domain_def_free(def);
	domain_warnings_free(&w);
	return ret;
}

/* Offline: the checks vmd's domain.define makes, by the same code. */
static int
vmctl_verb_validate(struct vmctl_ctx *ctx, const struct vmctl_verb *verb)
{
	int i, ret = 0;

	(void)verb;
	for (i = 0; i < ctx->args.npos; i++)
		ret |= vmctl_validate_one(ctx->args.pos[i], ctx->args.json);
	return ret ? VMCTL_EXIT_ERROR : 0;
}

/* virsh domstate: the state word, and with --reason why. */
static int
vmctl_verb_domstate(struct vmctl_ctx *ctx, const struct vmctl_verb *verb)
{
	json_object *result, *out;
	const char *state, *reason;
	int ret = vmctl_call_domain(ctx, verb->method, &result);

	if (ret)
		return ret;
	state = vmctl_json_str(result, "state");
	reason = vmctl_json_str(result, "reason");
	if (!state) {
		log_error("malformed reply from vmd: no 'state'");
		ret = VMCTL_EXIT_ERROR;
	} else if (ctx->args.json) {
		out = json_object_new_object();
		json_object_object_add(out, "state",
				       json_object_new_string(state));
		json_object_object_add(out, "reason", json_object_new_string(
				       reason ? reason : ""));
		vmctl_print_json(stdout, out);
		json_object_put(out);
	} else if (ctx->args.reason) {
		printf("%s (%s)\n", state, reason && *reason ? reason :
		       "unknown");
	} else {
		printf("%s\n", state);
	}
	json_object_put(result);
	return ret;
}

static int
vmctl_verb_list(struct vmctl_ctx *ctx, const struct vmctl_verb *verb)
{
	json_object *params = json_object_new_object(), *result;
	int ret;

	json_object_object_add(params, "all",
			       json_object_new_boolean(ctx->args.all));
	ret = vmctl_call(ctx, verb->method, params, &result);
	if (ret)
		return ret;
	if (ctx->args.json) {
		vmctl_print_json(stdout, result);
	} else if (vmctl_print_list(stdout, result) < 0) {
		log_error("malformed reply from vmd");
		ret = VMCTL_EXIT_ERROR;
	}
	json_object_put(result);
	return ret;
}

static int
vmctl_verb_info(struct vmctl_ctx *ctx, const struct vmctl_verb *verb)
{
	json_object *result;
	int ret = vmctl_call_domain(ctx, verb->method, &result);

	if (ret)
		return ret;
	if (ctx->args.json) {
		vmctl_print_json(stdout, result);
	} else if (vmctl_print_info(stdout, result) < 0) {
		log_error("malformed reply from vmd");
		ret = VMCTL_EXIT_ERROR;
	}
	json_object_put(result);
	return ret;
}

/* Verbs whose result is one string to print: dumpxml, display. */
static int
vmctl_print_field(struct vmctl_ctx *ctx, const char *method, const char *key)
{
	json_object *result;
	const char *s;
	int ret = vmctl_call_domain(ctx, method, &result);

	if (ret)
		return ret;
	s = vmctl_json_str(result, key);
	if (ctx->args.json) {
		vmctl_print_json(stdout, result);
	} else if (!s) {
		log_error("malformed reply from vmd: no '%s'", key);
		ret = VMCTL_EXIT_ERROR;
	} else {
		size_t len = strlen(s);

		fputs(s, stdout);
		if (!len || s[len - 1] != '\n')
			fputc('\n', stdout);
	}
	json_object_put(result);
	return ret;
}

static int
vmctl_verb_dumpxml(struct vmctl_ctx *ctx, const struct vmctl_verb *verb)
{
	return vmctl_print_field(ctx, verb->method, "xml");
}

static int
vmctl_verb_display(struct vmctl_ctx *ctx, const struct vmctl_verb *verb)
{
	return vmctl_print_field(ctx, verb->method, "uri");
}

static int
vmctl_verb_console(struct vmctl_ctx *ctx, const struct vmctl_verb *verb)
{
	struct vmctl_console_opts o = {
		.name = ctx->args.pos[0],
		.until = ctx->args.until,
		.timeout_ms = ctx->args.timeout_set ? ctx->args.timeout_ms : 0,
		/* Only a plain `cmd | vmctl console` ends on its own. */
		.idle_ms = ctx->args.until || ctx->args.timeout_set ? 0 : 1000,
	};
	json_object *result;
	const char *path;
	int ret = vmctl_call_domain(ctx, verb->method, &result);

	if (ret)
		return ret;
	path = vmctl_json_str(result, "path");
	if (!path) {
		log_error("malformed reply from vmd: no 'path'");
		json_object_put(result);
		return VMCTL_EXIT_ERROR;
	}
	if (ctx->args.json) {
		vmctl_print_json(stdout, result);
		json_object_put(result);
		return 0;
	}
	/* The daemon's connection is not needed while attached. */
	vmctl_rpc_close(ctx->rpc);
	ctx->rpc = NULL;
	ret = vmctl_console_attach(path, &o);
	json_object_put(result);
	return ret < 0 ? VMCTL_EXIT_ERROR : 0;
}

static int
vmctl_event_loop(struct vmctl_ctx *ctx)
{
	uint64_t deadline = ctx->args.timeout_set && ctx->args.timeout_ms ?
		util_now_ns() + (uint64_t)ctx->args.timeout_ms * 1000000u : 0;

	for (;;) {
		json_object *params = NULL;
		char line[1024];
		struct timespec ts;
		int ret = vmctl_next_domain_event(ctx, deadline, &params);

		if (vmctl_stop_signal || ret == -ETIMEDOUT) {
			if (!ret)
				json_object_put(params);
			return 0;
		}
		if (ret == -EINTR)
			continue;
		if (ret < 0) {
			vmctl_report_transport(ctx, ret);
			return VMCTL_EXIT_ERROR;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		if (ctx->args.json)
			vmctl_print_json(stdout, params);
		else if (vmctl_format_event(line, sizeof(line), (double)ts.tv_sec +
					    ts.tv_nsec / 1e9, params) == 0)
			printf("%s\n", line);
		json_object_put(params);
		/* A reader at the other end of a pipe wants each line now. */
		fflush(stdout);
	}
}

static int
vmctl_verb_events(struct vmctl_ctx *ctx, const struct vmctl_verb *verb)
{
	json_object *result;
	int ret = vmctl_call(ctx, verb->method, NULL, &result);

	if (ret)
		return ret;
	json_object_put(result);
	vmctl_catch_signals();
	ret = vmctl_event_loop(ctx);
	vmctl_restore_signals();
	return ret;
}

static int
vmctl_verb_version(struct vmctl_ctx *ctx, const struct vmctl_verb *verb)
{
	json_object *result, *api;
	int ret;

	if (!ctx->args.json) {
		printf("vmctl %s\n", PACKAGE_VERSION);
		fflush(stdout);
	}
	ret = vmctl_call(ctx, verb->method, NULL, &result);
	if (ret)
		return ret;
	if (ctx->args.json)
		vmctl_print_json(stdout, result);
	else if (json_object_object_get_ex(result, "api", &api))
		printf("vmd %s (api %d)\n", vmctl_json_str(result, "version"),
		       json_object_get_int(api));
	else
		printf("vmd %s\n", vmctl_json_str(result, "version"));
	json_object_put(result);
	return 0;
}

/* virsh's names that are commands of their own, not aliases. */
static const char *const vmctl_virsh_verbs[] = { "domstate" };

static void
vmctl_help_all(FILE *f)
{
	size_t i, j;

	fprintf(f, "Usage: vmctl [OPTIONS] COMMAND [ARGS]\n\nCommands:\n");
	for (i = 0; i < vmctl_nverbs; i++) {
		const struct vmctl_verb *v = &vmctl_verbs[i];
		const char *summary = v->summary ? v->summary :
				      vmctl_method_summary(v->method);
		char usage[128];

		snprintf(usage, sizeof(usage), "%s%s%s%s%s%s", v->name,
			 v->pos[0] ? " " : "", v->pos[0] && !v->min_pos ? "[" : "",
			 v->pos[0] ? v->pos[0] : "",
			 v->pos[0] && !v->min_pos ? "]" : "",
			 v->repeat ? "..." : "");
		fprintf(f, "  %-17s %s", usage, summary);
		for (j = 0; j < vmctl_naliases; j++)
			if (!strcmp(vmctl_aliases[j].verb, v->name))
				fprintf(f, " [%s]", vmctl_aliases[j].alias);
		fputc('\n', f);
	}
	fprintf(f, "\nvirsh spellings:");
	for (j = 0; j < vmctl_naliases; j++)
		fprintf(f, " %s,", vmctl_aliases[j].alias);
	for (j = 0; j < ARRAY_SIZE(vmctl_virsh_verbs); j++)
		fprintf(f, " %s%s", vmctl_virsh_verbs[j],
			j + 1 < ARRAY_SIZE(vmctl_virsh_verbs) ? "," : "");
	fprintf(f, "\n\nOptions:\n");
	vmctl_print_option_help(f, NULL);
	fprintf(f, "\n--timeout bounds each reply; ");
	for (i = j = 0; i < vmctl_nverbs; i++)
		if (vmctl_verbs[i].timeout_help)
			fprintf(f, "%s%s", j++ ? ", " : "", vmctl_verbs[i].name);
	fprintf(f, " give it a meaning of their own\n"
		"(see 'vmctl help COMMAND').\n");
	fprintf(f, "\nvmctl talks to vmd at --socket, else $VMD_SOCKET, else "
		VMCTL_DEFAULT_SOCKET ".\n"
		"Exit status: 0 success, 1 error, 2 bad command line.\n");
}

static int
vmctl_help_verb(FILE *f, const struct vmctl_verb *v)
{
	char usage[256];
	size_t j;

	vmctl_usage_line(v, usage, sizeof(usage));
	fprintf(f, "Usage: %s\n\n  %s\n", usage,
		v->summary ? v->summary : vmctl_method_summary(v->method));
	for (j = 0; j < vmctl_naliases; j++)
		if (!strcmp(vmctl_aliases[j].verb, v->name))
			fprintf(f, "  alias: %s%s%s\n", vmctl_aliases[j].alias,
				vmctl_aliases[j].implies ? " = stop " : "",
				vmctl_aliases[j].implies ?
				vmctl_aliases[j].implies : "");
	if (v->opts || v->timeout_help) {
		fprintf(f, "\nOptions:\n");
		vmctl_print_option_help(f, v);
	}
	if (v->method)
		fprintf(f, "\nCalls %s.\n", v->method);
	else if (v->run == vmctl_verb_validate)
		fprintf(f, "\nNeeds no daemon: parses with vmd's own domain "
			"library.\n");
	return 0;
}

static int
vmctl_verb_help(struct vmctl_ctx *ctx, const struct vmctl_verb *verb)
{
	const struct vmctl_verb *v;
	const char *implies;

	(void)verb;
	if (!ctx->args.pos[0]) {
		vmctl_help_all(stdout);
		return 0;
	}
	v = vmctl_verb_find(ctx->args.pos[0], &implies);
	if (!v) {
		fprintf(stderr, "vmctl: help: unknown command '%s'\n",
			ctx->args.pos[0]);
		return VMCTL_EXIT_USAGE;
	}
	return vmctl_help_verb(stdout, v);
}

const struct vmctl_verb vmctl_verbs[] = {
	{ "create", { "FILE" }, 1, 0, "domain.define", NULL, NULL,
	  vmctl_verb_create, false, NULL },
	{ "validate", { "FILE" }, 1, 0, NULL,
	  "check domain XML files offline, as vmd would (no daemon)", NULL,
	  vmctl_verb_validate, true, NULL },
	{ "start", { "NAME" }, 1, 0, "domain.start", NULL, "started",
	  vmctl_verb_simple, false, NULL },
	{ "stop", { "NAME" }, 1, VMCTL_OPT_FORCE, "domain.shutdown",
	  "shut a domain down (ACPI power button), or at once with --force",
	  "is being shut down", vmctl_verb_stop, false,
	  "wait until it is off, up to SECONDS (0: for ever)" },
	{ "list", { NULL }, 0, VMCTL_OPT_ALL, "domain.list", NULL, NULL,
	  vmctl_verb_list, false, NULL },
	{ "info", { "NAME" }, 1, 0, "domain.info", NULL, NULL,
	  vmctl_verb_info, false, NULL },
	{ "domstate", { "NAME" }, 1, VMCTL_OPT_REASON, "domain.info",
	  "a domain's state: shutoff, running, paused ... (as virsh's)",
	  NULL, vmctl_verb_domstate, false, NULL },
	{ "dumpxml", { "NAME" }, 1, 0, "domain.xml", NULL, NULL,
	  vmctl_verb_dumpxml, false, NULL },
	{ "undefine", { "NAME" }, 1, 0, "domain.undefine", NULL,
	  "has been undefined", vmctl_verb_simple, false, NULL },
	{ "reboot", { "NAME" }, 1, 0, "domain.reboot", NULL,
	  "is being rebooted", vmctl_verb_simple, false, NULL },
	{ "suspend", { "NAME" }, 1, 0, "domain.suspend", NULL, "suspended",
	  vmctl_verb_simple, false, NULL },
	{ "resume", { "NAME" }, 1, 0, "domain.resume", NULL, "resumed",
	  vmctl_verb_simple, false, NULL },
	{ "console", { "NAME" }, 1, VMCTL_OPT_UNTIL, "domain.console",
	  "attach to a domain's serial console (Ctrl-] detaches)", NULL,
	  vmctl_verb_console, false,
	  "end the session after SECONDS (an error with --until)" },
	{ "display", { "NAME" }, 1, 0, "domain.display", NULL, NULL,
	  vmctl_verb_display, false, NULL },
	{ "autostart", { "NAME" }, 1, VMCTL_OPT_DISABLE, "domain.autostart",
	  NULL, NULL, vmctl_verb_autostart, false, NULL },
	{ "events", { NULL }, 0, 0, "events.subscribe",
	  "print domain events as they happen, until interrupted", NULL,
	  vmctl_verb_events, false, "stop printing after SECONDS (exit 0)" },
	{ "version", { NULL }, 0, 0, "daemon.version",
	  "versions of vmctl and of the daemon", NULL, vmctl_verb_version,
	  false, NULL },
	{ "help", { "COMMAND" }, 0, 0, NULL, "help on all or one command",
	  NULL, vmctl_verb_help, false, NULL },
};
const size_t vmctl_nverbs = ARRAY_SIZE(vmctl_verbs);

/* virsh's spellings, so fingers and scripts trained on it keep working. */
const struct vmctl_alias vmctl_aliases[] = {
	{ "define", "create", NULL },
	{ "shutdown", "stop", NULL },
	{ "destroy", "stop", "--force" },
	{ "dominfo", "info", NULL },
	{ "domdisplay", "display", NULL },
};
const size_t vmctl_naliases = ARRAY_SIZE(vmctl_aliases);

int
vmctl_run(int argc, char **argv)
{
	struct vmctl_ctx ctx = { .rpc = NULL };
	const char *implies;
	char msg[256];
	int ret;

	/* A daemon that hangs up must give an error message, not a silent
	 * death by SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	log_init("vmctl", LOG_LVL_INFO);
	ret = vmctl_args_parse(argc, argv, &ctx.args, msg, sizeof(msg));
	if (ret < 0) {
		fprintf(stderr, "vmctl: %s\n", msg);
		return VMCTL_EXIT_USAGE;
	}
	if (ctx.args.debug)
		log_set_level(LOG_LVL_DEBUG);
	if (!ctx.args.verb) {
		if (ctx.args.help) {
			vmctl_help_all(stdout);
			return 0;
		}
		if (!ctx.args.version) {
			fprintf(stderr, "vmctl: missing command "
				"(see 'vmctl help')\n");
			return VMCTL_EXIT_USAGE;
		}
		ctx.args.verb = vmctl_verb_find("version", &implies);
	}
	if (ctx.args.help)
		return vmctl_help_verb(stdout, ctx.args.verb);
	ret = ctx.args.verb->run(&ctx, ctx.args.verb);
	vmctl_rpc_close(ctx.rpc);
	fflush(stdout);
	return ret;
}
