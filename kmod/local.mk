# vmm.ko is built with Kbuild against the installed linux-headers; kmod/Makefile
# prints a notice and succeeds when there are none.
all-local: kmod-build
kmod-build:
	$(AM_V_GEN)$(MAKE) -C $(top_srcdir)/kmod
clean-local: kmod-clean
kmod-clean:
	-$(MAKE) -C $(top_srcdir)/kmod clean
.PHONY: kmod-build kmod-clean
