# vmd on D-Bus and under systemd. On the host (no KVM needed): the D-Bus API
# on a private bus, the permission checks of both transports, and a vmd that
# finds no bus. Then ONE lab boot with systemd as PID 1: `make install`ed
# units, policy and programs; vmd.service (Type=notify) on the system bus;
# a VM started over D-Bus; events; socket and D-Bus activation; a restart
# that keeps the VM; callers outside group vmd refused on both transports.
#
#   bash tests/integration/systemd.host.sh TOP BUILD           (the group)
#   bash tests/integration/systemd.host.sh TOP BUILD --l1 STAGE (in the lab)
source "$(dirname "$0")/lib.sh"

VMD=$BUILD/daemon/vmd
VMCTL=$BUILD/cli/vmctl
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

# D-Bus members that rpc/methods.def gives each object.
def_members() { # manager|domain
	sed -n "s/^METHOD([a-z_]*, \"[a-z.]*\", [a-z]*, $1, \"\([A-Za-z]*\)\".*/\1/p" \
		"$TOP/rpc/methods.def"
	sed -n "s/^W\{0,1\}PROPERTY($1, \"\([A-Za-z]*\)\".*/\1/p" "$TOP/rpc/methods.def"
}

# contains TEXT PATTERN / lacks TEXT PATTERN (grep -i)
contains() { grep -qi -- "$2" <<<"$1"; }
lacks() { ! grep -qi -- "$2" <<<"$1"; }

# has_all TEXT WORD...: every WORD appears in TEXT as a member.
has_all() {
	local text=$1 w missing=
	shift
	for w in "$@"; do
		grep -q "^\.$w " <<<"$text" || missing="$missing $w"
	done
	[ -z "$missing" ] || { echo "missing:$missing"; return 1; }
}

# ------------------------------------------------------------------ in L1
# diag TEXT: what vmd was doing, as comment lines, when a check failed.
diag() {
	{
		echo "$1"
		cat /proc/loadavg
		ps -eo pid,stat,pcpu,wchan:24,etime,args | grep -E "vmd|busctl" | grep -v grep
		journalctl -b -u vmd.service --no-pager -n 25
	} 2>&1 | sed 's/^/# /'
}

