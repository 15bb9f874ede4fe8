/* D-Bus <-> JSON conversions of vmd's D-Bus service (daemon/dbus_json.c). */
#ifndef VMD_DAEMON_DBUS_JSON_H
#define VMD_DAEMON_DBUS_JSON_H

#include <json-c/json.h>
#include <stddef.h>
#include <systemd/sd-bus.h>

/* /org/vmd1/domain/<uuid, escaped> (malloc'd; NULL on failure). */
char *dbus_uuid_path(const char *uuid);
/* The length of the complete type that starts sig ("a(ssso)" -> 7). */
size_t dbus_type_len(const char *sig);
/* D-Bus arguments of basic types into params, one per NUL-terminated name. */
int dbus_read_args(sd_bus_message *m, const char *sig, const char *names,
		   struct json_object *params);
/* The member of obj that becomes a value of type (an 'o': "uuid"). */
struct json_object *dbus_json_member(struct json_object *obj, const char *type,
				     const char *name);
/* One JSON value as the complete type type[0..len); NULL: the zero value. */
int dbus_append_value(sd_bus_message *m, const char *type, size_t len,
		      struct json_object *v);
/* A method's JSON result as its out values, one per name. */
int dbus_append_result(sd_bus_message *m, const char *sig, const char *names,
		       struct json_object *result);
/* org.vmd1.Error.<name>, or the standard name for a JSON-RPC code. */
const char *dbus_error_name(int code, const char *name, char *buf,
			    size_t size);

#endif
