/* D-Bus <-> JSON for daemon/dbus.c: how a method's D-Bus arguments become
 * its JSON params, and its JSON result and errors become the D-Bus reply,
 * following the signatures and names of rpc/methods.def. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbus.h"
#include "dbus_json.h"
#include "jsonrpc.h"
#include "util.h"

/* /org/vmd1/domain/<uuid, escaped>: a uuid never changes, a name might. */
char *
dbus_uuid_path(const char *uuid)
{
	char *path = NULL;

	if (sd_bus_path_encode(VMD_DBUS_DOMAIN_PREFIX, uuid, &path) < 0)
		return NULL;
	return path;
}

/* The length of the complete type that starts sig ("a(ssso)" -> 7). */
size_t
dbus_type_len(const char *sig)
{
	size_t i = 0, depth = 0;
	char c;

	for (;;) {
		c = sig[i];
		if (!c)
			return i;
		i++;
		if (c == 'a')
			continue;
		if (c == '(' || c == '{')
			depth++;
		else if (c == ')' || c == '}')
			depth--;
		if (!depth)
			return i;
	}
}

/* D-Bus arguments (basic types only) into params, named by names. */
int
dbus_read_args(sd_bus_message *m, const char *sig, const char *names,
	       struct json_object *params)
{
	struct json_object *v;
	const char *s;
	uint64_t u64;
	uint32_t u32;
	int r, b;

	for (; *sig; sig++, names += strlen(names) + 1) {
		switch (*sig) {
		case 's':
		case 'o':
			r = sd_bus_message_read_basic(m, *sig, &s);
			v = json_object_new_string(s);
			break;
		case 'b':
			r = sd_bus_message_read_basic(m, 'b', &b);
			v = json_object_new_boolean(b);
			break;
		case 'u':
			r = sd_bus_message_read_basic(m, 'u', &u32);
			v = json_object_new_int64(u32);
			break;
		case 't':
			r = sd_bus_message_read_basic(m, 't', &u64);
			v = json_object_new_int64((int64_t)u64);
			break;
		default:
			return -EINVAL;
		}
		if (r < 0)
			return r;
		json_object_object_add(params, names, v);
	}
	return 0;
}

/* The member of a JSON object that becomes a value of this type: an object
 * path is the domain named by "uuid". */
struct json_object *
dbus_json_member(struct json_object *obj, const char *type, const char *name)
{
	struct json_object *v = NULL;

	if (*type == 'o')
		name = "uuid";
	if (!obj || !json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, name, &v))
		return NULL;
	return v;
}

/* A struct is a domain summary (methods.def): these members, in order. */
static const char *const dbus_struct_fields[] = {
	"name", "uuid", "state", "path",
};

static int
dbus_append_struct(sd_bus_message *m, const char *type, size_t len,
		   struct json_object *v)
{
	char contents[64];
	const char *t;
	size_t n, field = 0;
	int r;

	if (len - 2 >= sizeof(contents))
		return -E2BIG;
	memcpy(contents, type + 1, len - 2);
	contents[len - 2] = '\0';
	r = sd_bus_message_open_container(m, 'r', contents);
	for (t = contents; r >= 0 && *t; t += n, field++) {
		if (field >= ARRAY_SIZE(dbus_struct_fields))
			return -EINVAL;
		n = dbus_type_len(t);
		r = dbus_append_value(m, t, n,
				      dbus_json_member(v, t, dbus_struct_fields[field]));
	}
	return r < 0 ? r : sd_bus_message_close_container(m);
}

static int
dbus_append_array(sd_bus_message *m, const char *type, size_t len,
		  struct json_object *v)
{
	char contents[64];
	size_t i, n;
	int r;

	if (len - 1 >= sizeof(contents))
		return -E2BIG;
	memcpy(contents, type + 1, len - 1);
	contents[len - 1] = '\0';
	r = sd_bus_message_open_container(m, 'a', contents);
	n = v && json_object_is_type(v, json_type_array) ?
		json_object_array_length(v) : 0;
	for (i = 0; r >= 0 && i < n; i++)
		r = dbus_append_value(m, contents, len - 1,
				      json_object_array_get_idx(v, i));
	return r < 0 ? r : sd_bus_message_close_container(m);
}

/* One JSON value as the complete type type[0..len); null or missing is
 * the type's zero value. */
int
dbus_append_value(sd_bus_message *m, const char *type, size_t len,
		  struct json_object *v)
{
	const char *s;
	char *path;
	uint64_t u64;
	uint32_t u32;
	int b, r;

	switch (*type) {
	case 's':
		s = v ? json_object_get_string(v) : NULL;
		return sd_bus_message_append_basic(m, 's', s ? s : "");
	case 'o':
		s = v ? json_object_get_string(v) : NULL;
		path = s ? dbus_uuid_path(s) : NULL;
		r = sd_bus_message_append_basic(m, 'o', path ? path : "/");
		free(path);
		return r;
	case 'b':
		b = v ? json_object_get_boolean(v) : 0;
		return sd_bus_message_append_basic(m, 'b', &b);
	case 'u':
		u32 = v ? (uint32_t)json_object_get_int64(v) : 0;
		return sd_bus_message_append_basic(m, 'u', &u32);
	case 't':
		u64 = v ? (uint64_t)json_object_get_int64(v) : 0;
		return sd_bus_message_append_basic(m, 't', &u64);
	case 'a':
		return dbus_append_array(m, type, len, v);
	case '(':
		return dbus_append_struct(m, type, len, v);
	default:
		return -EINVAL;
	}
}

/* A method's JSON result as its D-Bus out values. */
int
dbus_append_result(sd_bus_message *m, const char *sig, const char *names,
		   struct json_object *result)
{
	size_t n;
	int r;

	for (; *sig; sig += n, names += strlen(names) + 1) {
		n = dbus_type_len(sig);
		r = dbus_append_value(m, sig, n, dbus_json_member(result, sig, names));
		if (r < 0)
			return r;
	}
	return 0;
}

/* org.vmd1.Error.<Name> for our errors, the standard names for JSON-RPC's
 * own (a malformed request over D-Bus is a bad argument). */
const char *
dbus_error_name(int code, const char *name, char *buf, size_t size)
{
	if (name) {
		snprintf(buf, size, VMD_DBUS_ERROR_PREFIX "%s", name);
		return buf;
	}
	switch (code) {
	case RPC_PARSE_ERROR:
	case RPC_INVALID_REQUEST:
	case RPC_INVALID_PARAMS:
		return SD_BUS_ERROR_INVALID_ARGS;
	case RPC_METHOD_NOT_FOUND:
		return SD_BUS_ERROR_UNKNOWN_METHOD;
	default:
		return SD_BUS_ERROR_FAILED;
	}
}