l1_main() {
	local stage=$1 out path pid i
	local B=(busctl --timeout=120) vmctl=/usr/local/bin/vmctl
	export VMD_SOCKET=/run/vmd/vmd.sock

	# tar, not cp: /lib is a symlink to /usr/lib (merged /usr).
	tar -C "$stage" -cf - . | tar -C / -xf - --keep-directory-symlink &&
		systemctl daemon-reload && systemd-sysusers >/dev/null &&
		systemd-tmpfiles --create /usr/lib/tmpfiles.d/vmd.conf &&
		busctl call org.freedesktop.DBus /org/freedesktop/DBus \
			org.freedesktop.DBus ReloadConfig >/dev/null
	check "install: make install's files in place, systemd and dbus reloaded" \
		test -x /usr/local/bin/vmd -a -f /lib/systemd/system/vmd.service
	out=$(systemd-analyze verify /lib/systemd/system/vmd.service \
		/lib/systemd/system/vmd.socket 2>&1)
	check "units: systemd-analyze verify vmd.service vmd.socket is clean${out:+ ($out)}" \
		test -z "$out"
	check "sysusers: group vmd exists" getent group vmd

	check "systemctl start vmd" systemctl start vmd.service
	check "vmd.service is active (Type=notify: READY=1 came)" \
		test "$(systemctl is-active vmd.service)" = active
	out=$(systemctl show -P StatusText vmd.service)
	check "vmd.service status text: $out" grep -q "defined" <<<"$out"
	out=$(stat -c '%a %U:%G' /run/vmd/vmd.sock 2>&1)
	check "vmd.socket: /run/vmd/vmd.sock is 660 root:vmd ($out)" \
		test "$out" = "660 root:vmd"
	check "D-Bus: vmd owns org.vmd1 on the system bus" busctl status org.vmd1

	out=$(busctl introspect org.vmd1 /org/vmd1 2>&1)
	check "D-Bus: /org/vmd1 has every Manager member of methods.def" \
		has_all "$out" $(def_members manager) DomainEvent

	busctl monitor org.vmd1 >"$WORK/monitor.log" 2>&1 &
	local mon=$!
	sleep 1
	mkdir -p /var/lib/vmd/images
	cp "$GUEST_KERNEL" "$GUEST_INITRD" /var/lib/vmd/images/
	# Guest files where the sandboxed service may read them (its /tmp and
	# /var/tmp are private).
	sed -e "s|<kernel>[^<]*<|<kernel>/var/lib/vmd/images/vmlinuz<|" \
	    -e "s|<initrd>[^<]*<|<initrd>/var/lib/vmd/images/initramfs.cpio.gz<|" \
	    -e "s|<vcpu\([^>]*\)>[0-9]*<|<vcpu\1>1<|" \
		"$BUILD/tests/guest/demo.xml" >"$WORK/demo.xml"
	out=$("${B[@]}" call org.vmd1 /org/vmd1 org.vmd1.Manager Define s "$(cat "$WORK/demo.xml")" 2>&1)
	path=$(sed -n 's/^oas "\([^"]*\)".*/\1/p' <<<"$out")
	check "D-Bus: Define returns the domain's object ($path)" test -n "$path"
	out=$(busctl introspect org.vmd1 "$path" 2>&1)
	check "D-Bus: the domain object has every Domain member of methods.def" \
		has_all "$out" $(def_members domain)
	out=$(busctl tree org.vmd1 2>&1)
	check "D-Bus: the domain object is in the tree" contains "$out" "${path:-(no path)}"
	out=$("${B[@]}" call org.vmd1 "$path" org.vmd1.Domain Start 2>&1)
	check "D-Bus: Start answers once the VM runs${out:+ ($out)}" test -z "$out"
	out=$(busctl get-property org.vmd1 "$path" org.vmd1.Domain State 2>&1)
	check "D-Bus: State is running ($out)" test "$out" = 's "running"'
	out=$(busctl call org.vmd1 "$path" org.vmd1.Domain GetXML 2>&1)
	check "D-Bus: GetXML returns the definition" grep -q "<name>demo</name>" <<<"$out"
	out=$("$vmctl" info demo 2>&1)
	check "vmctl (JSON-RPC) sees the same running domain" contains "$out" "State: *running"
	contains "$out" "State: *running" || diag "$out"

	# Outsiders: the bus policy refuses their calls, reads stay open.
	out=$("${NOBODY[@]}" busctl call org.vmd1 "$path" org.vmd1.Domain Suspend 2>&1)
	check "policy: uid 65534 may not call Suspend on D-Bus ($out)" \
		contains "$out" "denied"
	out=$(busctl get-property org.vmd1 "$path" org.vmd1.Domain State 2>&1)
	check "policy: ... and the domain is still running" test "$out" = 's "running"'
	out=$("${NOBODY[@]}" busctl get-property org.vmd1 "$path" org.vmd1.Domain State 2>&1)
	check "policy: uid 65534 may read properties ($out)" test "$out" = 's "running"'
	[ "$out" = 's "running"' ] || diag "property read as uid 65534"
	out=$("${NOBODY[@]}" busctl introspect org.vmd1 /org/vmd1 2>&1)
	check "policy: uid 65534 may introspect" grep -q Define <<<"$out"
	out=$("${NOBODY[@]}" "$vmctl" list 2>&1)
	check "socket: uid 65534 cannot connect to the 0660 root:vmd socket ($out)" \
		contains "$out" "permission denied"
	chmod 0666 /run/vmd/vmd.sock
	out=$("${NOBODY[@]}" "$vmctl" list 2>&1)
	check "socket opened to all: uid 65534 may list" grep -q demo <<<"$out"
	out=$("${NOBODY[@]}" "$vmctl" suspend demo 2>&1)
	check "socket opened to all: uid 65534 may not suspend ($out)" \
		contains "$out" "only root and members of group 'vmd'"
	chmod 0660 /run/vmd/vmd.sock
	useradd -M -N -s /bin/sh -G vmd vmdtest 2>/dev/null
	local MEMBER=(setpriv --reuid=vmdtest --regid=users --init-groups)
	out=$("${MEMBER[@]}" busctl call org.vmd1 "$path" org.vmd1.Domain Suspend 2>&1)
	check "group vmd: a member may Suspend on D-Bus${out:+ ($out)}" test -z "$out"
	out=$(busctl get-property org.vmd1 "$path" org.vmd1.Domain State 2>&1)
	check "group vmd: State is paused ($out)" test "$out" = 's "paused"'
	out=$("${MEMBER[@]}" "$vmctl" resume demo 2>&1)
	check "group vmd: a member may resume over the socket ($out)" grep -qi resumed <<<"$out"

	# A restart keeps the VM (KillMode=process; vmd reattaches).
	pid=$(busctl get-property org.vmd1 "$path" org.vmd1.Domain PID | awk '{print $2}')
	check "restart: systemctl restart vmd" systemctl restart vmd.service
	check "restart: the VM survived (pid $pid)" alive "$pid"
	for ((i = 0; i < 100; i++)); do
		out=$(busctl get-property org.vmd1 "$path" org.vmd1.Domain State 2>&1)
		[ "$out" = 's "running"' ] && break
		sleep 0.3
	done
	check "restart: vmd reattached, State is running ($out)" test "$out" = 's "running"'
	check "restart: Suspend on D-Bus" "${B[@]}" call org.vmd1 "$path" org.vmd1.Domain Suspend
	check "restart: Resume on D-Bus" "${B[@]}" call org.vmd1 "$path" org.vmd1.Domain Resume

	# Socket activation: only vmd.socket listens, the first client starts vmd.
	systemctl stop vmd.service 2>/dev/null   # "can still be activated by vmd.socket"
	check "socket activation: vmd.service stopped, vmd.socket listening" \
		sh -c "test \"\$(systemctl is-active vmd.service)\" != active && test \"\$(systemctl is-active vmd.socket)\" = active"
	check "socket activation: the VM survived the stop" alive "$pid"
	out=$("$vmctl" list 2>&1)
	check "socket activation: vmctl list started vmd and lists demo" grep -q "demo" <<<"$out"
	check "socket activation: vmd.service is active" \
		test "$(systemctl is-active vmd.service)" = active
	check "destroy: vmctl destroy demo (after activation)" "$vmctl" destroy demo
	check "destroy: the monitor process is gone" gone "$pid"

	# D-Bus activation: nothing runs, a call on org.vmd1 starts vmd.
	systemctl stop vmd.service vmd.socket
	out=$("${B[@]}" call org.vmd1 /org/vmd1 org.vmd1.Manager ListDomains b true 2>&1)
	check "D-Bus activation: ListDomains started vmd ($out)" grep -q '"demo" ".*" "shutoff"' <<<"$out"

	sleep 0.5
	kill "$mon" 2>/dev/null
	out=$(grep -A6 'Member=DomainEvent' "$WORK/monitor.log")
	check "events: DomainEvent started seen on the bus" contains "$out" '"started"'
	check "events: DomainEvent paused seen on the bus" contains "$out" '"paused"'
	out=$(grep -A12 'Member=PropertiesChanged' "$WORK/monitor.log")
	check "events: PropertiesChanged with State seen on the bus" contains "$out" '"State"'
	out=$(journalctl -b -u vmd.service -o cat 2>/dev/null | grep -c "D-Bus: org.vmd1 on the system bus")
	check "journal: vmd said it is on the system bus ($out times)" test "${out:-0}" -ge 1
}

