/* Command-line parsing for vmctl: options are a table (name, kind, which
 * verbs take it, where it lands in struct vmctl_args), so adding an option
 * is one line and its help text can never drift from what is parsed.
 * Options may come before or after the verb, as with virsh. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "vmctl.h"

enum vmctl_opt_kind { VMCTL_OPT_FLAG, VMCTL_OPT_VALUE };

struct vmctl_opt {
	const char *name;
	char short_name;
	enum vmctl_opt_kind kind;
	unsigned scope;		/* VMCTL_OPT_GLOBAL or the verb bit */
	size_t offset;		/* bool or const char * in vmctl_args */
	const char *value_name;
	const char *help;
};

#define ARG(field) offsetof(struct vmctl_args, field)

static const struct vmctl_opt vmctl_opts[] = {
	{ "socket", 's', VMCTL_OPT_VALUE, VMCTL_OPT_GLOBAL, ARG(socket), "PATH",
	  "vmd's socket (default: $VMD_SOCKET, else " VMCTL_DEFAULT_SOCKET ")" },
	{ "timeout", 't', VMCTL_OPT_VALUE, VMCTL_OPT_GLOBAL, ARG(timeout_arg),
	  "SECONDS", "how long to wait for vmd (0: for ever; default 60)" },
	{ "json", 'j', VMCTL_OPT_FLAG, VMCTL_OPT_GLOBAL, ARG(json), NULL,
	  "print the daemon's result as JSON" },
	{ "help", 'h', VMCTL_OPT_FLAG, VMCTL_OPT_GLOBAL, ARG(help), NULL,
	  "show help" },
	{ "version", 'V', VMCTL_OPT_FLAG, VMCTL_OPT_GLOBAL, ARG(version), NULL,
	  "show versions" },
	{ "debug", 'd', VMCTL_OPT_FLAG, VMCTL_OPT_GLOBAL, ARG(debug), NULL,
	  "log the JSON-RPC exchange on stderr" },
	{ "force", 'f', VMCTL_OPT_FLAG, VMCTL_OPT_FORCE, ARG(force), NULL,
	  "stop at once (destroy) instead of an ACPI shutdown" },
	{ "all", 'a', VMCTL_OPT_FLAG, VMCTL_OPT_ALL, ARG(all), NULL,
	  "include shut-off domains" },
	{ "disable", 0, VMCTL_OPT_FLAG, VMCTL_OPT_DISABLE, ARG(disable), NULL,
	  "turn autostart off" },
	{ "until", 'u', VMCTL_OPT_VALUE, VMCTL_OPT_UNTIL, ARG(until), "TEXT",
	  "exit 0 as soon as TEXT appears in the console output" },
	{ "reason", 0, VMCTL_OPT_FLAG, VMCTL_OPT_REASON, ARG(reason), NULL,
	  "also print why the domain is in that state" },
};

static const struct vmctl_opt *
vmctl_opt_find(const char *arg, size_t *name_len)
{
	size_t i;

	if (arg[1] != '-') {
		*name_len = 1;
		for (i = 0; i < ARRAY_SIZE(vmctl_opts); i++)
			if (vmctl_opts[i].short_name &&
			    vmctl_opts[i].short_name == arg[1] && !arg[2])
				return &vmctl_opts[i];
		return NULL;
	}
	*name_len = strcspn(arg + 2, "=");
	for (i = 0; i < ARRAY_SIZE(vmctl_opts); i++)
		if (strlen(vmctl_opts[i].name) == *name_len &&
		    !strncmp(vmctl_opts[i].name, arg + 2, *name_len))
			return &vmctl_opts[i];
	return NULL;
}

static bool
vmctl_is_option(const char *arg)
{
	return arg[0] == '-' && arg[1];
}

const struct vmctl_verb *
vmctl_verb_find(const char *name, const char **implies)
{
	size_t i;

	*implies = NULL;
	for (i = 0; i < vmctl_nverbs; i++)
		if (!strcmp(vmctl_verbs[i].name, name))
			return &vmctl_verbs[i];
	for (i = 0; i < vmctl_naliases; i++) {
		if (strcmp(vmctl_aliases[i].alias, name))
			continue;
		*implies = vmctl_aliases[i].implies;
		return vmctl_verb_find(vmctl_aliases[i].verb, &name);
	}
	return NULL;
}

/* Levenshtein distance, capped: names are short and only "close enough"
 * matters. */
static size_t
vmctl_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[32];

	if (la >= ARRAY_SIZE(row) || lb >= ARRAY_SIZE(row))
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = diag + (a[i - 1] != b[j - 1]);

			row[j] = MIN(MIN(row[j - 1] + 1, up + 1), cost);
			diag = up;
		}
	}
	return row[lb];
}

