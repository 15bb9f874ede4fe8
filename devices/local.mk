# vmd-vm: the device models live in a library so unit tests link the same
# objects the monitor runs.
noinst_LIBRARIES += devices/libvmddevices.a
devices_libvmddevices_a_SOURCES = \
	devices/acpi.h devices/acpi_internal.h devices/acpi_tables.c \
	devices/acpi_dsdt.c devices/acpi_pm.c \
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
	devices/vcpu.c devices/vcpu.h \
	devices/vm.c devices/vm.h
devices_libvmddevices_a_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(JSONC_CFLAGS)

bin_PROGRAMS += devices/vmd-vm
devices_vmd_vm_SOURCES = devices/main.c
devices_vmd_vm_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(JSONC_CFLAGS)
devices_vmd_vm_LDADD = devices/libvmddevices.a common/libvmdcommon.a \
	$(LIBEVENT_LIBS) $(JSONC_LIBS)
