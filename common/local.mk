noinst_LIBRARIES += common/libvmdcommon.a
common_libvmdcommon_a_SOURCES = \
	common/log.c common/log.h \
	common/util.c common/util.h
