# Raw KVM: tiny hand-made guests (real, protected and long mode; port I/O,
# MMIO, HLT and interrupts) driven through /dev/kvm ioctls, and the
# hypervisor's checks on bad input. Output is the program's own TAP lines.
source "$(dirname "$0")/lib.sh"

"$BUILD/tests/kvm/kvm-raw-test" --dev /dev/kvm
