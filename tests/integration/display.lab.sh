# The SPICE display through the control plane: <graphics> in the XML →
# vmd picks the port (autoport) and hands the password to vmd-vm in a 0600
# file → "vmctl display" prints the URI a real SPICE client then connects
# to. The display device itself is tested by the spice group.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/vmd-lib.sh"

# graphics_xml NAME GRAPHICS-ELEMENT: a demo guest idling with a screen.
graphics_xml() {
	domain_xml "$1" "vmd.mode=powerbutton vmd.wait=600" |
		sed "s|</devices>|$2<video><model type='vga'/></video></devices>|"
}

# screenshot URI OUT [PASSWORD]: a real SPICE client saves the screen.
screenshot() {
	local host=${1#spice://} pw=${3:-}
	host=${host%:*}
	timeout 60 spicy-screenshot -h "$host" -p "${1##*:}" ${pw:+-w "$pw"} \
		-o "$2" && test -s "$2"
}

vmd_start
check "vmd: starts" "$VMCTL" version

graphics_xml g1 "<graphics type='spice' autoport='yes' passwd='pw-g1'/>" >"$WORK/g1.xml"
graphics_xml g2 "<graphics type='spice' autoport='yes'/>" >"$WORK/g2.xml"
"$VMCTL" create "$WORK/g1.xml" >/dev/null
"$VMCTL" create "$WORK/g2.xml" >/dev/null
out=$("$VMCTL" display g1 2>&1)
check "display: refused while shut off ($out)" contains "$out" "not running"

check "start: g1 with autoport and a password" "$VMCTL" start g1
uri1=$("$VMCTL" display g1 2>&1)
check "display: vmctl display prints spice://127.0.0.1:PORT ($uri1)" \
	grep -Eq '^spice://127\.0\.0\.1:59[0-9][0-9]$' <<<"$uri1"
out=$("$VMCTL" info g1 2>&1)
check "info: shows the same display URI" contains "$out" "$uri1"
# (not "out" in eval'd tests: check() has a local of that name)
dd=$("$VMCTL" domdisplay g1 2>&1)
check "display: the virsh spelling domdisplay works ($dd)" \
	eval '[[ $dd == spice://* && $dd == "$uri1" ]]'

pid=$(cat "$RUN/g1/pid" 2>/dev/null)
cmdline=$(tr '\0' ' ' </proc/"${pid:-0}"/cmdline 2>/dev/null)
check "secrets: the password is not on vmd-vm's command line" \
	eval '[[ $cmdline == *--spice=port=* && $cmdline != *pw-g1* ]]'
check "secrets: the password file is readable by root only" \
	test "$(stat -c %a "$RUN/g1/spice.pass")" = 600
out=$("$VMCTL" dumpxml g1 2>&1)
check "secrets: dumpxml leaves the password out" lacks "$out" pw-g1

check "client: spicy-screenshot with the password gets the screen" \
	screenshot "$uri1" "$WORK/g1.ppm" pw-g1
rm -f "$WORK/g1-nopw.ppm"
check "client: without the password the connection is refused" \
	eval '! screenshot "$uri1" "$WORK/g1-nopw.ppm"'
check "client: with a wrong password too" \
	eval '! screenshot "$uri1" "$WORK/g1-bad.ppm" wrong'

check "start: g2 while g1 runs" "$VMCTL" start g2
uri2=$("$VMCTL" display g2 2>&1)
check "autoport: g2 gets another port ($uri1 / $uri2)" \
	eval '[[ $uri2 == spice://127.0.0.1:* && $uri2 != "$uri1" ]]'
check "client: g2 without a password" screenshot "$uri2" "$WORK/g2.ppm"

# A fixed port that another domain holds: clear error, nothing else moves.
graphics_xml g3 "<graphics type='spice' port='${uri1##*:}' autoport='no'/>" >"$WORK/g3.xml"
"$VMCTL" create "$WORK/g3.xml" >/dev/null
g3=$("$VMCTL" start g3 2>&1)
check "fixed port: a port in use is refused naming it ($g3)" \
	eval '[[ ${uri1##*:} =~ ^[0-9]+$ && $g3 == *"SPICE port ${uri1##*:} is used"* ]]'
check "fixed port: g3 is not running" test "$(state_of g3)" = shutoff
check "fixed port: g1 still serves its screen" \
	screenshot "$uri1" "$WORK/g1-again.ppm" pw-g1

# vmd restarts: the URI survives (reattach).
kill -TERM "$VMD_PID"
wait "$VMD_PID"
vmd_start
wait_state g1 running 30
out=$("$VMCTL" display g1 2>&1)
check "restart: vmd still knows g1's display after reattaching ($out)" \
	test "$out" = "$uri1"

domain_xml plain "vmd.mode=powerbutton" >"$WORK/plain.xml"
"$VMCTL" create "$WORK/plain.xml" >/dev/null
out=$("$VMCTL" display plain 2>&1)
check "display: a domain without <graphics> says so ($out)" \
	contains "$out" "no graphics"

"$VMCTL" destroy g1 >/dev/null 2>&1
"$VMCTL" destroy g2 >/dev/null 2>&1
check "destroy: the password file is gone with the VM" \
	test ! -e "$RUN/g1/spice.pass"
kill -TERM "$VMD_PID"
wait "$VMD_PID"