static bool
vmctl_close_to(const char *word, const char *name)
{
	size_t len = strlen(word);

	if (len >= 2 && !strncmp(word, name, len))
		return true;
	return vmctl_distance(word, name) <= (len <= 4 ? 1u : 2u);
}

size_t
vmctl_verb_suggest(const char *word, const char **out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < vmctl_nverbs && n < max; i++)
		if (vmctl_close_to(word, vmctl_verbs[i].name))
			out[n++] = vmctl_verbs[i].name;
	for (i = 0; i < vmctl_naliases && n < max; i++)
		if (vmctl_close_to(word, vmctl_aliases[i].alias))
			out[n++] = vmctl_aliases[i].alias;
	return n;
}

/* The name of positional argument n of verb ("NAME", "FILE"), or NULL
 * when the verb takes no such argument. */
const char *
vmctl_pos_name(const struct vmctl_verb *verb, int n)
{
	int last = 0;

	if (n < VMCTL_MAX_POS && verb->pos[n])
		return verb->pos[n];
	while (last + 1 < VMCTL_MAX_POS && verb->pos[last + 1])
		last++;
	return verb->repeat && n > 0 && n < VMCTL_MAX_ARGS ? verb->pos[last] :
	       NULL;
}

/* Find the verb: the first argument that is neither an option nor an
 * option's value. */
static int
vmctl_args_find_verb(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const struct vmctl_opt *opt;
		size_t len;

		if (!strcmp(argv[i], "--"))
			return i + 1 < argc ? i + 1 : -1;
		if (!vmctl_is_option(argv[i]))
			return i;
		opt = vmctl_opt_find(argv[i], &len);
		if (opt && opt->kind == VMCTL_OPT_VALUE &&
		    !strchr(argv[i], '='))
			i++;
	}
	return -1;
}

static int
vmctl_args_set(struct vmctl_args *args, const struct vmctl_opt *opt,
	       const char *value)
{
	char *field = (char *)args + opt->offset;

	if (opt->kind == VMCTL_OPT_FLAG)
		*(bool *)field = true;
	else
		*(const char **)field = value;
	return 0;
}

/* One option at argv[*i]; advances *i past its value. */
static int
vmctl_args_option(struct vmctl_args *args, int argc, char **argv, int *i,
		  char *msg, size_t msglen)
{
	const char *arg = argv[*i];
	const struct vmctl_opt *opt;
	const char *eq;
	size_t len;

	opt = vmctl_opt_find(arg, &len);
	if (!opt) {
		snprintf(msg, msglen, "unknown option '%s'", arg);
		return -EINVAL;
	}
	if (opt->scope != VMCTL_OPT_GLOBAL &&
	    (!args->verb || !(args->verb->opts & opt->scope))) {
		snprintf(msg, msglen, "option '--%s' does not apply to '%s'",
			 opt->name, args->verb ? args->verb->name : "vmctl");
		return -EINVAL;
	}
	eq = arg[1] == '-' ? strchr(arg, '=') : NULL;
	if (opt->kind == VMCTL_OPT_FLAG) {
		if (eq) {
			snprintf(msg, msglen, "option '--%s' takes no value",
				 opt->name);
			return -EINVAL;
		}
		return vmctl_args_set(args, opt, NULL);
	}
	if (eq)
		return vmctl_args_set(args, opt, eq + 1);
	if (*i + 1 >= argc) {
		snprintf(msg, msglen, "option '--%s' needs a %s", opt->name,
			 opt->value_name);
		return -EINVAL;
	}
	*i += 1;
	return vmctl_args_set(args, opt, argv[*i]);
}

static int
vmctl_args_check(struct vmctl_args *args, char *msg, size_t msglen)
{
	const struct vmctl_verb *verb = args->verb;
	uint64_t secs;

	args->timeout_ms = VMCTL_DEFAULT_TIMEOUT_S * 1000;
	if (args->timeout_arg) {
		if (util_parse_uint(args->timeout_arg, 0, 7 * 86400,
				    &secs) < 0) {
			snprintf(msg, msglen,
				 "bad --timeout '%s' (seconds, 0 for none)",
				 args->timeout_arg);
			return -EINVAL;
		}
		args->timeout_ms = (unsigned)secs * 1000;
		args->timeout_set = true;
	}
	if (args->until && !*args->until) {
		snprintf(msg, msglen, "--until needs a non-empty TEXT");
		return -EINVAL;
	}
	if (!verb || args->help)
		return 0;
	if (args->npos < verb->min_pos) {
		snprintf(msg, msglen, "%s: missing %s", verb->name,
			 verb->pos[args->npos]);
		return -EINVAL;
	}
	return 0;
}

