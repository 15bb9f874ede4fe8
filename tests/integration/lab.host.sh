# The lab itself, from the host: it gives a KVM host with SVM, real systemd
# as PID 1 on request, and fails fast and clearly when it cannot boot.
source "$(dirname "$0")/lib.sh"

LAB=$TOP/tests/lab/run

n=$(VMD_LAB=force "$LAB" --timeout 300 -- grep -c svm /proc/cpuinfo 2>"$WORK/svm.err")
check "lab: the L1 host has AMD SVM (svm on $n CPUs)" test "${n:-0}" -gt 0

out=$(VMD_LAB=force "$LAB" --timeout 300 -- sh -c 'exit 7' 2>&1)
check "lab: the command's exit status comes back" test $? -eq 7

out=$("$LAB" --systemd --timeout 600 -- systemctl is-system-running 2>"$WORK/systemd.err")
status=$?
check "lab --systemd: systemd is PID 1 and running ($out, status $status)" \
	test "$status" -eq 0 -a "$out" = running

start=$(date +%s)
out=$(VMD_LAB_KERNEL=/nonexistent/vmlinuz VMD_LAB=force "$LAB" --timeout 60 -- true 2>&1)
status=$?
took=$(($(date +%s) - start))
check "lab: a missing L1 kernel fails fast (status $status, ${took}s)" \
	test "$status" -eq 125 -a "$took" -lt 60
check "lab: the error names the missing kernel" contains "$out" /nonexistent/vmlinuz

before=$(pgrep -f 'mount_tag=hostroot' | sort)
start=$(date +%s)
VMD_LAB=force "$LAB" --timeout 20 -- sleep 600 >"$WORK/timeout.out" 2>&1
status=$?
took=$(($(date +%s) - start))
check "lab: the time limit holds (status $status after ${took}s)" \
	sh -c "test $status -eq 125 && test $took -lt 60 && grep -q 'timed out' '$WORK/timeout.out'"
after=$(pgrep -f 'mount_tag=hostroot' | sort)
left=$(comm -13 <(echo "$before") <(echo "$after"))
check "lab: no QEMU left behind after a timeout (${left:-none})" test -z "$left"
