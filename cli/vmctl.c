/* vmctl: the verbs. Each is one row of vmctl_verbs[]; most only name the
 * method they call and the word that tells the user it worked, a few (list,
 * info, console, events ...) have a handler of their own. The summaries of
 * verbs that map onto one method come from rpc/methods.def, so `vmctl help`
 * describes exactly what the daemon implements. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

static int
vmctl_verb_stop(struct vmctl_ctx *ctx, const struct vmctl_verb *verb)
{
	static const struct vmctl_verb destroy = {
		.name = "stop", .method = "domain.destroy", .done = "destroyed",
	};

	return vmctl_verb_simple(ctx, ctx->args.force ? &destroy : verb);
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
		unsigned wait_ms = 0;
		json_object *params;
		const char *method;
		char line[1024];
		struct timespec ts;
		int ret;

		if (deadline) {
			uint64_t now = util_now_ns();

			if (now >= deadline)
				return 0;
			wait_ms = (unsigned)MAX((deadline - now) / 1000000, 1u);
		}
		ret = vmctl_rpc_next_event(ctx->rpc, wait_ms, &method, &params);
		if (vmctl_stop_signal || ret == -ETIMEDOUT)
			return 0;
		if (ret == -EINTR)
			continue;
		if (ret < 0) {
			vmctl_report_transport(ctx, ret);
			return VMCTL_EXIT_ERROR;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		if (strcmp(method, "domain.event"))
			;	/* a kind of notification we do not know yet */
		else if (ctx->args.json)
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

		snprintf(usage, sizeof(usage), "%s%s%s%s%s", v->name,
			 v->pos[0] ? " " : "", v->pos[0] && !v->min_pos ? "[" : "",
			 v->pos[0] ? v->pos[0] : "",
			 v->pos[0] && !v->min_pos ? "]" : "");
		fprintf(f, "  %-16s %s", usage, summary);
		for (j = 0; j < vmctl_naliases; j++)
			if (!strcmp(vmctl_aliases[j].verb, v->name))
				fprintf(f, " [%s]", vmctl_aliases[j].alias);
		fputc('\n', f);
	}
	fprintf(f, "\nOptions:\n");
	vmctl_print_option_help(f, NULL);
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
	if (v->opts) {
		fprintf(f, "\nOptions:\n");
		vmctl_print_option_help(f, v);
	}
	if (v->method)
		fprintf(f, "\nCalls %s.\n", v->method);
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
	  vmctl_verb_create },
	{ "start", { "NAME" }, 1, 0, "domain.start", NULL, "started",
	  vmctl_verb_simple },
	{ "stop", { "NAME" }, 1, VMCTL_OPT_FORCE, "domain.shutdown",
	  "shut a domain down (ACPI power button), or at once with --force",
	  "is being shut down", vmctl_verb_stop },
	{ "list", { NULL }, 0, VMCTL_OPT_ALL, "domain.list", NULL, NULL,
	  vmctl_verb_list },
	{ "info", { "NAME" }, 1, 0, "domain.info", NULL, NULL,
	  vmctl_verb_info },
	{ "dumpxml", { "NAME" }, 1, 0, "domain.xml", NULL, NULL,
	  vmctl_verb_dumpxml },
	{ "undefine", { "NAME" }, 1, 0, "domain.undefine", NULL,
	  "has been undefined", vmctl_verb_simple },
	{ "reboot", { "NAME" }, 1, 0, "domain.reboot", NULL,
	  "is being rebooted", vmctl_verb_simple },
	{ "suspend", { "NAME" }, 1, 0, "domain.suspend", NULL, "suspended",
	  vmctl_verb_simple },
	{ "resume", { "NAME" }, 1, 0, "domain.resume", NULL, "resumed",
	  vmctl_verb_simple },
	{ "console", { "NAME" }, 1, VMCTL_OPT_UNTIL, "domain.console",
	  "attach to a domain's serial console (Ctrl-] detaches)", NULL,
	  vmctl_verb_console },
	{ "display", { "NAME" }, 1, 0, "domain.display", NULL, NULL,
	  vmctl_verb_display },
	{ "autostart", { "NAME" }, 1, VMCTL_OPT_DISABLE, "domain.autostart",
	  NULL, NULL, vmctl_verb_autostart },
	{ "events", { NULL }, 0, 0, "events.subscribe",
	  "print domain events as they happen, until interrupted", NULL,
	  vmctl_verb_events },
	{ "version", { NULL }, 0, 0, "daemon.version",
	  "versions of vmctl and of the daemon", NULL, vmctl_verb_version },
	{ "help", { "COMMAND" }, 0, 0, NULL, "help on all or one command",
	  NULL, vmctl_verb_help },
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