if [ "${3:-}" = --l1 ]; then
	l1_main "$4"
	exit 0
fi

# ---------------------------------------------------------------- on host
PRIV_BUS=$WORK/bus.sock
cat >"$WORK/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$PRIV_BUS</listen>
  <auth>EXTERNAL</auth>
  <!-- Everyone may call everything: what vmd itself refuses shows. -->
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
EOF
chmod 755 "$WORK"
dbus-daemon --config-file="$WORK/bus.conf" --fork --print-pid >"$WORK/bus.pid" 2>"$WORK/bus.err"
for _ in $(seq 50); do [ -S "$PRIV_BUS" ] && break; sleep 0.1; done
chmod 666 "$PRIV_BUS" 2>/dev/null
export DBUS_SESSION_BUS_ADDRESS=unix:path=$PRIV_BUS
export VMD_SOCKET=$WORK/vmd.sock
trap 'kill $VMD_PID $(cat "$WORK/bus.pid" 2>/dev/null) 2>/dev/null; rm -rf "$WORK"' EXIT

# No bus at all: a line in the log, JSON-RPC as ever.
DBUS_SYSTEM_BUS_ADDRESS=unix:path=$WORK/nobus "$VMD" --socket "$WORK/nb.sock" \
	--state-dir "$WORK/nb-state" --run-dir "$WORK/nb-run" >"$WORK/nb.log" 2>&1 &
