# The domain model and libvirt domain XML: one library, linked by vmd and
# vmctl (owned by the domain model's maintainer; docs/domain-xml.md).
noinst_LIBRARIES += daemon/libvmddomain.a
daemon_libvmddomain_a_SOURCES = \
	daemon/domain.c daemon/domain.h \
	daemon/domain_xml.c daemon/domain_xml_priv.h \
	daemon/domain_xml_walk.c daemon/domain_xml_devices.c \
	daemon/domain_xml_disk.c daemon/domain_xml_net.c \
	daemon/domain_xml_format.c
daemon_libvmddomain_a_CFLAGS = $(AM_CFLAGS) $(LIBXML_CFLAGS)

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_domain_xml
endif
tests_unit_test_domain_xml_SOURCES = tests/unit/test_domain_xml.c
tests_unit_test_domain_xml_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	$(LIBXML_CFLAGS) -I$(top_srcdir)/daemon \
	-DEXAMPLES_DIR='"$(abs_top_srcdir)/configs/examples"'
tests_unit_test_domain_xml_LDADD = daemon/libvmddomain.a \
	common/libvmdcommon.a $(LIBXML_LIBS) $(CMOCKA_LIBS)

EXTRA_DIST += docs/domain-xml.md configs/examples/minimal.xml \
	configs/examples/disks-network.xml configs/examples/spice.xml
