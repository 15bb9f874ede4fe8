"""What the benchmarks in bench/ share: running in the lab when this machine
has no usable /dev/kvm, the reference guest, QEMU's command line, one guest
run read line by line from its serial console, and the result table.

Device benchmarks (bench/blk, bench/net) boot the reference guest with
vmd.mode=bench vmd.bench=serve: the guest runs one round of a benchmark
for each line on its console and prints "VMDBENCH <test> <value> <unit>"
lines (tests/guest/init, tests/guest/tools/guestbench.c).
"""
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MEM_MIB = 256
CMDLINE = "console=ttyS0 panic=-1 quiet vmd.mode=bench"


def in_lab_or_reexec(timeout=3000):
    """Returns when /dev/kvm works here (or we are the lab's copy);
    otherwise runs this very command inside the lab and never returns."""
    usable = subprocess.run([os.path.join(TOP, "tests/lab/kvm-usable")]).returncode == 0
    if usable or os.environ.get("VMD_BENCH_IN_LAB"):
        return
    print("bench: no usable /dev/kvm here; running inside the lab "
          "(L1 KVM host under QEMU TCG: absolute figures are nested-slow); "
          "%s" % load_note(), flush=True)
    env = dict(os.environ, VMD_BENCH_IN_LAB="1")
    os.execve(os.path.join(TOP, "tests/lab/run"),
              ["tests/lab/run", "--timeout", str(timeout), "--"] + sys.argv, env)


def guest_files(build):
    guest = os.path.join(build, "tests/guest")
    return os.path.join(guest, "vmlinuz"), os.path.join(guest, "initramfs.cpio.gz")


def vmd_vm_argv(build, cmdline, cpus=1):
    kernel, initrd = guest_files(build)
    return [os.path.join(build, "devices/vmd-vm"), "--kernel", kernel,
            "--initrd", initrd, "--memory", "%dM" % MEM_MIB, "--cpus", str(cpus),
            "--serial", "stdio", "--cmdline", cmdline]


def qemu_argv(build, machine, cmdline, cpus=1):
    """QEMU on KVM with the same guest, or None when there is no QEMU."""
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu:
        print("bench: qemu-system-x86_64 not found: only vmd-vm is measured",
              file=sys.stderr)
        return None
    kernel, initrd = guest_files(build)
    return [qemu, "-M", machine, "-accel", "kvm", "-cpu", "host", "-m", str(MEM_MIB),
            "-smp", str(cpus), "-nodefaults", "-no-user-config", "-display", "none",
            "-serial", "stdio", "-no-reboot",
            "-kernel", kernel, "-initrd", initrd, "-append", cmdline]


def wanted_monitors(names):
    """The monitors to run: VMD_BENCH_MONITORS=a,b (default: names)."""
    wanted = os.environ.get("VMD_BENCH_MONITORS")
    if not wanted:
        return list(names)
    out = [n for n in wanted.split(",") if n]
    unknown = [n for n in out if n not in names]
    if unknown:
        sys.exit("bench: VMD_BENCH_MONITORS: unknown %s (known: %s)"
                 % (",".join(unknown), ",".join(names)))
    return out


def run_limit():
    return float(os.environ.get("VMD_BENCH_RUN_LIMIT", "600"))


def secs_rounds():
    """VMD_BENCH_SECS per measurement; ROUNDS from the command line."""
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 6
    return int(os.environ.get("VMD_BENCH_SECS", "3")), rounds


