/* vmctl: the command-line client of vmd. The verbs, their options and
 * aliases are tables (vmctl.c, args.c); this header joins the pieces and is
 * what the unit tests link against. */
#ifndef VMD_CLI_VMCTL_H
#define VMD_CLI_VMCTL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <json-c/json.h>

#include "rpc_client.h"

enum vmctl_exit {
	VMCTL_EXIT_OK = 0,
	VMCTL_EXIT_ERROR = 1,	/* the daemon said no, or we could not ask */
	VMCTL_EXIT_USAGE = 2,	/* the command line is wrong */
};

#define VMCTL_DEFAULT_SOCKET "/run/vmd/vmd.sock"
#define VMCTL_DEFAULT_TIMEOUT_S 60
#define VMCTL_MAX_POS 2
#define VMCTL_MAX_ARGS 256	/* positional arguments of a repeating verb */

/* Verb-specific options, as bits of vmctl_verb.opts; global options
 * (--socket, --timeout, --json, --help, --debug) are accepted everywhere. */
enum {
	VMCTL_OPT_GLOBAL = 0,
	VMCTL_OPT_FORCE = 1u << 0,
	VMCTL_OPT_ALL = 1u << 1,
	VMCTL_OPT_DISABLE = 1u << 2,
	VMCTL_OPT_UNTIL = 1u << 3,
	VMCTL_OPT_REASON = 1u << 4,
};

struct vmctl_verb;

/* The parsed command line. */
struct vmctl_args {
	const struct vmctl_verb *verb;
	const char *socket;
	const char *timeout_arg;
	unsigned timeout_ms;	/* reply timeout; 0: none */
	bool timeout_set;	/* --timeout was given (bounds console/events) */
	bool json;
	bool help;
	bool version;
	bool debug;
	bool force;
	bool all;
	bool disable;
	bool reason;
	const char *until;
	const char *pos[VMCTL_MAX_ARGS];
	int npos;
};

struct vmctl_ctx {
	struct vmctl_args args;
	struct vmctl_rpc *rpc;	/* connected on first use */
	const char *socket_path;
};

struct vmctl_verb {
	const char *name;
	const char *pos[VMCTL_MAX_POS];	/* positional argument names */
	int min_pos;
	unsigned opts;			/* VMCTL_OPT_* bits it takes */
	const char *method;		/* what it calls; NULL: none */
	const char *summary;		/* NULL: the method's, rpc/methods.def */
	const char *done;		/* "Domain NAME <done>" after success */
	int (*run)(struct vmctl_ctx *ctx, const struct vmctl_verb *verb);
	bool repeat;			/* the last positional may repeat */
	const char *timeout_help;	/* what --timeout means here, beyond
					 * bounding each reply; NULL: only that */
};

struct vmctl_alias {
	const char *alias;
	const char *verb;
	const char *implies;		/* an option the alias stands for */
};

/* vmctl.c */
extern const struct vmctl_verb vmctl_verbs[];
extern const size_t vmctl_nverbs;
extern const struct vmctl_alias vmctl_aliases[];
extern const size_t vmctl_naliases;
int vmctl_run(int argc, char **argv);
const char *vmctl_method_summary(const char *method);

/* args.c */
const struct vmctl_verb *vmctl_verb_find(const char *name,
					 const char **implies);
size_t vmctl_verb_suggest(const char *word, const char **out, size_t max);
const char *vmctl_pos_name(const struct vmctl_verb *verb, int n);
int vmctl_args_parse(int argc, char **argv, struct vmctl_args *args,
		     char *msg, size_t msglen);
void vmctl_usage_line(const struct vmctl_verb *verb, char *buf, size_t len);
void vmctl_print_option_help(FILE *f, const struct vmctl_verb *verb);

/* output.c */
const char *vmctl_json_str(json_object *obj, const char *key);
void vmctl_print_json(FILE *f, json_object *obj);
int vmctl_print_list(FILE *f, json_object *result);
int vmctl_print_info(FILE *f, json_object *result);
int vmctl_format_event(char *buf, size_t len, double when,
		       json_object *params);

/* console.c */
struct vmctl_console_opts {
	const char *name;
	const char *until;		/* exit 0 once seen in the output */
	unsigned timeout_ms;		/* whole session; 0: none */
	unsigned idle_ms;		/* after stdin EOF (not a tty) */
};

struct vmctl_match {
	const char *text;
	size_t text_len;
	char *window;			/* the last text_len - 1 bytes seen */
	size_t window_len;
};

int vmctl_match_init(struct vmctl_match *m, const char *text);
bool vmctl_match_feed(struct vmctl_match *m, const char *buf, size_t len);
void vmctl_match_free(struct vmctl_match *m);
int vmctl_console_attach(const char *path, const struct vmctl_console_opts *o);

/* SIGINT, SIGTERM and SIGHUP set vmctl_stop_signal and interrupt poll(),
 * so long-running verbs (console, events) can clean up and return. */
extern volatile sig_atomic_t vmctl_stop_signal;
void vmctl_catch_signals(void);
void vmctl_restore_signals(void);

#endif
