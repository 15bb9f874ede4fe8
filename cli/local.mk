# vmctl, the command-line client. Everything but main() is in a library so
# the unit tests link the very code the program runs.
VMCTL_SOURCES = cli/vmctl.c cli/vmctl.h cli/args.c cli/output.c \
	cli/console.c cli/rpc_client.c cli/rpc_client.h
VMCTL_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBXML_CFLAGS) \
	-I$(top_srcdir)/rpc -I$(top_srcdir)/daemon
# validate parses with vmd's own domain library (daemon/domain.mk).
VMCTL_LIBS = daemon/libvmddomain.a common/libvmdcommon.a $(JSONC_LIBS) \
	$(LIBXML_LIBS)
EXTRA_DIST += docs/vmctl.md

bin_PROGRAMS += cli/vmctl
cli_vmctl_SOURCES = cli/main.c $(VMCTL_SOURCES)
cli_vmctl_CFLAGS = $(VMCTL_CFLAGS)
cli_vmctl_LDADD = $(VMCTL_LIBS)

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_vmctl tests/unit/test_vmctl_rpc
endif
tests_unit_test_vmctl_SOURCES = tests/unit/test_vmctl.c $(VMCTL_SOURCES)
tests_unit_test_vmctl_CFLAGS = $(VMCTL_CFLAGS) $(CMOCKA_CFLAGS) -I$(top_srcdir)/cli
tests_unit_test_vmctl_LDADD = $(VMCTL_LIBS) $(CMOCKA_LIBS)
tests_unit_test_vmctl_rpc_SOURCES = tests/unit/test_vmctl_rpc.c $(VMCTL_SOURCES)
tests_unit_test_vmctl_rpc_CFLAGS = $(VMCTL_CFLAGS) $(CMOCKA_CFLAGS) -I$(top_srcdir)/cli
tests_unit_test_vmctl_rpc_LDADD = $(VMCTL_LIBS) $(CMOCKA_LIBS)
