# systemd units, the D-Bus policy and activation file, sysusers, tmpfiles
# and modules-load snippets. The directories come from configure
# (--with-systemdsystemunitdir ... ; defaults from systemd.pc / Debian's).
systemdsystemunit_DATA = units/vmd.service units/vmd.socket
dbuspolicy_DATA = units/org.vmd1.conf
dbussystemservice_DATA = units/dbus-1/org.vmd1.service
dist_doc_DATA = docs/dbus.md
EXTRA_DIST += units/vmd.service.in units/vmd.socket units/org.vmd1.conf \
	units/org.vmd1.service.in units/vmd.sysusers units/vmd.tmpfiles \
	units/vmd-modules.conf
CLEANFILES += units/vmd.service units/dbus-1/org.vmd1.service

units_subst = sed -e 's|@bindir[@]|$(bindir)|g' -e 's|@docdir[@]|$(docdir)|g'

units/vmd.service: $(srcdir)/units/vmd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) units && $(units_subst) $(srcdir)/units/vmd.service.in >$@
units/dbus-1/org.vmd1.service: $(srcdir)/units/org.vmd1.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) units/dbus-1 && \
	$(units_subst) $(srcdir)/units/org.vmd1.service.in >$@

# These three are installed under the name vmd.conf in their own folders.
install-data-local: units-install
units-install:
	$(MKDIR_P) '$(DESTDIR)$(sysusersdir)' '$(DESTDIR)$(tmpfilesdir)' \
		'$(DESTDIR)$(modulesloaddir)'
	$(INSTALL_DATA) $(srcdir)/units/vmd.sysusers '$(DESTDIR)$(sysusersdir)/vmd.conf'
	$(INSTALL_DATA) $(srcdir)/units/vmd.tmpfiles '$(DESTDIR)$(tmpfilesdir)/vmd.conf'
	$(INSTALL_DATA) $(srcdir)/units/vmd-modules.conf '$(DESTDIR)$(modulesloaddir)/vmd.conf'
uninstall-local: units-uninstall
units-uninstall:
	rm -f '$(DESTDIR)$(sysusersdir)/vmd.conf' '$(DESTDIR)$(tmpfilesdir)/vmd.conf' \
		'$(DESTDIR)$(modulesloaddir)/vmd.conf'
.PHONY: units-install units-uninstall