nb=$!
for _ in $(seq 50); do VMD_SOCKET=$WORK/nb.sock "$VMCTL" version >/dev/null 2>&1 && break; sleep 0.1; done
check "no bus: vmd answers JSON-RPC" env VMD_SOCKET="$WORK/nb.sock" "$VMCTL" version
check "no bus: vmd says so ($(grep D-Bus "$WORK/nb.log" | head -n 1))" grep -q "D-Bus: no system bus" "$WORK/nb.log"
kill "$nb"; wait "$nb" 2>/dev/null

"$VMD" --dbus session --socket "$VMD_SOCKET" --state-dir "$WORK/state" \
	--run-dir "$WORK/run" >"$WORK/vmd.log" 2>&1 &
VMD_PID=$!
for _ in $(seq 50); do timeout 5 busctl --user status org.vmd1 >/dev/null 2>&1 && break; sleep 0.1; done
check "host bus: vmd owns org.vmd1 on a private bus" busctl --user status org.vmd1
out=$(busctl --user introspect org.vmd1 /org/vmd1 2>&1)
check "host bus: Manager has every member of methods.def" has_all "$out" $(def_members manager) DomainEvent
out=$(busctl --user get-property org.vmd1 /org/vmd1 org.vmd1.Manager Version 2>&1)
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"/\1/p' "$BUILD/config.h")
check "host bus: Version property is daemon.version's ($out)" test "$out" = "s \"$version\""
out=$(busctl --user call org.vmd1 /org/vmd1 org.vmd1.Manager Define s "$(cat "$BUILD/tests/guest/demo.xml")" 2>&1)
path=$(sed -n 's/^oas "\([^"]*\)".*/\1/p' <<<"$out")
check "host bus: Define returns the object ($path)" test -n "$path"
out=$(busctl --user call org.vmd1 /org/vmd1 org.vmd1.Manager LookupByName s demo 2>&1)
check "host bus: LookupByName finds the same object" test "$out" = "o \"$path\""
out=$(busctl --user call org.vmd1 /org/vmd1 org.vmd1.Manager ListDomains b true 2>&1)
check "host bus: ListDomains ($out)" test "$out" = "a(ssso) 1 \"demo\" \"$(busctl --user get-property org.vmd1 "$path" org.vmd1.Domain UUID | cut -d'"' -f2)\" \"shutoff\" \"$path\""
out=$(busctl --user introspect org.vmd1 "$path" 2>&1)
check "host bus: Domain has every member of methods.def" has_all "$out" $(def_members domain)
out=$(busctl --user get-property org.vmd1 "$path" org.vmd1.Domain Vcpus MemoryKiB Name 2>&1 | tr '\n' ' ')
check "host bus: Vcpus MemoryKiB Name ($out)" test "$out" = 'u 2 t 262144 s "demo" '
out=$(dbus-send --session --print-reply --dest=org.vmd1 /org/vmd1 org.vmd1.Manager.LookupByName string:nope 2>&1)
check "host bus: errors are org.vmd1.Error.<Name> ($out)" grep -q "org.vmd1.Error.NoSuchDomain" <<<"$out"
out=$(dbus-send --session --print-reply --dest=org.vmd1 /org/vmd1 org.vmd1.Manager.Define string:'<domain' 2>&1)
check "host bus: bad XML is org.vmd1.Error.InvalidXML" grep -q "org.vmd1.Error.InvalidXML" <<<"$out"
out=$(dbus-send --session --print-reply --dest=org.vmd1 "$path" org.vmd1.Domain.Suspend 2>&1)
check "host bus: Suspend of a shut-off domain is NotRunning" grep -q "org.vmd1.Error.NotRunning" <<<"$out"
check "host bus: Autostart is writable" busctl --user set-property org.vmd1 "$path" org.vmd1.Domain Autostart b true
out=$("$VMCTL" info demo 2>&1)
check "host bus: ... through domain.autostart (vmctl info says yes)" grep -q "Autostart: *yes" <<<"$out"
if [ "$(id -u)" = 0 ]; then
	out=$("${NOBODY[@]}" dbus-send --session --print-reply --dest=org.vmd1 "$path" org.vmd1.Domain.Start 2>&1)
	check "host bus: vmd refuses uid 65534 a Start itself ($out)" \
		grep -q "org.vmd1.Error.PermissionDenied" <<<"$out"
	out=$("${NOBODY[@]}" busctl --user set-property org.vmd1 "$path" org.vmd1.Domain Autostart b false 2>&1)
	check "host bus: ... and a Set of Autostart ($out)" grep -q "changes state" <<<"$out"
	out=$("${NOBODY[@]}" busctl --user get-property org.vmd1 "$path" org.vmd1.Domain State 2>&1)
	check "host bus: uid 65534 may read State ($out)" test "$out" = 's "shutoff"'
	chmod 666 "$VMD_SOCKET"
	out=$("${NOBODY[@]}" "$VMCTL" list --all 2>&1)
	check "socket: uid 65534 may list" grep -q demo <<<"$out"
	out=$("${NOBODY[@]}" "$VMCTL" undefine demo 2>&1)
	check "socket: uid 65534 may not undefine ($out)" grep -q "only root and members of group 'vmd'" <<<"$out"
fi
busctl --user monitor org.vmd1 >"$WORK/monitor.log" 2>&1 &
mon=$!
sleep 0.5
check "host bus: Undefine" busctl --user call org.vmd1 /org/vmd1 org.vmd1.Manager Undefine s demo
out=$(busctl --user tree org.vmd1 2>&1)
check "host bus: the domain object is gone" lacks "$out" "domain/"
sleep 0.5
kill "$mon"
out=$(grep -A6 'Member=DomainEvent' "$WORK/monitor.log")
check "host bus: DomainEvent undefined was signalled" contains "$out" '"undefined"'
kill "$VMD_PID"; wait "$VMD_PID" 2>/dev/null

# ---------------------------------------------------------------- the lab
STAGE=$WORK/stage
check "install: make install DESTDIR=..." make -s -C "$BUILD" install DESTDIR="$STAGE"
chmod -R a+rX "$WORK"
cd "$TOP" || exit 1
"$TOP/tests/lab/run" --systemd --timeout 900 -- \
	bash "$TOP/tests/integration/systemd.host.sh" "$TOP" "$BUILD" --l1 "$STAGE"
status=$?
[ "$status" -eq 0 ] || not_ok "lab: systemd run" "status $status"