class GuestSession:
    """One guest in vmd.bench=serve, kept up between rounds: a line on its
    serial console runs one round, "VMDBENCH ready" ends it. Results are
    "VMDBENCH <test> <value> <unit>" lines; errors "VMDBENCH [test] error
    ..."."""

    def __init__(self, name, argv, on_line=None):
        self.name, self.on_line = name, on_line
        self.stderr = tempfile.TemporaryFile()
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=self.stderr)
        self.lines = queue.Queue()
        threading.Thread(target=self.read_lines, daemon=True).start()

    def read_lines(self):
        for raw in self.p.stdout:
            self.lines.put(raw.decode(errors="replace").strip("\r\n\x00 "))
        self.lines.put(None)

    def wait_ready(self):
        """Collects (test, value, unit) results and error lines until the
        guest is ready for the next command (or is gone, or too slow).
        Returns (results, errors, still_up)."""
        results, errors = [], []
        deadline = time.monotonic() + run_limit()
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                errors.append("no 'VMDBENCH ready' within %g s" % run_limit())
                return results, errors, False
            if line is None:
                self.stderr.seek(0)
                said = self.stderr.read().decode(errors="replace").strip()[-500:]
                errors.append("the monitor ended (status %s): %s"
                              % (self.p.wait(), said or "nothing said"))
                return results, errors, False
            if self.on_line:
                self.on_line(self.name, line)
            f = line.split()
            if len(f) < 2 or f[0] != "VMDBENCH":
                continue
            if f[1] == "ready":
                return results, errors, True
            if f[1] == "error" or (len(f) >= 3 and f[2] == "error"):
                errors.append(line)
            elif len(f) == 4:
                try:
                    results.append((f[1], float(f[2]), f[3]))
                except ValueError:
                    pass

    def command(self, word):
        try:
            self.p.stdin.write(word.encode() + b"\n")
            self.p.stdin.flush()
        except OSError as e:
            return [], ["cannot reach the console: %s" % e], False
        return self.wait_ready()

    def close(self):
        """Asks the guest to power off; kills the monitor if it does not."""
        try:
            self.p.stdin.write(b"off\n")
            self.p.stdin.close()
        except OSError:
            pass
        try:
            self.p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self.stderr.close()


def monitors_take_turns(argvs, monitors, rounds, word, on_line=None, after=None):
    """Boots every monitor's guest (one after the other) and keeps them all
    up; then, rounds times, has each run one round of word ("blk", "net"),
    in alternating order, so that all see the same load on a busy machine.
    Returns samples[monitor][test] = [(value, unit), ...]. on_line(monitor,
    line) sees every console line; after(monitor) may return a note to
    print after each round."""
    samples = {m: {} for m in monitors}
    sessions = {}

    def say(m, what):
        print("bench: %-7s %s" % (m, what), flush=True)

    try:
        for m in monitors:
            start = time.monotonic()
            s = GuestSession(m, argvs[m], on_line)
            _, errors, ok = s.wait_ready()
            for e in errors:
                say(m, "boot: %s" % e)
            if ok:
                sessions[m] = s
                say(m, "up in %.1f s" % (time.monotonic() - start))
            else:
                s.close()
        for r in range(rounds):
            order = list(sessions)
            if r % 2:
                order.reverse()
            for m in order:
                results, errors, ok = sessions[m].command(word)
                for t, v, unit in results:
                    samples[m].setdefault(t, []).append((v, unit))
                say(m, "round %d: %s" % (
                    r + 1, ", ".join("%s %g %s" % x for x in results) or "no results"))
                for e in errors:
                    say(m, "round %d: %s" % (r + 1, e))
                note = after(m) if after else None
                if note:
                    say(m, "round %d: %s" % (r + 1, note))
                if not ok:
                    sessions.pop(m).close()
    finally:
        for s in sessions.values():
            s.close()
    print("bench: done; %s" % load_note())
    return samples


def table_print(tests, samples, mine, base, base_title):
    """A markdown table of medians: test | mine | base | mine/base.
    samples[monitor][test] is a list of (value, unit); every test here is
    better when larger."""
    names = [mine, base] + [m for m in samples if m not in (mine, base)]
    names = [m for m in names if m in samples]
    titles = {base: base_title}
    print()
    print("| test | " + " | ".join(titles.get(m, m) for m in names) +
          " | ratio %s / %s |" % (mine, base_title))
    print("| --- | " + " | ".join("---" for _ in names) + " | --- |")
    for t in tests:
        cells, med = [], {}
        for m in names:
            got = samples[m].get(t, [])
            if got:
                med[m] = statistics.median(v for v, _ in got)
                unit = got[0][1]
                digits = 0 if unit == "IOPS" else 1 if med[m] >= 10 else 2
                cells.append("%.*f %s (n=%d)" % (digits, med[m], unit, len(got)))
            else:
                cells.append("-")
        ratio = ("%.2f" % (med[mine] / med[base])) if med.get(mine) and med.get(base) else "-"
        print("| %s | %s | %s |" % (t, " | ".join(cells), ratio))


def load_note():
    where = "in the lab's L1" if os.environ.get("VMD_BENCH_IN_LAB") else "here"
    try:
        with open("/proc/loadavg") as f:
            return "load average %s %s" % (where, " ".join(f.read().split()[:3]))
    except OSError:
        return "load average unknown"
