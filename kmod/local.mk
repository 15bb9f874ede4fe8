# vmm.ko is built with Kbuild against the installed linux-headers; kmod/Makefile
# prints a notice and succeeds when there are none.
all-local: kmod-build
kmod-build:
	$(AM_V_GEN)$(MAKE) -C $(top_srcdir)/kmod
clean-local: kmod-clean
kmod-clean:
	-$(MAKE) -C $(top_srcdir)/kmod clean
.PHONY: kmod-build kmod-clean

# Userspace tools for the module (run in the lab, tests/integration/
# kmod-safety.lab.sh and bench/exits): they talk the KVM ABI, so they build
# without the module and work on /dev/kvm too.
noinst_PROGRAMS += kmod/tools/ioctl_hammer kmod/tools/exit_bench
kmod_tools_ioctl_hammer_SOURCES = kmod/tools/ioctl_hammer.c \
	kmod/tools/hammer_vcpu.c kmod/tools/hammer_run.c kmod/tools/hammer_irq.c \
	kmod/tools/hammer_fuzz.c kmod/tools/hammer.h \
	tests/kvm/kvmt.c tests/kvm/kvmt.h
kmod_tools_ioctl_hammer_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/kvm
kmod_tools_exit_bench_SOURCES = kmod/tools/exit_bench.c
