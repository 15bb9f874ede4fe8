# vmd-vm boots the reference guest: CPUs, memory, serial back-ends, power
# off, the ACPI power button, pause/resume, reboot and bad input.
source "$(dirname "$0")/lib.sh"

CMD="console=ttyS0 panic=-1 quiet"

# 1 vCPU: the guest comes up, sees its memory, powers off → exit 0.
guest_run "$WORK/one.log" 240 --cpus 1 --memory 256M \
	--cmdline "$CMD vmd.mode=test vmd.tests=cpus,mem,poweroff"
status=$?
check "boot: 1 vCPU guest powers off with exit status 0" test "$status" -eq 0
n=$(guest_result "$WORK/one.log" cpus)
check "boot: 1 vCPU guest sees 1 CPU ($n)" test "$n" = " n=1"
kib=$(guest_result "$WORK/one.log" mem | sed 's/.*kib=//')
# MemTotal is RAM minus what the kernel keeps; 256 MiB shows as ~220-250 MiB.
check "boot: guest sees its 256 MiB (MemTotal ${kib:-none} kB)" \
	test "${kib:-0}" -gt 200000 -a "${kib:-0}" -le 262144

# 4 vCPUs, 512 MiB.
guest_run "$WORK/four.log" 240 --cpus 4 --memory 512M \
	--cmdline "$CMD vmd.mode=test vmd.tests=cpus,mem,poweroff"
status=$?
n=$(guest_result "$WORK/four.log" cpus)
check "boot: 4 vCPU guest sees 4 CPUs ($n, exit $status)" test "$n" = " n=4" -a "$status" -eq 0
kib=$(guest_result "$WORK/four.log" mem | sed 's/.*kib=//')
check "boot: guest sees its 512 MiB (MemTotal ${kib:-none} kB)" \
	test "${kib:-0}" -gt 450000 -a "${kib:-0}" -le 524288

# Serial on stdio.
timeout -k 5 240 "$VMD_VM" --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$CMD vmd.mode=test vmd.tests=poweroff" --serial stdio \
	</dev/null >"$WORK/stdio.out" 2>"$WORK/stdio.err"
check "serial: guest output arrives on stdout" grep -aq "vmd-guest: hello" "$WORK/stdio.out"

# Serial on a unix socket: a client connecting after start still gets the
# boot output (backlog) and everything after.
sock=$WORK/serial.sock
"$VMD_VM" --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "$CMD vmd.mode=test vmd.tests=poweroff" --serial "unix=$sock" \
	</dev/null >"$WORK/unix.err" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
timeout 240 /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
out = b""
while True:
    d = s.recv(65536)
    if not d: break
    out += d
sys.stdout.buffer.write(out)' "$sock" >"$WORK/unix.out" 2>&1
wait "$pid"
check "serial: guest output arrives on a unix socket" grep -aq "vmd-guest: hello" "$WORK/unix.out"

# The ACPI power button: powerdown on the control socket → the guest sees
# the press and powers off → exit 0.
ctl=$WORK/control.sock
guest_run "$WORK/button.log" 240 --control "unix=$ctl" \
	--cmdline "$CMD vmd.mode=test vmd.tests=powerbutton vmd.wait=120" &
pid=$!
# A press before the guest watches the button is lost, as on real hardware.
wait_for "$WORK/button.log" "waiting for power button" 200
reply=$(control "$ctl" '{"cmd":"status"}')
check "control: status says running ($reply)" grep -q '"state": *"running"' <<<"$reply"
reply=$(control "$ctl" '{"cmd":"pause"}')
check "control: pause" grep -q '"ok": *true' <<<"$reply"
reply=$(control "$ctl" '{"cmd":"status"}')
check "control: status says paused" grep -q '"state": *"paused"' <<<"$reply"
reply=$(control "$ctl" '{"cmd":"resume"}')
check "control: resume" grep -q '"ok": *true' <<<"$reply"
reply=$(control "$ctl" '{"cmd":"bogus"}')
check "control: unknown command gets a clear error" grep -q 'unknown command' <<<"$reply"
reply=$(control "$ctl" 'not json')
check "control: malformed JSON gets a clear error" grep -q 'malformed JSON' <<<"$reply"
reply=$(control "$ctl" '{"cmd":"powerdown"}')
check "control: powerdown accepted" grep -q '"ok": *true' <<<"$reply"
wait "$pid"
status=$?
check "acpi: power button press reaches the guest" guest_result "$WORK/button.log" powerbutton
check "acpi: guest powers off after the button (exit $status)" test "$status" -eq 0

# Pause really stops the guest: its clock output stops growing.
guest_run "$WORK/pause.log" 240 --control "unix=$ctl" \
	--cmdline "$CMD vmd.mode=test vmd.tests=ticker" &
pid=$!
if wait_for "$WORK/pause.log" "VMDTEST tick" 200; then
	control "$ctl" '{"cmd":"pause"}' >/dev/null
	sleep 0.5
	a=$(grep -ac "VMDTEST tick" "$WORK/pause.log")
	sleep 3
	b=$(grep -ac "VMDTEST tick" "$WORK/pause.log")
	control "$ctl" '{"cmd":"resume"}' >/dev/null
	sleep 3
	c=$(grep -ac "VMDTEST tick" "$WORK/pause.log")
	check "control: a paused guest makes no progress ($a → $b ticks)" test "$a" -eq "$b"
	check "control: a resumed guest goes on ($b → $c ticks)" test "$c" -gt "$b"
else
	not_ok "control: pause/resume" "the ticker guest did not start"
fi
control "$ctl" '{"cmd":"quit"}' >/dev/null
wait "$pid"
check "control: quit ends the monitor with status 0" test $? -eq 0

# Reboot in the guest: with --on-reboot exit the monitor ends with status 3.
guest_run "$WORK/reboot.log" 240 --on-reboot exit \
	--cmdline "$CMD vmd.mode=test vmd.tests=reboot"
check "reboot: guest reboot ends the monitor with status 3" test $? -eq 3
# The default restarts in place: the guest boots twice (second boot powers
# off because the command line asks the first boot only to reboot... so we
# count hello lines with a ticker instead).
guest_run "$WORK/restart.log" 240 --control "unix=$ctl" \
	--cmdline "$CMD vmd.mode=test vmd.tests=reboot" &
pid=$!
for _ in $(seq 2400); do
	[ "$(grep -ac 'vmd-guest: hello' "$WORK/restart.log")" -ge 2 ] && break
	sleep 0.1
done
check "reboot: default restarts the guest in place" \
	test "$(grep -ac 'vmd-guest: hello' "$WORK/restart.log")" -ge 2
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null

# Bad input gets one clear line naming what is wrong.
"$VMD_VM" --kernel /nonexistent >"$WORK/bad1" 2>&1
check "errors: missing kernel file is named (exit 1)" \
	sh -c "test $? -eq 1 && grep -q '/nonexistent' '$WORK/bad1'"
"$VMD_VM" --kernel /etc/hostname >"$WORK/bad2" 2>&1
check "errors: a non-bzImage kernel is refused" grep -q 'not a Linux bzImage' "$WORK/bad2"
"$VMD_VM" --kernel "$GUEST_KERNEL" --memory 7Q >"$WORK/bad3" 2>&1
check "errors: bad --memory exits 2 naming it" \
	sh -c "test $? -eq 2 && grep -q -- '--memory' '$WORK/bad3'"
