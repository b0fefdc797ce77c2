#!/usr/bin/env python3
"""fdatasync cost by how the journal's segment file was created (docs/BUS.md#the-journal).

Run: python3 benches/fdatasync.py [DIR]   (default DIR: the current directory; use a
directory on the disk the data directory lives on).

For each kind of 64 MiB file (sparse, zero-filled, posix_fallocate'd, growing by
appends) it writes 14,000-byte records one after another, each followed by fdatasync,
3,000 times, and prints syncs/s, microseconds per sync, and the CPU the whole machine
spent per sync (from /proc/stat, so kernel threads such as the file system's journal
count too).
"""
import os
import sys
import time

SIZE = 64 * 1024 * 1024
RECORD = 14000
SYNCS = 3000


def busy_ticks():
    with open("/proc/stat") as f:
        fields = list(map(int, f.readline().split()[1:]))
    return sum(fields) - fields[3] - fields[4]  # all but idle and iowait


def run(directory, kind):
    path = os.path.join(directory, "fdatasync-probe.tmp")
    if os.path.exists(path):
        os.remove(path)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if kind == "sparse":
            os.ftruncate(fd, SIZE)
        elif kind == "zeros":
            block = b"\0" * (1 << 20)
            for _ in range(SIZE >> 20):
                os.write(fd, block)
            os.fsync(fd)
        elif kind == "fallocate":
            os.posix_fallocate(fd, 0, SIZE)
            os.fsync(fd)
        data = b"x" * RECORD
        ticks, started = busy_ticks(), time.time()
        for i in range(SYNCS):
            os.pwrite(fd, data, i * RECORD)
            os.fdatasync(fd)
        elapsed, ticks = time.time() - started, busy_ticks() - ticks
        tick_us = 1e6 / os.sysconf("SC_CLK_TCK")
        print(f"{kind:10s} {SYNCS / elapsed:8.0f} syncs/s  {elapsed / SYNCS * 1e6:7.1f} µs/sync  "
              f"machine CPU {ticks * tick_us / SYNCS:7.1f} µs/sync")
    finally:
        os.close(fd)
        os.remove(path)


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "."
    for kind in ("sparse", "zeros", "fallocate", "append"):
        run(target, kind)
