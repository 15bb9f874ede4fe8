# vmm.ko under hostile userspace: kmod/tools/ioctl_hammer throws bad
# pointers, sizes, slots, ids, fds, mmaps and a seeded random phase at every
# ioctl, then the kernel log must show no oops/BUG/WARNING; unload must be
# refused while any fd or mapping is open and work once it is gone (even
# after a SIGKILL mid-KVM_RUN); and 20 load/run/unload cycles, each
# enabling and disabling SVM with a real guest, must all unload, leave
# EFER.SVME clear (read after the first and last guest) and the log clean.
#
#   bash tests/integration/kmod-safety.lab.sh TOP BUILD [MODULE.ko]
#
# The runner starts lab groups without --module and with two arguments, so
# the module is TOP/kmod/vmm.ko unless a third argument (or VMD_KMOD) names
# another build of it.
source "$(dirname "$0")/lib.sh"

KO=${3:-${VMD_KMOD:-$TOP/kmod/vmm.ko}}
CYCLES=${VMD_KMOD_CYCLES:-20}
MARK="kmod-safety: mark $$"

# A tool from the build tree, or compiled here (gcc, libc only).
tool() {
	local name=$1
	shift
	if [ -x "$BUILD/$name" ]; then
		echo "$BUILD/$name"
	elif gcc -D_GNU_SOURCE -O2 -Wall -Wextra -pthread -I"$TOP/tests/kvm" \
		-o "$WORK/${name##*/}" "$@" 2>"$WORK/gcc-${name##*/}.log"; then
		echo "$WORK/${name##*/}"
	fi
}
HAMMER=$(tool kmod/tools/ioctl_hammer "$TOP"/kmod/tools/ioctl_hammer.c \
	"$TOP"/kmod/tools/hammer_*.c "$TOP/tests/kvm/kvmt.c")
