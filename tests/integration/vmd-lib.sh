# Helpers for groups that drive vmd + vmctl (sourced after lib.sh): a vmd
# of the test's own under $WORK, and domains made from the bundled demo
# guest.
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
