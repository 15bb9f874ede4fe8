# vmd-vm boots the reference guest: CPUs, memory, serial back-ends, power
# off, the ACPI power button, pause/resume, reset, reboot and bad input.
# Each guest boot costs ~25-60 s in the lab, so checks share boots.
source "$(dirname "$0")/lib.sh"

CMD="console=ttyS0 panic=-1 quiet"

# 1 vCPU, 256 MiB, serial on stdio: the guest comes up, sees its memory,
# powers off → exit 0.
timeout -k 5 240 "$VMD_VM" --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cpus 1 --memory 256M --serial stdio \
	--cmdline "$CMD vmd.mode=test vmd.tests=cpus,mem,poweroff" \
	</dev/null >"$WORK/one.log" 2>"$WORK/one.err"
status=$?
check "boot: 1 vCPU guest powers off with exit status 0 ($status)" test "$status" -eq 0
check "serial: guest output arrives on stdout" grep -aq "vmd-guest: hello" "$WORK/one.log"
n=$(guest_result "$WORK/one.log" cpus)
check "boot: 1 vCPU guest sees 1 CPU ($n)" test "$n" = " n=1"
kib=$(guest_result "$WORK/one.log" mem | sed 's/.*kib=//')
# MemTotal is RAM minus what the kernel keeps; 256 MiB shows as ~200 MiB.
check "boot: guest sees its 256 MiB (MemTotal ${kib:-none} kB)" \
	test "${kib:-0}" -gt 190000 -a "${kib:-0}" -le 262144

# 4 vCPUs, 512 MiB, serial into a file.
guest_run "$WORK/four.log" 240 --cpus 4 --memory 512M \
	--cmdline "$CMD vmd.mode=test vmd.tests=cpus,mem,poweroff"
status=$?
check "serial: guest output arrives in a file" grep -aq "vmd-guest: hello" "$WORK/four.log"
n=$(guest_result "$WORK/four.log" cpus)
check "boot: 4 vCPU guest sees 4 CPUs ($n, exit $status)" test "$n" = " n=4" -a "$status" -eq 0
kib=$(guest_result "$WORK/four.log" mem | sed 's/.*kib=//')
check "boot: guest sees its 512 MiB (MemTotal ${kib:-none} kB)" \
	test "${kib:-0}" -gt 450000 -a "${kib:-0}" -le 524288

# Serial on a unix socket (a client connecting after start still gets the
# boot output), the control socket, and the ACPI power button: powerdown →
# the guest sees the press and powers off → exit 0.
sock=$WORK/serial.sock
ctl=$WORK/control.sock
timeout -k 5 600 "$VMD_VM" --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--serial "unix=$sock" --control "unix=$ctl" \
	--cmdline "$CMD vmd.mode=test vmd.tests=powerbutton vmd.wait=200" \
	</dev/null >"$WORK/button.err" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
timeout 300 /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
while True:
    d = s.recv(65536)
    if not d: break
    sys.stdout.buffer.write(d); sys.stdout.flush()' "$sock" >"$WORK/button.log" 2>&1 &
reader=$!
# A press before the guest watches the button is lost, as on real hardware.
wait_for "$WORK/button.log" "waiting for power button" 240
check "serial: guest output arrives on a unix socket" grep -aq "vmd-guest: hello" "$WORK/button.log"
reply=$(control "$ctl" '{"cmd":"status"}')
check "control: status says running ($reply)" contains "$reply" '"state": *"running"'
reply=$(control "$ctl" '{"cmd":"bogus"}')
check "control: an unknown command gets a clear error" contains "$reply" 'unknown command'
reply=$(control "$ctl" 'not json')
check "control: malformed JSON gets a clear error" contains "$reply" 'malformed JSON'
reply=$(control "$ctl" '{"cmd":"powerdown"}')
check "control: powerdown accepted" contains "$reply" '"ok": *true'
wait "$pid"
status=$?
wait "$reader"
check "acpi: the power button press reaches the guest" guest_result "$WORK/button.log" powerbutton
check "acpi: the guest powers off after the button (exit $status)" test "$status" -eq 0

# Pause really stops the guest: its ticker stops. Then a reset restarts the
# guest in place (the default), and quit ends the monitor with status 0.
guest_run "$WORK/pause.log" 400 --control "unix=$ctl" \
	--cmdline "$CMD vmd.mode=test vmd.tests=ticker" &
pid=$!
if wait_for "$WORK/pause.log" "VMDTEST tick" 240; then
	reply=$(control "$ctl" '{"cmd":"pause"}')
	check "control: pause" contains "$reply" '"ok": *true'
	reply=$(control "$ctl" '{"cmd":"status"}')
	check "control: status says paused" contains "$reply" '"state": *"paused"'
	sleep 0.5
	a=$(grep -ac "VMDTEST tick" "$WORK/pause.log")
	sleep 3
	b=$(grep -ac "VMDTEST tick" "$WORK/pause.log")
	reply=$(control "$ctl" '{"cmd":"resume"}')
	check "control: resume" contains "$reply" '"ok": *true'
	sleep 3
	c=$(grep -ac "VMDTEST tick" "$WORK/pause.log")
	check "control: a paused guest makes no progress ($a → $b ticks)" test "$a" -eq "$b"
	check "control: a resumed guest goes on ($b → $c ticks)" test "$c" -gt "$b"
	control "$ctl" '{"cmd":"reset"}' >/dev/null
	for _ in $(seq 2400); do
		[ "$(grep -ac 'vmd-guest: hello' "$WORK/pause.log")" -ge 2 ] && break
		sleep 0.1
	done
	check "control: reset restarts the guest in place" \
		test "$(grep -ac 'vmd-guest: hello' "$WORK/pause.log")" -ge 2
	for _ in $(seq 100); do [ -S "$ctl" ] && break; sleep 0.1; done
	control "$ctl" '{"cmd":"quit"}' >/dev/null
else
	not_ok "control: pause/resume" "the ticker guest did not start"
	kill "$pid"
fi
wait "$pid"
check "control: quit ends the monitor with status 0" test $? -eq 0

# Reboot in the guest: with --on-reboot exit the monitor ends with status 3.
guest_run "$WORK/reboot.log" 240 --on-reboot exit \
	--cmdline "$CMD vmd.mode=test vmd.tests=reboot"
check "reboot: a guest reboot ends the monitor with status 3" test $? -eq 3

# Bad input gets one clear line naming what is wrong.
"$VMD_VM" --kernel /nonexistent >"$WORK/bad1" 2>&1
status=$?
check "errors: a missing kernel file exits 1 ($status)" test "$status" -eq 1
check "errors: a missing kernel file is named" grep -q '/nonexistent' "$WORK/bad1"
"$VMD_VM" --kernel /etc/hostname >"$WORK/bad2" 2>&1
check "errors: a non-bzImage kernel is refused" grep -q 'not a Linux bzImage' "$WORK/bad2"
"$VMD_VM" --kernel "$GUEST_KERNEL" --memory 7Q >"$WORK/bad3" 2>&1
status=$?
check "errors: bad --memory exits 2 ($status)" test "$status" -eq 2
check "errors: bad --memory is named" grep -q -- '--memory' "$WORK/bad3"
