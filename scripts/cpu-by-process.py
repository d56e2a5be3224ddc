#!/usr/bin/env python3
"""CPU-seconds per kind of process while a command runs.

usage: scripts/cpu-by-process.py COMMAND [ARGS...]   (e.g. scripts/cpu-by-process.py make test)

Samples /proc every 0.1 s and prints, when the command ends, the user + system CPU each kind of
process used meanwhile (moto, the Go linker, test binaries, Node, the function binaries...), and
how many of each started. Every process on the machine counts, so run it with nothing else going
on. The command's own output goes to /tmp/cpu-by-process.out. Processes shorter than a sample are
missed by the list, not by its second line: the machine's busy and idle CPU (/proc/stat).
"""
import collections
import os
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def kind(comm, cmdline):
    if comm.startswith("python") or comm == "moto_server":
        return "moto/python"
    if cmdline and cmdline[0].endswith(".test"):
        return "test binary"
    return comm


def scan(seen, first, before, initial):
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():  # not this sampler's own CPU
            continue
        try:
            stat = open(f"/proc/{pid}/stat").read()
            cmdline = open(f"/proc/{pid}/cmdline").read().split("\0")
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        cpu = (int(fields[11]) + int(fields[12])) / TICK
        key = (pid, fields[19])  # pid and start time: a reused pid is another process
        first.setdefault(key, cpu if initial else 0.0)
        if initial:
            before.add(key)
        seen[key] = (kind(comm, cmdline), cpu)


def machine():
    """The machine's user + system and idle CPU-seconds so far (/proc/stat's cpu line)."""
    f = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return (f[0] + f[2]) / TICK, f[3] / TICK


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    busy0, idle0 = machine()
    seen, first, before = {}, {}, set()
    scan(seen, first, before, True)
    start = time.time()
    with open("/tmp/cpu-by-process.out", "w") as out:
        proc = subprocess.Popen(sys.argv[1:], stdout=out, stderr=subprocess.STDOUT)
        while proc.poll() is None:
            scan(seen, first, before, False)
            time.sleep(0.1)
    total, started = collections.Counter(), collections.Counter()
    for key, (name, cpu) in seen.items():
        total[name] += cpu - first[key]
        started[name] += key not in before
    busy, idle = machine()
    own = sum(os.times()[:2])
    print(f"exit {proc.returncode}, wall {time.time() - start:.1f} s, CPU {sum(total.values()):.1f} s")
    print(f"the machine: {busy - busy0 - own:.1f} CPU-s busy, {idle - idle0:.1f} idle (every process, "
          "also those too short to sample, and the kernel's work; not this sampler's own)")
    for name, cpu in total.most_common(15):
        if cpu < 0.05:
            break
        print(f"{cpu:8.1f}  {name} ({started[name]} started)")
    sys.exit(proc.returncode)


main()
