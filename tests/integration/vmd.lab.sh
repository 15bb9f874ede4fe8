# The control plane end to end: vmd + vmctl + vmd-vm with the reference
# guest. Definitions, lifecycle, console, suspend/resume, graceful shutdown
# through the ACPI power button, events, a vmd restart that keeps VMs
# running, and bad input that loses nothing.
source "$(dirname "$0")/lib.sh"

VMD=$BUILD/daemon/vmd
VMCTL=$BUILD/cli/vmctl
export VMD_SOCKET=$WORK/vmd.sock
STATE=$WORK/state
RUN=$WORK/run

vmd_start() {
	"$VMD" --socket "$VMD_SOCKET" --state-dir "$STATE" --run-dir "$RUN" \
		>>"$WORK/vmd.log" 2>&1 &
	VMD_PID=$!
	for _ in $(seq 100); do [ -S "$VMD_SOCKET" ] && "$VMCTL" version >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}

# domain_xml NAME MODE: the bundled demo guest renamed, in test mode MODE.
domain_xml() {
	sed -e "s|<name>demo</name>|<name>$1</name>|" \
	    -e "s|vmd.mode=shell|$2|" "$BUILD/tests/guest/demo.xml"
}

state_of() { "$VMCTL" info "$1" 2>/dev/null | sed -n 's/^[Ss]tate: *//p'; }

wait_state() { # NAME STATE SECONDS
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		[ "$(state_of "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

check "vmd: starts and answers on its socket" vmd_start
"$VMCTL" events >"$WORK/events.log" 2>&1 &
EVENTS_PID=$!

# Define.
domain_xml t1 "vmd.mode=shell" >"$WORK/t1.xml"
check "define: vmctl create defines a domain" "$VMCTL" create "$WORK/t1.xml"
check "define: the definition is on disk" test -s "$STATE/domains/t1.xml"
out=$("$VMCTL" list --all 2>&1)
check "list --all shows the shut-off domain" grep -q "t1.*shut" <<<"$out"
out=$("$VMCTL" list 2>&1)
check "list (running only) leaves it out" sh -c "! grep -q t1 <<<'$out'"

# Bad input loses nothing.
printf '<domain type="kvm"><name>bad</name><memory>x' >"$WORK/bad.xml"
out=$("$VMCTL" create "$WORK/bad.xml" 2>&1)
check "define: malformed XML is refused with a clear error ($out)" \
	sh -c "! $VMCTL info bad >/dev/null 2>&1 && grep -qi 'xml' <<<'$out'"
domain_xml t1 "vmd.mode=shell" | sed 's|<devices>|<devices><hostdev mode="subsystem" type="pci"/>|' >"$WORK/hostdev.xml"
out=$("$VMCTL" create "$WORK/hostdev.xml" 2>&1)
check "define: refused element is named ($out)" grep -q hostdev <<<"$out"
check "define: the old definition is intact after refusals" \
	cmp -s <(domain_xml t1 x | grep -c .) <(domain_xml t1 x | grep -c .)
check "vmd: still running after bad input" kill -0 "$VMD_PID"

# Start and console.
check "start: vmctl start t1" "$VMCTL" start t1
check "start: state is running" test "$(state_of t1)" = running
out=$(echo 'echo console-$((6*7))' | timeout 200 "$VMCTL" console t1 --until console-42 --timeout 180 2>&1)
check "console: a command typed on the console runs in the guest" grep -q console-42 <<<"$out"
out=$("$VMCTL" start t1 2>&1)
check "start: a second start is refused ($out)" grep -qi "already" <<<"$out"
out=$("$VMCTL" undefine t1 2>&1)
check "undefine: refused while running ($out)" grep -qi "running" <<<"$out"

# Suspend / resume.
check "suspend: vmctl suspend t1" "$VMCTL" suspend t1
check "suspend: state is paused" test "$(state_of t1)" = paused
check "resume: vmctl resume t1" "$VMCTL" resume t1
check "resume: state is running" test "$(state_of t1)" = running

# vmd restarts do not stop VMs.
pid=$("$VMCTL" info t1 | sed -n 's/^PID: *//p')
kill -TERM "$VMD_PID"
wait "$VMD_PID"
check "restart: the VM survives vmd stopping (pid $pid)" alive "$pid"
check "restart: vmd starts again" vmd_start
check "restart: vmd reattaches to the running VM" wait_state t1 running 30
out=$(echo 'echo again-$((6*7))' | timeout 200 "$VMCTL" console t1 --until again-42 --timeout 120 2>&1)
check "restart: the console works after reattaching" grep -q again-42 <<<"$out"

# Destroy.
check "destroy: vmctl destroy t1" "$VMCTL" destroy t1
check "destroy: state is shut off" wait_state t1 shutoff 10
check "destroy: the monitor process is gone" gone "$pid"

# Graceful shutdown: the guest powers off on the ACPI power button.
domain_xml t2 "vmd.mode=powerbutton vmd.wait=300" >"$WORK/t2.xml"
"$VMCTL" create "$WORK/t2.xml" >/dev/null 2>&1
check "shutdown: start t2" "$VMCTL" start t2
timeout 200 "$VMCTL" console t2 --until "waiting for power button" --timeout 180 </dev/null >/dev/null 2>&1
check "shutdown: vmctl shutdown t2" "$VMCTL" shutdown t2
check "shutdown: the guest powers off and t2 is shut off" wait_state t2 shutoff 120

# Events seen by a subscriber.
sleep 0.5
check "events: started, paused, resumed, stopped seen" sh -c \
	"grep -q 't1 started' '$WORK/events.log' && grep -q 't1 paused' '$WORK/events.log' && grep -q 't1 resumed' '$WORK/events.log' && grep -q 't2 stopped' '$WORK/events.log'"

# Start errors name the cause.
domain_xml t3 x | sed "s|<kernel>[^<]*</kernel>|<kernel>/nonexistent/vmlinuz</kernel>|" >"$WORK/t3.xml"
"$VMCTL" create "$WORK/t3.xml" >/dev/null 2>&1
out=$("$VMCTL" start t3 2>&1)
check "start: a missing kernel is named in the error ($out)" grep -q "/nonexistent/vmlinuz" <<<"$out"
check "start: t3 stays shut off" test "$(state_of t3)" = shutoff

# Undefine.
check "undefine: vmctl undefine t2" "$VMCTL" undefine t2
check "undefine: the definition file is gone" test ! -e "$STATE/domains/t2.xml"
out=$("$VMCTL" info t2 2>&1)
check "undefine: t2 is unknown afterwards ($out)" grep -qi "no domain" <<<"$out"

# Definitions persist across restarts.
kill -TERM "$VMD_PID"; wait "$VMD_PID"
vmd_start
out=$("$VMCTL" list --all 2>&1)
check "persist: t1 and t3 are still defined after a restart" sh -c "grep -q t1 <<<'$out' && grep -q t3 <<<'$out'"

kill "$EVENTS_PID" 2>/dev/null
kill -TERM "$VMD_PID"; wait "$VMD_PID"
