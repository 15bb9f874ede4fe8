# virtio devices of vmd-vm with the reference guest: rng, blk (read,
# write-back to the image, read-only, discard), console, net (DHCP, a
# fetch from the L1 host through slirp, hostfwd into the guest), balloon.
source "$(dirname "$0")/lib.sh"

CMD="console=ttyS0 panic=-1 quiet"

# ---------------------------------------------------------------- storage
# rw.img: 8 MiB of a known pattern, fully allocated (so a discard shows).
python3 - "$WORK/rw.img" "$WORK/ro.img" <<'PY'
import sys
d = bytes((i * 7 + 3) & 0xff for i in range(1 << 20)) * 8
open(sys.argv[1], "wb").write(d)
open(sys.argv[2], "wb").write(d[:1 << 20] * 2)
PY
want_sum=$(head -c 1048576 "$WORK/rw.img" | sha256sum | cut -d' ' -f1)
ro_before=$(sha256sum <"$WORK/ro.img")
blocks_before=$(stat -c %b "$WORK/rw.img")

guest_run "$WORK/blk.log" 240 --rng --memory 256M \
	--disk "$WORK/rw.img,serial=vmd-rw" --disk "$WORK/ro.img,readonly" \
	--console "file=$WORK/hvc.log" \
	--cmdline "$CMD vmd.mode=test vmd.tests=msix,hwrng,disk,diskwrite,diskro,discard,hvc,poweroff"
status=$?
check "virtio: guest with rng, two disks and a console powers off (exit $status)" \
	test "$status" -eq 0
r=$(guest_result "$WORK/blk.log" msix)
check "virtio: interrupts are MSI-X ($r)" guest_result "$WORK/blk.log" msix
r=$(guest_result "$WORK/blk.log" hwrng)
check "virtio-rng: guest reads /dev/hwrng ($r)" grep -q virtio_rng <<<"$r"
r=$(guest_result "$WORK/blk.log" disk)
check "virtio-blk: guest reads the image (sha256 of the first MiB matches)" \
	grep -q "size=8388608 sha256=$want_sum" <<<"$r"
check "virtio-blk: guest write+fsync reads back in the guest" \
	guest_result "$WORK/blk.log" diskwrite
got=$(dd if="$WORK/rw.img" bs=65536 skip=16 count=1 2>/dev/null | sha256sum | cut -d' ' -f1)
pat=$(yes vmd-disk-write-pattern | head -c 65536 | sha256sum | cut -d' ' -f1)
check "virtio-blk: the guest's write is in the image after exit" test "$got" = "$pat"
r=$(guest_result "$WORK/blk.log" diskro)
check "virtio-blk: read-only disk refuses writes ($r)" guest_result "$WORK/blk.log" diskro
check "virtio-blk: read-only image unchanged" test "$(sha256sum <"$WORK/ro.img")" = "$ro_before"
blocks_after=$(stat -c %b "$WORK/rw.img")
check "virtio-blk: discard punches a hole ($blocks_before → $blocks_after blocks)" \
	test "$blocks_after" -lt "$blocks_before"
zero=$(dd if="$WORK/rw.img" bs=1048576 skip=4 count=4 2>/dev/null | tr -d '\0' | wc -c)
check "virtio-blk: discarded range reads back as zeroes" test "$zero" -eq 0
check "virtio-console: guest line arrives on the --console back-end" \
	grep -aq "vmd-guest: hello on hvc0" "$WORK/hvc.log"

# INTx: with MSI off in the guest (pci=nomsi) virtio falls back to the
# level-triggered INTA# on the GSI of the slot's _PRT entry.
guest_run "$WORK/intx.log" 240 --rng --disk "$WORK/ro.img,readonly" \
	--cmdline "$CMD pci=nomsi vmd.mode=test vmd.tests=msix,hwrng,disk,poweroff"
check "virtio: INTx fallback with pci=nomsi: rng and disk work" \
	sh -c "grep -aq '^VMDTEST hwrng ok' '$WORK/intx.log' && grep -aq '^VMDTEST disk ok' '$WORK/intx.log' && grep -aq '^VMDTEST msix fail .*msi=0' '$WORK/intx.log'"

# -------------------------------------------------------- network, balloon
mkdir -p "$WORK/www"
head -c 300000 /dev/urandom >"$WORK/www/blob"
blob_sum=$(sha256sum <"$WORK/www/blob" | cut -d' ' -f1)
port=$((20000 + RANDOM % 20000))
(cd "$WORK/www" && exec python3 -m http.server --bind 127.0.0.1 "$port") \
	>"$WORK/http.log" 2>&1 &
