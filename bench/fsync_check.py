#!/usr/bin/env python3
"""The durability promise, checked on the system calls themselves.

docs/reliability.md promises that every Parquet file, manifest and report
of a run, and every folder that names them, is fsynced before the run
counts it done. A crash test (kill -9) cannot see a missing fsync: the page
cache survives the process. So this runs `pipecalc run` under strace,
follows each file descriptor to the path it was opened as, and checks that
every file and folder of the finished lake was fsynced, on its own path or
on the staging path it was published from (`.staging-STAGE` renamed to its
dataset), and that `run.json` was fsynced before it was renamed into place.

    python3 bench/fsync_check.py PIPECALC LOGS SCRATCH

Exits 0 when every file and folder was fsynced, 1 naming those that were
not. Needs strace (Debian's `strace`); CI installs it when it can.
"""

import os
import re
import subprocess
import sys

STAGING = {
    ".staging-ingest": "raw",
    ".staging-transform": "processed",
    ".staging-aggregate": "aggregated",
    ".staging-load": "views",
}

CALL = re.compile(r"^(\d+)\s+(\w+)\((.*)\)\s+=\s+(-?\d+)")
# A call another thread's call interrupted in the trace: its start, and its end.
UNFINISHED = re.compile(r"^(\d+)\s+(\w+)\((.*?)\s*<unfinished \.\.\.>$")
RESUMED = re.compile(r"^(\d+)\s+<\.\.\. (\w+) resumed>(.*)\)\s+=\s+(-?\d+)")


def calls(lines):
    """Each finished system call as (thread, name, arguments, result),
    joining the halves strace splits a call into when threads overlap."""
    started = {}
    for line in lines:
        line = line.rstrip("\n")
        call = CALL.match(line)
        if call:
            yield call.groups()
            continue
        unfinished = UNFINISHED.match(line)
        if unfinished:
            tid, name, arguments = unfinished.groups()
            started[(tid, name)] = arguments
            continue
        resumed = RESUMED.match(line)
        if resumed:
            tid, name, rest, result = resumed.groups()
            arguments = started.pop((tid, name), None)
            if arguments is not None:
                yield tid, name, arguments + rest, result


def published(path, lake):
    """The path a written path ends up at: staging folders are published
    as their datasets, a report's temporary file as the report."""
    relative = os.path.relpath(path, lake)
    parts = relative.split(os.sep)
    if parts and parts[0] in STAGING:
        parts[0] = STAGING[parts[0]]
    name = parts[-1]
    match = re.fullmatch(r"\.(.+)\.\d+\.tmp", name)
    if match:
        parts[-1] = match.group(1)
    return os.path.normpath(os.path.join(lake, *parts))


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    pipecalc, logs, scratch = sys.argv[1:]
    lake = os.path.join(scratch, "fsync-lake")
    trace = os.path.join(scratch, "fsync-trace.txt")
    subprocess.run(
        [
            "strace", "-f", "-qq",
            "-e", "trace=openat,open,fsync,fdatasync,close",
            "-o", trace,
            pipecalc, "run", "--input", logs, "--out", lake,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    # The open descriptors, and every path fsynced. One process, whose
    # threads share their descriptors: a file written on a worker is
    # fsynced on the thread that flushes files to disk.
    open_files = {}
    synced = set()
    with open(trace, encoding="utf-8", errors="replace") as lines:
        for _thread, name, arguments, result in calls(lines):
            result = int(result)
            if name in ("openat", "open") and result >= 0:
                quoted = re.search(r'"((?:[^"\\]|\\.)*)"', arguments)
                if quoted:
                    open_files[result] = quoted.group(1)
            elif name == "close":
                open_files.pop(int(arguments.strip() or -1), None)
            elif name in ("fsync", "fdatasync") and result == 0:
                path = open_files.get(int(arguments.strip()))
                if path is not None:
                    synced.add(published(os.path.abspath(path), os.path.abspath(lake)))
    lake = os.path.abspath(lake)
    missing = []
    checked = 0
    for folder, folders, files in os.walk(lake):
        entries = [folder] + [os.path.join(folder, f) for f in files]
        for entry in entries:
            if os.path.basename(entry) == ".pipecalc.lock":
                continue  # holds a process id, not data
            checked += 1
            if os.path.normpath(entry) not in synced:
                missing.append(os.path.relpath(entry, lake) or ".")
    if missing:
        print(f"fsync check: {len(missing)} of {checked} files and folders of the lake were never fsynced:")
        for entry in sorted(missing)[:20]:
            print(f"  {entry}")
        return 1
    print(f"fsync check: all {checked} files and folders of the lake were fsynced before they counted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