RAW=$(tool tests/kvm/kvm-raw-test "$TOP"/tests/kvm/*.c)

# Kernel messages since the last mark that mean the module hurt the kernel.
BAD_LOG='BUG|WARNING|Oops|general protection|RIP:|Call Trace|refcount_t|leak|corruption|soft lockup|hard LOCKUP|rcu_sched self-detected|blocked for more than|Bad page|double free|use-after-free|UBSAN|KASAN'
mark_log() { echo "$MARK $1" >/dev/kmsg; }
log_clean() {
	local name=$1 since=$2
	dmesg | sed -n "/$MARK $since/,\$p" | grep -E "$BAD_LOG" >"$WORK/dmesg.bad"
	if [ -s "$WORK/dmesg.bad" ]; then
		not_ok "$name" "$(head -n 4 "$WORK/dmesg.bad" | tr '\n' ' ')"
	else
		ok "$name"
	fi
}
pins() { awk '$1 == "nr_foll_pin_acquired" { a = $2 } $1 == "nr_foll_pin_released" { r = $2 } END { print a - r }' /proc/vmstat; }
loaded() { [ -d /sys/module/vmm ]; }
# EFER.SVME (bit 12) of every CPU, as "0 0" or "1 0" (needs the msr module).
svme_bits() {
	local cpu v
	for cpu in /dev/cpu/[0-9]*; do
		v=$(dd if="$cpu/msr" bs=8 count=1 skip=$((0xc0000080 / 8)) 2>/dev/null | od -An -tu8)
		[ -n "$v" ] || { echo "?"; return; }
		echo -n "$(((v >> 12) & 1)) "
	done
	echo
}

[ -f "$KO" ] || kmod_load "$KO" kmod-safety  # not built: says so
loaded && rmmod vmm
modprobe msr 2>/dev/null
# The same module without debug info: L1 reads it from tmpfs, not 9p, and
# insmod is several times faster under emulation (20 cycles below).
strip --strip-debug -o "$WORK/vmm.ko" "$KO" 2>/dev/null || cp "$KO" "$WORK/vmm.ko"
SRC_KO=$KO
KO=$WORK/vmm.ko
pins_start=$(pins)
mark_log start
kmod_load "$KO" kmod-safety
ok "kmod-safety insmod $SRC_KO"

# ---------------------------------------------------------------- hammer
if [ -n "$HAMMER" ]; then
	timeout -k 5 150 "$HAMMER" --dev /dev/vmm --seed 1 --fuzz 3000 >"$WORK/hammer.tap" 2>&1
	rc=$?
	sed -e 's/^ok - hammer /ok - kmod-safety hammer /' \
		-e 's/^not ok - hammer /not ok - kmod-safety hammer /' "$WORK/hammer.tap"
	case $rc in
	0 | 1) ;;	# 1: some check failed, already reported above
	124 | 137) not_ok "kmod-safety hammer finished" "timed out after 150 s (last line: $(tail -n 1 "$WORK/hammer.tap"))" ;;
	*) not_ok "kmod-safety hammer finished" "exited with status $rc (last line: $(tail -n 1 "$WORK/hammer.tap"))" ;;
	esac
else
	not_ok "kmod-safety hammer builds" "$(head -n 3 "$WORK"/gcc-ioctl_hammer.log | tr '\n' ' ')"
fi
log_clean "kmod-safety kernel log clean after the hammer" start
echo "# hammer done at ${SECONDS} s"

# ------------------------------------------------- unload vs open fds
mark_log unload
exec 3<>/dev/vmm
if rmmod vmm 2>/dev/null; then
	not_ok "kmod-safety no unload while /dev/vmm is open" "rmmod succeeded"
	insmod "$KO"
else
	ok "kmod-safety no unload while /dev/vmm is open"
fi
exec 3>&-

# A VM fd alone, then a vCPU's run mapping alone (every fd closed): each
# keeps the module in; once the mapping goes, rmmod works.
/usr/bin/python3 - "$KO" <<'PY'
import fcntl, mmap, os, subprocess, sys
def rmmod_ok():
    return subprocess.run(["rmmod", "vmm"], capture_output=True).returncode == 0
def report(name, refused):
    if refused:
        print("ok - kmod-safety " + name)
    else:
        print("not ok - kmod-safety %s: rmmod succeeded" % name)
        subprocess.run(["insmod", sys.argv[1]])
sysfd = os.open("/dev/vmm", os.O_RDWR)
vm = fcntl.ioctl(sysfd, 0xAE01, 0)		# KVM_CREATE_VM
os.close(sysfd)
report("no unload while only a VM fd is open", not rmmod_ok())
vcpu = fcntl.ioctl(vm, 0xAE41, 0)		# KVM_CREATE_VCPU
run = mmap.mmap(vcpu, 8192, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
os.close(vcpu)
os.close(vm)
report("no unload while only a vCPU's run mapping is left", not rmmod_ok())
run.close()
ok = rmmod_ok()
print(("ok - kmod-safety unload once the last mapping is gone") if ok else
      "not ok - kmod-safety unload once the last mapping is gone: rmmod failed")
PY
loaded || insmod "$KO"

# A process SIGKILLed while its vCPU spins in KVM_RUN frees everything.
/usr/bin/python3 - "$WORK/spinner.state" <<'PY' &
import fcntl, mmap, os, struct, sys
sysfd = os.open("/dev/vmm", os.O_RDWR)
vm = fcntl.ioctl(sysfd, 0xAE01, 0)
mem = mmap.mmap(-1, 0x10000)
mem[0x1000:0x1002] = b"\xeb\xfe"		# jmp $
import ctypes
addr = ctypes.addressof(ctypes.c_char.from_buffer(mem))
fcntl.ioctl(vm, 0x4020AE46, struct.pack("IIQQQ", 0, 0, 0, 0x10000, addr))
vcpu = fcntl.ioctl(vm, 0xAE41, 0)
sregs = bytearray(312)
fcntl.ioctl(vcpu, 0x8138AE83, sregs)
struct.pack_into("QIH", sregs, 0, 0, 0xffff, 0)
fcntl.ioctl(vcpu, 0x4138AE84, bytes(sregs))
regs = [0] * 18
regs[16], regs[17] = 0x1000, 2
fcntl.ioctl(vcpu, 0x4090AE82, struct.pack("18Q", *regs))
with open(sys.argv[1], "w") as f:
    f.write("entering KVM_RUN\n")
fcntl.ioctl(vcpu, 0xAE80, 0)			# KVM_RUN: never returns by itself
PY
spinner=$!
wait_for "$WORK/spinner.state" "entering KVM_RUN" 60
sleep 0.5
kill -KILL "$spinner"
wait "$spinner" 2>/dev/null
for _ in $(seq 50); do rmmod vmm 2>/dev/null && break; sleep 0.1; done
if loaded; then
	not_ok "kmod-safety unload after a SIGKILL mid-KVM_RUN" \
		"still loaded, refcnt $(cat /sys/module/vmm/refcnt 2>/dev/null)"
	rmmod vmm 2>/dev/null
else
	ok "kmod-safety unload after a SIGKILL mid-KVM_RUN"
fi
log_clean "kmod-safety kernel log clean after the unload checks" unload
echo "# unload checks done at ${SECONDS} s"

# ------------------------------------------------ load/run/unload cycles
mark_log cycles
fail=
for i in $(seq "$CYCLES"); do
	if ! out=$(insmod "$KO" 2>&1); then
		fail="cycle $i: insmod: $out"
		break
	fi
	# A real guest: SVM is switched on for the VM and off when it goes.
	if [ -n "$RAW" ] && ! out=$(timeout 60 "$RAW" --dev /dev/vmm real_mode_io 2>&1); then
		fail="cycle $i: kvm-raw-test real_mode_io: $(printf '%s' "$out" | grep '^not ok' | head -n 1)"
		break
	fi
	# Reading the MSRs costs a few execs: the first and last cycles.
	if [ "$i" = 1 ] || [ "$i" = "$CYCLES" ]; then
		svme=$(svme_bits)
		case $svme in
		*1*) fail="cycle $i: EFER.SVME still set with no VM (per CPU: $svme)"; break ;;
		esac
	fi
	if ! out=$(rmmod vmm 2>&1); then
		fail="cycle $i: rmmod: $out"
		break
	fi
	if loaded || [ -e /dev/vmm ]; then
		fail="cycle $i: /sys/module/vmm or /dev/vmm still there after rmmod"
		break
	fi
done
if [ -z "$fail" ]; then
	case $(svme_bits) in
	*"?"*) svme_note="EFER.SVME not readable: no msr module" ;;
	*) svme_note="EFER.SVME clear after the guests of cycles 1 and $CYCLES" ;;
	esac
	ok "kmod-safety $CYCLES cycles of insmod, a guest on /dev/vmm, rmmod ($svme_note)"
else
	not_ok "kmod-safety $CYCLES cycles of insmod, a guest on /dev/vmm, rmmod" "$fail"
	loaded && rmmod vmm
fi
[ -n "$RAW" ] || not_ok "kmod-safety kvm-raw-test for the cycles" "cannot build it"
log_clean "kmod-safety kernel log clean after the load/unload cycles" cycles
echo "# $CYCLES cycles done at ${SECONDS} s"

# Every page pinned for a guest was unpinned when its VM went away.
if [ "$(pins)" = "$pins_start" ]; then
	ok "kmod-safety no pinned pages left"
else
	not_ok "kmod-safety no pinned pages left" "pins outstanding: $pins_start before, $(pins) after"
fi
log_clean "kmod-safety kernel log clean over the whole group" start