http_pid=$!
fwd=$((port + 1))
ctl=$WORK/net.sock
guest_run "$WORK/net.log" 300 --memory 256M --control "unix=$ctl" --balloon \
	--net "user,hostfwd=tcp:$fwd-:8080" --mac 52:54:00:ab:cd:ef \
	--cmdline "$CMD vmd.mode=test vmd.tests=net,fetch,httpd,balloon,wait vmd.wait=120 vmd.url=http://10.0.2.2:$port/blob" &
pid=$!
if wait_for "$WORK/net.log" "VMDTEST balloon " 150; then
	r=$(guest_result "$WORK/net.log" net)
	check "virtio-net: DHCP lease from slirp ($r)" \
		grep -q "ip=10.0.2.15 router=10.0.2.2 mac=52:54:00:ab:cd:ef" <<<"$r"
	r=$(guest_result "$WORK/net.log" fetch)
	check "virtio-net: guest fetches 300 kB from an L1 server via 10.0.2.2" \
		grep -q "bytes=300000 sha256=$blob_sum" <<<"$r"
	got=$(python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=20).read().decode().strip())' \
		"http://127.0.0.1:$fwd/" 2>&1)
	check "virtio-net: hostfwd reaches a server in the guest ($got)" \
		test "$got" = "vmd-guest-httpd-ok"
	check "virtio-balloon: driver bound" guest_result "$WORK/net.log" balloon
	reply=$(control "$ctl" '{"cmd":"balloon","target_mib":128}')
	check "virtio-balloon: target accepted ($reply)" grep -q '"ok": *true' <<<"$reply"
	actual=
	for _ in $(seq 60); do
		reply=$(control "$ctl" '{"cmd":"balloon-stats"}')
		actual=$(sed -n 's/.*"actual_mib": *\([0-9]*\).*/\1/p' <<<"$reply")
		[ -n "$actual" ] && [ "$actual" -le 130 ] && break
		sleep 0.5
	done
	check "virtio-balloon: guest gave memory back (actual ${actual:-?} MiB)" \
		test "${actual:-999}" -le 130
	check "virtio-balloon: stats from the guest ($(grep -o '"free-memory": *[0-9]*' <<<"$reply"))" \
		grep -q '"free-memory"' <<<"$reply"
	reply=$(control "$ctl" '{"cmd":"balloon","target_mib":100000}')
	check "virtio-balloon: an impossible target is refused" grep -q '"ok": *false' <<<"$reply"
else
	not_ok "virtio-net/balloon" "guest did not get there: $(grep -a VMDTEST "$WORK/net.log" | tr '\n' ' ') $(tail -n 3 "$WORK/net.log.stderr" | tr '\n' ' ')"
fi
control "$ctl" '{"cmd":"quit"}' >/dev/null
wait "$pid"
check "virtio: net/balloon guest ends on quit (exit $?)" test $? -eq 0
kill "$http_pid" 2>/dev/null
wait "$http_pid" 2>/dev/null

# ------------------------------------------------------------------- TAP
if modprobe tun 2>/dev/null && ip tuntap add dev vmdtap0 mode tap 2>/dev/null; then
	ip addr add 192.168.76.1/24 dev vmdtap0
	ip link set vmdtap0 up
	guest_run "$WORK/tap.log" 240 --net tap=vmdtap0 \
		--cmdline "$CMD vmd.mode=test vmd.tests=ping,poweroff vmd.ip=192.168.76.2/24 vmd.peer=192.168.76.1"
	status=$?
	r=$(guest_result "$WORK/tap.log" ping)
	check "virtio-net: TAP back-end, guest pings the host ($r, exit $status)" \
		guest_result "$WORK/tap.log" ping
	ip tuntap del dev vmdtap0 mode tap 2>/dev/null
else
	not_ok "virtio-net: TAP back-end" "cannot create a TAP interface here (tun module?)"
fi

# -------------------------------------------------------------- bad input
"$VMD_VM" --kernel "$GUEST_KERNEL" --disk /nonexistent.img >"$WORK/bad1" 2>&1
check "errors: a missing disk image is named (exit 1)" \
	sh -c "test $? -eq 1 && grep -q '/nonexistent.img' '$WORK/bad1'"
"$VMD_VM" --kernel "$GUEST_KERNEL" --disk "$WORK/rw.img,bogus" >"$WORK/bad2" 2>&1
check "errors: a bad --disk option exits 2 naming it" \
	sh -c "test $? -eq 2 && grep -q 'bogus' '$WORK/bad2'"
"$VMD_VM" --kernel "$GUEST_KERNEL" --net user,hostfwd=udp:1-:2 >"$WORK/bad3" 2>&1
check "errors: a bad hostfwd exits 2 naming it" \
	sh -c "test $? -eq 2 && grep -q 'hostfwd' '$WORK/bad3'"
