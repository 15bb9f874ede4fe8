# Shared helpers for integration groups. A group is run as
#   bash tests/integration/NAME.lab.sh TOP BUILD     (inside the lab)
#   bash tests/integration/NAME.host.sh TOP BUILD    (on the host)
# and prints one line per test: "ok - name" or "not ok - name: why".
set -u

TOP=${1:?top}
BUILD=${2:?build}
# ./quickstart check builds with ASan/UBSan. Integration tests check exit
# statuses, which LeakSanitizer would change at exit (unit tests do check
# leaks); memory errors still abort and fail the test loudly.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
VMD_VM=$BUILD/devices/vmd-vm
GUEST_KERNEL=$BUILD/tests/guest/vmlinuz
GUEST_INITRD=$BUILD/tests/guest/initramfs.cpio.gz
# Scratch space that survives systemd's /tmp cleaning in the lab.
WORK=$(mktemp -d /var/tmp/vmd-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1: $2"; }

# check NAME COMMAND...: ok when COMMAND succeeds; its output is shown on
# failure.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$name"
	else
		not_ok "$name" "$(printf '%s' "$out" | tail -n 5 | tr '\n' ' ')"
	fi
}

# guest_run LOG TIMEOUT [vmd-vm args...]: boots the reference guest, serial
# into LOG, and returns vmd-vm's exit status (124 on timeout).
guest_run() {
	local log=$1 limit=$2
	shift 2
	local status
	timeout -k 5 "$limit" "$VMD_VM" --kernel "$GUEST_KERNEL" \
		--initrd "$GUEST_INITRD" --serial "file=$log" "$@" \
		>"$log.stderr" 2>&1 </dev/null
	status=$?
	# A crash or start-up error: show why (the log dies with the lab).
	case $status in
	0 | 3) ;;
	*) sed 's/^/# vmd-vm: /' "$log.stderr" | tail -n 5 ;;
	esac
	return $status
}

# guest_result LOG CHECK: the details of "VMDTEST CHECK ok ..." in LOG, or
# fails.
guest_result() {
	local line
	line=$(grep -a "^VMDTEST $2 ok" "$1" | head -n 1 | tr -d '\r') || return 1
	[ -n "$line" ] || return 1
	printf '%s\n' "${line#VMDTEST $2 ok}"
}

# control SOCKET JSON: one request on a vmd-vm control socket, prints the
# reply line.
control() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(30)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
buf = b""
while not buf.endswith(b"\n"):
    chunk = s.recv(4096)
    if not chunk:
        break
    buf += chunk
print(buf.decode().strip())
PY
}

# wait_for FILE PATTERN SECONDS: until PATTERN shows up in FILE.
wait_for() {
	# By the clock, not by counting sleeps: under nested emulation each
	# round of grep + sleep takes several times its nominal 0.1 s, which
	# once stretched a 300 s wait past the lab's whole time limit.
	local end=$((SECONDS + $3))
	while [ "$SECONDS" -lt "$end" ]; do
		grep -aq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	grep -aq -- "$2" "$1" 2>/dev/null
}

# alive PID: the process exists and is not a zombie (a VM whose vmd went
# away is reparented to PID 1, which in the lab may never reap it).
alive() {
	local st
	st=$(sed -n 's/^State:\s*\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ]
}
gone() { ! alive "$1"; }

# contains TEXT PATTERN / lacks TEXT PATTERN: for checks on captured output.
contains() { grep -q -- "$2" <<<"$1"; }
lacks() { ! grep -q -- "$2" <<<"$1"; }

# kmod_load KO GROUP: insmod KO. Where that cannot work (module not built,
# not root, no usable AMD-V, module loading disabled) prints one line for
# GROUP and ends the group: a SKIP where the machine is the reason, a
# failure where the build is.
kmod_load() {
	local ko=$1 group=$2 out
	if [ ! -f "$ko" ]; then
		not_ok "$group insmod" "$ko not built (make -C kmod)"
		exit 0
	fi
	if [ "$(id -u)" != 0 ]; then
		ok "$group # SKIP not root (the lab runs this group as root)"
		exit 0
	fi
	out=$(insmod "$ko" 2>&1) && return 0
	case $out in
	*"No such device"*)
		ok "$group # SKIP no usable AMD-V here: $(dmesg | grep 'vmm:' | tail -n 1)" ;;
	*"Operation not permitted"* | *"Function not implemented"*)
		ok "$group # SKIP this machine cannot load modules: $(printf '%s' "$out" | head -n 1)" ;;
	*)
		not_ok "$group insmod" "$out" ;;
	esac
	exit 0
}