int
vmctl_args_parse(int argc, char **argv, struct vmctl_args *args, char *msg,
		 size_t msglen)
{
	int verb_at = vmctl_args_find_verb(argc, argv);
	bool options_done = false;
	const char *implies = NULL;
	int i, ret;

	memset(args, 0, sizeof(*args));
	msg[0] = '\0';
	if (verb_at > 0) {
		args->verb = vmctl_verb_find(argv[verb_at], &implies);
		if (!args->verb) {
			const char *near[6];
			size_t n = vmctl_verb_suggest(argv[verb_at], near,
						      ARRAY_SIZE(near));
			int off = snprintf(msg, msglen, "unknown command '%s'",
					   argv[verb_at]);
			size_t k;

			for (k = 0; k < n && off > 0 && (size_t)off < msglen; k++)
				off += snprintf(msg + off, msglen - (size_t)off,
						"%s%s", k ? ", " : "; did you mean: ",
						near[k]);
			if (off > 0 && (size_t)off < msglen)
				snprintf(msg + off, msglen - (size_t)off, "%s",
					 n ? "?" : " (see 'vmctl help')");
			return -ENOENT;
		}
	}
	if (implies) {
		int j = 0;
		char *fake[] = { (char *)implies };

		ret = vmctl_args_option(args, 1, fake, &j, msg, msglen);
		if (ret < 0)
			return ret;
	}
	for (i = 1; i < argc; i++) {
		if (i == verb_at)
			continue;
		if (!options_done && !strcmp(argv[i], "--")) {
			options_done = true;
			continue;
		}
		if (!options_done && vmctl_is_option(argv[i])) {
			ret = vmctl_args_option(args, argc, argv, &i, msg,
						msglen);
			if (ret < 0)
				return ret;
			continue;
		}
		if (!args->verb || !vmctl_pos_name(args->verb, args->npos)) {
			snprintf(msg, msglen, "%s: unexpected argument '%s'",
				 args->verb ? args->verb->name : "vmctl",
				 argv[i]);
			return -EINVAL;
		}
		args->pos[args->npos++] = argv[i];
	}
	return vmctl_args_check(args, msg, msglen);
}

void
vmctl_usage_line(const struct vmctl_verb *verb, char *buf, size_t len)
{
	int off = snprintf(buf, len, "vmctl %s", verb->name);
	size_t i;

	for (i = 0; i < VMCTL_MAX_POS && verb->pos[i]; i++)
		off += snprintf(buf + off, len - (size_t)MIN((size_t)off, len),
				(int)i < verb->min_pos ? " %s" : " [%s]",
				verb->pos[i]);
	if (verb->repeat && (size_t)off < len)
		off += snprintf(buf + off, len - (size_t)off, "...");
	for (i = 0; i < ARRAY_SIZE(vmctl_opts); i++) {
		const struct vmctl_opt *o = &vmctl_opts[i];

		if (o->scope == VMCTL_OPT_GLOBAL || !(verb->opts & o->scope) ||
		    (size_t)off >= len)
			continue;
		off += snprintf(buf + off, len - (size_t)off,
				o->value_name ? " [--%s %s]" : " [--%s]",
				o->name, o->value_name ? o->value_name : "");
	}
	if (verb->timeout_help && (size_t)off < len)
		snprintf(buf + off, len - (size_t)off, " [--timeout SECONDS]");
}

static bool
vmctl_opt_shown(const struct vmctl_opt *o, const struct vmctl_verb *verb)
{
	if (!verb)
		return o->scope == VMCTL_OPT_GLOBAL;
	/* --timeout is global, but some verbs give it a meaning of their
	 * own: list it with theirs. */
	if (o->offset == ARG(timeout_arg))
		return verb->timeout_help != NULL;
	return verb->opts & o->scope;
}

/* The options a verb takes (verb NULL: the global ones). */
void
vmctl_print_option_help(FILE *f, const struct vmctl_verb *verb)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vmctl_opts); i++) {
		const struct vmctl_opt *o = &vmctl_opts[i];
		char name[48];

		if (!vmctl_opt_shown(o, verb))
			continue;
		if (o->short_name)
			snprintf(name, sizeof(name), "-%c, --%s%s%s",
				 o->short_name, o->name,
				 o->value_name ? " " : "",
				 o->value_name ? o->value_name : "");
		else
			snprintf(name, sizeof(name), "    --%s%s%s", o->name,
				 o->value_name ? " " : "",
				 o->value_name ? o->value_name : "");
		fprintf(f, "  %-24s %s\n", name, verb && verb->timeout_help &&
			o->offset == ARG(timeout_arg) ? verb->timeout_help :
			o->help);
	}
}
