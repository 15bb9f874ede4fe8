# virtio 1.x devices over PCI: core + transport, the virtqueue walker, and
# one file per device.
devices_libvmddevices_a_SOURCES += \
	devices/virtio/virtio.c devices/virtio/virtio.h \
	devices/virtio/queue.c devices/virtio/queue.h \
	devices/virtio/devices.h \
	devices/virtio/rng.c devices/virtio/blk.c devices/virtio/console.c \
	devices/virtio/net.c devices/virtio/slirp.c devices/virtio/slirp.h \
	devices/virtio/balloon.c devices/virtio/input.c
devices_libvmddevices_a_CFLAGS += $(SLIRP_CFLAGS)
# libslirp is dlopen()ed on demand (devices/virtio/slirp.c): not linked.

# libFuzzer targets (clang): not built by default; see tests/fuzz/README.md.
EXTRA_DIST += tests/fuzz/fuzz_virtio.c tests/fuzz/build.sh tests/fuzz/seeds.py \
	tests/fuzz/README.md
fuzz:
	$(top_srcdir)/tests/fuzz/build.sh $(builddir)/tests/fuzz
.PHONY: fuzz

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_virtio_queue
endif
tests_unit_test_virtio_queue_SOURCES = tests/unit/test_virtio_queue.c \
	devices/virtio/queue.c
tests_unit_test_virtio_queue_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_virtio_queue_LDADD = $(UNIT_LIBS)

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_virtio_blk
endif
tests_unit_test_virtio_blk_SOURCES = tests/unit/test_virtio_blk.c \
	tests/unit/virtq_driver.c tests/unit/virtq_driver.h \
	devices/virtio/virtio.c devices/virtio/queue.c devices/virtio/blk.c \
	devices/pci.c devices/bus.c
tests_unit_test_virtio_blk_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_virtio_blk_LDADD = $(UNIT_LIBS)

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_virtio_input
endif
tests_unit_test_virtio_input_SOURCES = tests/unit/test_virtio_input.c \
	tests/unit/virtq_driver.c tests/unit/virtq_driver.h \
	tests/unit/input_guest.c tests/unit/input_guest.h \
	devices/virtio/virtio.c devices/virtio/queue.c devices/virtio/input.c \
	devices/pci.c devices/bus.c
tests_unit_test_virtio_input_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_virtio_input_LDADD = $(UNIT_LIBS)
