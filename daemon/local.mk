# vmd: the daemon, its JSON-RPC server and its D-Bus service (one method
# table, rpc/methods.def, for both).
noinst_LIBRARIES += rpc/libvmdrpc.a
rpc_libvmdrpc_a_SOURCES = rpc/jsonrpc.c rpc/jsonrpc.h rpc/methods.def \
	rpc/errors.def
rpc_libvmdrpc_a_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(JSONC_CFLAGS) \
	-I$(top_srcdir)/rpc

bin_PROGRAMS += daemon/vmd
daemon_vmd_SOURCES = daemon/vmd.c daemon/vmd.h daemon/registry.c \
	daemon/store.c daemon/supervisor.c daemon/display.c daemon/methods.c daemon/dbus.c \
	daemon/dbus.h daemon/dbus_json.c daemon/dbus_json.h
daemon_vmd_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(JSONC_CFLAGS) \
	$(SYSTEMD_CFLAGS) $(LIBXML_CFLAGS) -I$(top_srcdir)/rpc \
	-I$(top_srcdir)/daemon -DBINDIR='"$(bindir)"'
daemon_vmd_LDADD = rpc/libvmdrpc.a daemon/libvmddomain.a \
	common/libvmdcommon.a $(LIBEVENT_LIBS) $(JSONC_LIBS) $(SYSTEMD_LIBS) \
	$(LIBXML_LIBS)
