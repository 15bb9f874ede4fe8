/* vmd's D-Bus service (sd-bus on the daemon's libevent loop): the second
 * transport of rpc/methods.def. Every call runs the same method_<id>() as
 * JSON-RPC does; this file only converts arguments, results and errors. */
#ifndef VMD_DAEMON_DBUS_H
#define VMD_DAEMON_DBUS_H

struct vmd;
struct vmd_domain;
struct vmd_dbus;

#define VMD_DBUS_NAME "org.vmd1"
#define VMD_DBUS_PATH "/org/vmd1"
#define VMD_DBUS_DOMAIN_PREFIX "/org/vmd1/domain"
#define VMD_DBUS_MANAGER_IFACE "org.vmd1.Manager"
#define VMD_DBUS_DOMAIN_IFACE "org.vmd1.Domain"
#define VMD_DBUS_ERROR_PREFIX "org.vmd1.Error."

enum vmd_dbus_bus {
	VMD_DBUS_NONE,
	VMD_DBUS_SYSTEM,
	VMD_DBUS_SESSION,
};

/* "system", "session", "none" (also "no", "off"); -1 when unknown. */
int vmd_dbus_bus_parse(const char *s);

/* Connects, publishes the objects and takes the name. NULL when there is no
 * D-Bus (asked for, or no bus reachable: logged once, vmd carries on). */
struct vmd_dbus *vmd_dbus_open(struct vmd *vmd, enum vmd_dbus_bus bus);
void vmd_dbus_close(struct vmd_dbus *db);

/* registry.c's hooks; both do nothing without a bus. */
void vmd_dbus_emit_event(struct vmd_domain *d, const char *event,
			 const char *detail);
/* The domain's state changed: PropertiesChanged soon (coalesced, with the
 * values of the moment it is sent). */
void vmd_dbus_domain_changed(struct vmd_domain *d);

#endif
