# vmd-vm: the device models live in a library so unit tests link the same
# objects the monitor runs.
noinst_LIBRARIES += devices/libvmddevices.a
devices_libvmddevices_a_SOURCES = \
	devices/acpi.h devices/acpi_internal.h devices/acpi_tables.c \
	devices/acpi_dsdt.c devices/acpi_pm.c \
	devices/bochs_vga.c devices/bochs_vga.h \
	devices/boot.c devices/boot.h \
	devices/bus.c devices/bus.h \
	devices/chardev.c devices/chardev.h \
	devices/control.c devices/control.h \
	devices/cpuid.c devices/cpuid.h \
	devices/i8042.c devices/i8042.h \
	devices/options.c devices/options.h \
	devices/pci.c devices/pci.h \
	devices/platform.c devices/platform.h \
	devices/rtc.c devices/rtc.h \
	devices/serial.c devices/serial.h \
	devices/spice_console.c devices/spice_console.h \
	devices/spice_display.c devices/spice_display.h \
	devices/spice_input.c devices/spice_input.h \
	devices/spice_loop.c devices/spice_loop.h \
	devices/vcpu.c devices/vcpu.h \
	devices/vm.c devices/vm.h
devices_libvmddevices_a_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(JSONC_CFLAGS) \
	$(SPICE_CFLAGS)

bin_PROGRAMS += devices/vmd-vm
devices_vmd_vm_SOURCES = devices/main.c
devices_vmd_vm_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(JSONC_CFLAGS)
devices_vmd_vm_LDADD = devices/libvmddevices.a common/libvmdcommon.a \
	$(LIBEVENT_LIBS) $(JSONC_LIBS) $(SPICE_LIBS)

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_bochs_vga
endif
tests_unit_test_bochs_vga_SOURCES = tests/unit/test_bochs_vga.c \
	devices/bochs_vga.c devices/pci.c devices/bus.c \
	tests/unit/fake_vm.c tests/unit/fake_vm.h
tests_unit_test_bochs_vga_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_bochs_vga_LDADD = $(UNIT_LIBS)

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_spice_options
endif
tests_unit_test_spice_options_SOURCES = tests/unit/test_spice_options.c \
	devices/options.c
tests_unit_test_spice_options_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_spice_options_LDADD = $(UNIT_LIBS)
