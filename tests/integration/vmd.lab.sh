# The control plane end to end: vmd + vmctl + vmd-vm with the reference
# guest. Definitions, lifecycle, console, suspend/resume, graceful shutdown
# through the ACPI power button, events, a vmd restart that keeps VMs
# running, and bad input that loses nothing.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/vmd-lib.sh"

vmd_start
check "vmd: starts and answers on its socket" "$VMCTL" version
"$VMCTL" events >"$WORK/events.log" 2>&1 &
EVENTS_PID=$!

# Define.
domain_xml t1 "vmd.mode=shell" >"$WORK/t1.xml"
check "define: vmctl create defines a domain" "$VMCTL" create "$WORK/t1.xml"
check "define: the definition is on disk" test -s "$STATE/domains/t1.xml"
out=$("$VMCTL" list --all 2>&1)
check "list --all shows the shut-off domain" grep -q "t1.*shut" <<<"$out"
out=$("$VMCTL" list 2>&1)
check "list (running only) leaves it out" lacks "$out" t1

# Bad input loses nothing.
cp "$STATE/domains/t1.xml" "$WORK/t1.saved"
printf '<domain type="kvm"><name>bad</name><memory>x' >"$WORK/bad.xml"
out=$("$VMCTL" create "$WORK/bad.xml" 2>&1)
check "define: malformed XML is refused with a clear error ($out)" contains "$out" "malformed XML at line 1"
check "define: nothing is defined from malformed XML" test ! -e "$STATE/domains/bad.xml"
domain_xml t1 "vmd.mode=shell" | sed 's|<devices>|<devices><hostdev mode="subsystem" type="pci"/>|' >"$WORK/hostdev.xml"
out=$("$VMCTL" create "$WORK/hostdev.xml" 2>&1)
check "define: refused element is named ($out)" contains "$out" hostdev
check "define: the stored definition is intact after refusals" cmp "$WORK/t1.saved" "$STATE/domains/t1.xml"
check "vmd: still running after bad input" kill -0 "$VMD_PID"

# Start and console.
check "start: vmctl start t1" "$VMCTL" start t1
check "start: state is running" test "$(state_of t1)" = running
out=$(echo 'echo console-$((6*7))' | timeout 200 "$VMCTL" console t1 --until console-42 --timeout 180 2>&1)
check "console: a command typed on the console runs in the guest" contains "$out" console-42
out=$("$VMCTL" start t1 2>&1)
check "start: a second start is refused ($out)" contains "$out" "already"

# A second VM at once; it waits for the power button (shutdown test below).
domain_xml t2 "vmd.mode=powerbutton vmd.wait=600" >"$WORK/t2.xml"
"$VMCTL" create "$WORK/t2.xml" >/dev/null 2>&1
check "two VMs: start t2 while t1 runs" "$VMCTL" start t2
out=$("$VMCTL" list 2>&1)
check "two VMs: list shows t1 running" contains "$out" "t1 *running"
check "two VMs: list shows t2 running" contains "$out" "t2 *running"
out=$("$VMCTL" undefine t1 2>&1)
check "undefine: refused while running ($out)" contains "$out" "running"

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
vmd_start
check "restart: vmd starts again" "$VMCTL" version
# A subscriber's connection ends with the daemon: subscribe again.
kill "$EVENTS_PID" 2>/dev/null
"$VMCTL" events >>"$WORK/events.log" 2>&1 &
EVENTS_PID=$!
check "restart: vmd reattaches to the running VM" wait_state t1 running 30
out=$(echo 'echo again-$((6*7))' | timeout 200 "$VMCTL" console t1 --until again-42 --timeout 120 2>&1)
check "restart: the console works after reattaching" contains "$out" again-42

# Destroy.
check "destroy: vmctl destroy t1" "$VMCTL" destroy t1
check "destroy: state is shut off" wait_state t1 shutoff 10
check "destroy: the monitor process is gone" gone "$pid"

# Graceful shutdown: the guest powers off on the ACPI power button. Its
# serial log (the console's backlog) shows the boot.
out=$(timeout 300 "$VMCTL" console t2 --until "waiting for power button" --timeout 280 </dev/null 2>&1)
check "console: the serial log shows the guest's boot" contains "$out" "vmd-guest: hello"
check "console: t2 survived the vmd restart too" test "$(state_of t2)" = running
check "shutdown: vmctl shutdown t2" "$VMCTL" shutdown t2
check "shutdown: the guest powers off and t2 is shut off" wait_state t2 shutoff 120

# kill -9 of a monitor: vmd notices, marks the domain crashed, tells
# subscribers. (No need to wait for the guest to boot.)
check "crash: start t1 again" "$VMCTL" start t1
pid=$("$VMCTL" info t1 | sed -n 's/^PID: *//p')
kill -9 "$pid"
check "crash: a killed monitor leaves t1 crashed" wait_state t1 crashed 20
out=$("$VMCTL" info t1 2>&1)
check "crash: the reason says it was killed" contains "$out" "killed"
check "crash: destroy clears a crashed domain" "$VMCTL" destroy t1
check "crash: t1 is shut off afterwards" test "$(state_of t1)" = shutoff

# Events seen by a subscriber.
sleep 0.5
ev=$(cat "$WORK/events.log")
check "events: t1 started seen" contains "$ev" "t1 started"
check "events: t1 paused and resumed seen" sh -c "grep -q 't1 paused' '$WORK/events.log' && grep -q 't1 resumed' '$WORK/events.log'"
check "events: t2 stopped (shutdown) seen" contains "$ev" "t2 stopped shutdown"
check "events: t1 crashed seen" contains "$ev" "t1 crashed"

# Start errors name the cause.
domain_xml t3 x | sed "s|<kernel>[^<]*</kernel>|<kernel>/nonexistent/vmlinuz</kernel>|" >"$WORK/t3.xml"
"$VMCTL" create "$WORK/t3.xml" >/dev/null 2>&1
out=$("$VMCTL" start t3 2>&1)
check "start: a missing kernel is named in the error ($out)" contains "$out" "/nonexistent/vmlinuz"
check "start: t3 stays shut off" test "$(state_of t3)" = shutoff

# Undefine.
check "undefine: vmctl undefine t2" "$VMCTL" undefine t2
check "undefine: the definition file is gone" test ! -e "$STATE/domains/t2.xml"
out=$("$VMCTL" info t2 2>&1)
check "undefine: t2 is unknown afterwards ($out)" contains "$out" "no domain"

# Definitions persist across restarts.
kill -TERM "$VMD_PID"; wait "$VMD_PID"
vmd_start
out=$("$VMCTL" list --all 2>&1)
check "persist: t1 is still defined after a restart" contains "$out" t1
check "persist: t3 is still defined after a restart" contains "$out" t3

kill "$EVENTS_PID" 2>/dev/null
kill -TERM "$VMD_PID"; wait "$VMD_PID"
