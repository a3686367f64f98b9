#!/usr/bin/env python3
"""How long a Monte Carlo takes: `pipecalc estimate --samples N` on the
bundled uncertain scenario, pinned to one core, median of several runs, with
the same command at --samples 1 beside it so the fixed cost (reading the
scenario three times, the corners, the report) is shown apart from the
per-sample cost.

    python3 bench/samples.py                      # 100000 samples, 7 runs
    python3 bench/samples.py --samples 10000 --repeat 3

Timings are measured here, never asserted in a test.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "pipecalc")
SCENARIO = os.path.join(ROOT, "scenarios", "clickstream-uncertain.yaml")


def timed(samples: int) -> float:
    command = [BINARY, "estimate", SCENARIO, "--samples", str(samples), "--format", "json"]
    # One core, as the promise is made for one: taskset where there is one.
    if shutil.which("taskset"):
        command = ["taskset", "-c", "0"] + command
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    few, many = [], []
    # Interleaved, so a noisy moment weighs on both alike.
    for _ in range(args.repeat):
        few.append(timed(1))
        many.append(timed(args.samples))
    fixed = statistics.median(few)
    total = statistics.median(many)
    per_sample = max(total - fixed, 0.0) / args.samples
    print(f"scenario: {os.path.relpath(SCENARIO, ROOT)}, one core, median of {args.repeat}")
    print(f"  --samples 1: {fixed:.3f} s   (runs spread {min(few):.3f}-{max(few):.3f} s)")
    print(f"  --samples {args.samples}: {total:.3f} s   (runs spread {min(many):.3f}-{max(many):.3f} s)")
    print(f"  per sample: {per_sample * 1e6:.2f} µs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
