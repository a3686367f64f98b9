#!/usr/bin/env python3
"""Fault injection: kill `pipecalc run` with SIGKILL at random points and
check that `--resume`, and a plain rerun, give a lake equal to a clean run's,
file by file (manifests, reports and the lock aside: they hold timings and a
process id).

    python3 bench/kill_resume.py [--kills 20] [--events 300K] [--seed 1]

Prints how many kills landed in each state and how many recoveries matched.
It asserts nothing about time; it exits 1 if any recovery differs.
"""

import argparse
import hashlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

SKIP = {"_manifest.json", "run.json", "failed-run.json", ".pipecalc.lock"}


def lake_files(root):
    """Relative path -> SHA-256 of every published file under `root`."""
    found = {}
    for folder, dirs, files in os.walk(root):
        # Hidden folders are staging and retired outputs, not published.
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name in SKIP or name.startswith("."):
                continue
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                found[os.path.relpath(path, root)] = hashlib.sha256(handle.read()).hexdigest()
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--events", default="300K")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--binary", default="target/release/pipecalc")
    args = parser.parse_args()
    if not os.path.exists(args.binary):
        subprocess.run(["cargo", "build", "--release", "--quiet"], check=True)
    random.seed(args.seed)
    work = tempfile.mkdtemp(prefix="pipecalc-kill-")
    logs = os.path.join(work, "logs")
    subprocess.run([args.binary, "generate", "--events", args.events, "--out", logs],
                   check=True, stdout=subprocess.DEVNULL)
    clean = os.path.join(work, "clean")
    started = time.monotonic()
    subprocess.run([args.binary, "run", "--input", logs, "--out", clean],
                   check=True, stdout=subprocess.DEVNULL)
    clean_seconds = time.monotonic() - started
    expected = lake_files(clean)
    print(f"clean run: {len(expected)} files in {clean_seconds:.2f} s")

    outcomes = {"killed": 0, "finished before the kill": 0}
    matched = {"--resume": 0, "plain rerun": 0}
    differed = []
    for kill in range(args.kills):
        for how, extra in (("--resume", ["--resume"]), ("plain rerun", [])):
            lake = os.path.join(work, f"lake-{kill}-{how.strip('-').replace(' ', '-')}")
            process = subprocess.Popen([args.binary, "run", "--input", logs, "--out", lake],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(random.uniform(0, clean_seconds))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                outcomes["killed"] += 1
            else:
                outcomes["finished before the kill"] += 1
            process.wait()
            recovered = subprocess.run([args.binary, "run", "--input", logs, "--out", lake] + extra,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if recovered.returncode == 0 and lake_files(lake) == expected:
                matched[how] += 1
            else:
                differed.append((kill, how, recovered.returncode, recovered.stderr.strip()[-300:]))
    print(f"runs: {outcomes['killed']} killed by SIGKILL, "
          f"{outcomes['finished before the kill']} finished before the kill")
    for how, count in matched.items():
        print(f"{how}: {count} of {args.kills} equal to the clean run, file by file")
    for kill, how, code, error in differed:
        print(f"DIFFERENT: kill {kill}, {how}, exit {code}: {error}")
    subprocess.run(["rm", "-rf", work], check=False)
    sys.exit(1 if differed else 0)


if __name__ == "__main__":
    main()
