# Unit tests (cmocka): one program per subject, run by tests/run under the
# sanitizers. Device tests share one fake VM (tests/unit/fake_vm.c) that
# records what the model did, and link only the device objects they test.
UNIT_LIBS = common/libvmdcommon.a $(CMOCKA_LIBS) $(LIBEVENT_LIBS) $(JSONC_LIBS)
UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(LIBEVENT_CFLAGS) $(JSONC_CFLAGS)

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_util tests/unit/test_options \
	tests/unit/test_bus tests/unit/test_serial tests/unit/test_chardev \
	tests/unit/test_acpi tests/unit/test_rtc tests/unit/test_i8042
endif
tests_unit_test_util_SOURCES = tests/unit/test_util.c
tests_unit_test_util_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_util_LDADD = $(UNIT_LIBS)
tests_unit_test_options_SOURCES = tests/unit/test_options.c devices/options.c
tests_unit_test_options_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_options_LDADD = $(UNIT_LIBS)
tests_unit_test_bus_SOURCES = tests/unit/test_bus.c devices/bus.c
tests_unit_test_bus_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_bus_LDADD = $(UNIT_LIBS)
tests_unit_test_serial_SOURCES = tests/unit/test_serial.c devices/serial.c \
	devices/chardev.c devices/bus.c tests/unit/fake_vm.c tests/unit/fake_vm.h
tests_unit_test_serial_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_serial_LDADD = $(UNIT_LIBS)
tests_unit_test_chardev_SOURCES = tests/unit/test_chardev.c devices/chardev.c
tests_unit_test_chardev_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_chardev_LDADD = $(UNIT_LIBS)
tests_unit_test_acpi_SOURCES = tests/unit/test_acpi.c devices/acpi_tables.c devices/acpi_dsdt.c \
	devices/acpi_pm.c devices/bus.c tests/unit/fake_vm.c tests/unit/fake_vm.h
tests_unit_test_acpi_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_acpi_LDADD = $(UNIT_LIBS)
tests_unit_test_rtc_SOURCES = tests/unit/test_rtc.c devices/rtc.c devices/bus.c \
	tests/unit/fake_vm.c tests/unit/fake_vm.h
tests_unit_test_rtc_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_rtc_LDADD = $(UNIT_LIBS)
tests_unit_test_i8042_SOURCES = tests/unit/test_i8042.c devices/i8042.c \
	devices/bus.c tests/unit/fake_vm.c tests/unit/fake_vm.h
tests_unit_test_i8042_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_i8042_LDADD = $(UNIT_LIBS)

# Raw-KVM programs: tiny hand-made guests driven by ioctls, run in the lab
# against /dev/kvm (and /dev/vmm with --dev).
noinst_PROGRAMS += tests/kvm/kvm-raw-test
tests_kvm_kvm_raw_test_SOURCES = tests/kvm/main.c tests/kvm/kvmt.c \
	tests/kvm/kvmt.h tests/kvm/kvm_cases.h tests/kvm/kvm_api.c \
	tests/kvm/kvm_io.c tests/kvm/kvm_modes.c tests/kvm/kvm_irq.c

# The reference guest: Debian's kernel + a busybox initramfs, made from the
# packages on this machine (never committed).
GUEST_DIR = $(builddir)/tests/guest
all-local: guest
guest: tests/guest/tools/guestbench$(EXEEXT)
	$(AM_V_GEN)$(top_srcdir)/tests/guest/mkguest \
		--tool tests/guest/tools/guestbench$(EXEEXT) $(GUEST_DIR)
	$(AM_V_GEN)sed "s|@GUEST_DIR@|$$(cd $(GUEST_DIR) && pwd)|g" \
		$(top_srcdir)/configs/demo.xml.in >$(GUEST_DIR)/demo.xml
clean-local: guest-clean
guest-clean:
	rm -rf $(GUEST_DIR)

check-programs: $(check_PROGRAMS) $(noinst_PROGRAMS)
.PHONY: guest guest-clean check-programs

EXTRA_DIST += tests/run tests/demo tests/lab tests/guest tests/integration \
	configs/demo.xml.in

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_jsonrpc
endif
tests_unit_test_jsonrpc_SOURCES = tests/unit/test_jsonrpc.c
tests_unit_test_jsonrpc_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/rpc
tests_unit_test_jsonrpc_LDADD = rpc/libvmdrpc.a $(UNIT_LIBS)

# guestbench: the disk and network benchmark the reference guest runs in
# vmd.mode=bench (bench/blk, bench/net). Static, since the guest has no libc
# of its own, and so without the sanitizers, which do not link statically.
noinst_PROGRAMS += tests/guest/tools/guestbench
tests_guest_tools_guestbench_SOURCES = tests/guest/tools/guestbench.c
tests_guest_tools_guestbench_CFLAGS = -std=gnu11 $(WARN_CFLAGS)
tests_guest_tools_guestbench_LDFLAGS = -static

# The SPICE input glue, through a real virtio-input device.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_spice_input
endif
tests_unit_test_spice_input_SOURCES = tests/unit/test_spice_input.c \
	tests/unit/virtq_driver.c tests/unit/virtq_driver.h \
	tests/unit/input_guest.c tests/unit/input_guest.h \
	devices/spice_input.c devices/spice_input.h \
	devices/virtio/virtio.c devices/virtio/queue.c devices/virtio/input.c \
	devices/pci.c devices/bus.c
tests_unit_test_spice_input_CFLAGS = $(UNIT_CFLAGS) $(SPICE_CFLAGS)
tests_unit_test_spice_input_LDADD = $(UNIT_LIBS) $(SPICE_LIBS)
