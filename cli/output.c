/* What vmctl prints: tables, key/value blocks, event lines and raw JSON.
 * Every layout is driven by a column or field table so what a result
 * holds and how it is shown stay in one place. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "util.h"
#include "vmctl.h"

const char *
vmctl_json_str(json_object *obj, const char *key)
{
	json_object *v;

	if (!obj || !json_object_object_get_ex(obj, key, &v) || !v)
		return NULL;
	return json_object_get_string(v);
}

void
vmctl_print_json(FILE *f, json_object *obj)
{
	/* One line, no "\/": easy for jq and for grep alike. */
	fprintf(f, "%s\n", json_object_to_json_string_ext(obj,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* A value as a person reads it; buf is used when a conversion is needed. */
typedef const char *vmctl_fmt_fn(json_object *v, char *buf, size_t len);

static const char *
vmctl_fmt_plain(json_object *v, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	if (!v || (json_object_is_type(v, json_type_string) &&
		   !*json_object_get_string(v)))
		return "-";
	return json_object_get_string(v);
}

static const char *
vmctl_fmt_yesno(json_object *v, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	if (!v)
		return "-";
	return json_object_get_boolean(v) ? "yes" : "no";
}

static const char *
vmctl_fmt_kib(json_object *v, char *buf, size_t len)
{
	if (!v)
		return "-";
	snprintf(buf, len, "%" PRId64 " KiB", json_object_get_int64(v));
	return buf;
}

static const char *
vmctl_fmt_pid(json_object *v, char *buf, size_t len)
{
	/* vmd reports pid 0 (or null) for a domain with no monitor. */
	if (!v || json_object_get_int64(v) <= 0)
		return "-";
	return vmctl_fmt_plain(v, buf, len);
}

struct vmctl_field {
	const char *key;
	const char *label;
	vmctl_fmt_fn *fmt;
};

static const struct vmctl_field vmctl_list_columns[] = {
	{ "name", "Name", vmctl_fmt_plain },
	{ "state", "State", vmctl_fmt_plain },
	{ "autostart", "Autostart", vmctl_fmt_yesno },
};

static const struct vmctl_field vmctl_info_fields[] = {
	{ "name", "Name", vmctl_fmt_plain },
	{ "uuid", "UUID", vmctl_fmt_plain },
	{ "state", "State", vmctl_fmt_plain },
	{ "reason", "Reason", vmctl_fmt_plain },
	{ "vcpus", "CPU(s)", vmctl_fmt_plain },
	{ "memory_kib", "Memory", vmctl_fmt_kib },
	{ "autostart", "Autostart", vmctl_fmt_yesno },
	{ "persistent", "Persistent", vmctl_fmt_yesno },
	{ "pid", "PID", vmctl_fmt_pid },
	{ "accel", "Accelerator", vmctl_fmt_plain },
	{ "console", "Console", vmctl_fmt_plain },
	{ "display", "Display", vmctl_fmt_plain },
};

static json_object *
vmctl_json_get(json_object *obj, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(obj, key, &v);
	return v;
}

/* virsh's layout: a leading space, columns two apart, a dashed rule. */
static void
vmctl_print_row(FILE *f, const char *const *cells, const size_t *width,
		size_t n)
{
	size_t c;

	for (c = 0; c + 1 < n; c++)
		fprintf(f, " %-*s  ", (int)width[c], cells[c]);
	fprintf(f, " %s\n", cells[n - 1]);
}

int
vmctl_print_list(FILE *f, json_object *result)
{
	enum { NCOL = ARRAY_SIZE(vmctl_list_columns) };
	json_object *domains = vmctl_json_get(result, "domains");
	size_t width[NCOL], c, i, n, total = 0;
	const char *cells[NCOL];
	char buf[NCOL][64];

	if (!domains || !json_object_is_type(domains, json_type_array))
		return -EPROTO;
	n = json_object_array_length(domains);
	for (c = 0; c < NCOL; c++) {
		const struct vmctl_field *col = &vmctl_list_columns[c];

		width[c] = strlen(col->label);
		for (i = 0; i < n; i++) {
			json_object *d = json_object_array_get_idx(domains, i);

			width[c] = MAX(width[c],
				       strlen(col->fmt(vmctl_json_get(d, col->key),
						       buf[c], sizeof(buf[c]))));
		}
		cells[c] = col->label;
		total += width[c] + (c ? 3 : 1);
	}
	vmctl_print_row(f, cells, width, NCOL);
	for (i = 0; i < total; i++)
		fputc('-', f);
	fputc('\n', f);
	for (i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(domains, i);

		for (c = 0; c < NCOL; c++)
			cells[c] = vmctl_list_columns[c].fmt(
				vmctl_json_get(d, vmctl_list_columns[c].key),
				buf[c], sizeof(buf[c]));
		vmctl_print_row(f, cells, width, NCOL);
	}
	return 0;
}

static bool
vmctl_info_known(const char *key)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vmctl_info_fields); i++)
		if (!strcmp(vmctl_info_fields[i].key, key))
			return true;
	return false;
}

int
vmctl_print_info(FILE *f, json_object *result)
{
	char buf[64], label[64];
	size_t i;

	if (!result || !json_object_is_type(result, json_type_object))
		return -EPROTO;
	for (i = 0; i < ARRAY_SIZE(vmctl_info_fields); i++) {
		const struct vmctl_field *fl = &vmctl_info_fields[i];
		json_object *v;

		if (!json_object_object_get_ex(result, fl->key, &v))
			continue;
		snprintf(label, sizeof(label), "%s:", fl->label);
		fprintf(f, "%-15s %s\n", label, fl->fmt(v, buf, sizeof(buf)));
	}
	/* A newer vmd may report more: show it rather than hide it. */
	json_object_object_foreach(result, key, val) {
		if (vmctl_info_known(key))
			continue;
		snprintf(label, sizeof(label), "%s:", key);
		fprintf(f, "%-15s %s\n", label,
			vmctl_fmt_plain(val, buf, sizeof(buf)));
	}
	return 0;
}

/* "TIME NAME EVENT DETAIL", TIME in local ISO 8601 with milliseconds so
 * lines sort and line up; a missing field prints as "-" so every line has
 * four words for awk. */
int
vmctl_format_event(char *buf, size_t len, double when, json_object *params)
{
	time_t secs = (time_t)when;
	char stamp[32];
	struct tm tm;
	int ms = (int)((when - (double)secs) * 1000.0);
	const char *name = vmctl_json_str(params, "name");
	const char *event = vmctl_json_str(params, "event");
	const char *detail = vmctl_json_str(params, "detail");

	if (!localtime_r(&secs, &tm) ||
	    !strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm))
		return -EINVAL;
	snprintf(buf, len, "%s.%03d %s %s %s", stamp, MIN(MAX(ms, 0), 999),
		 name && *name ? name : "-", event && *event ? event : "-",
		 detail && *detail ? detail : "-");
	return 0;
}
