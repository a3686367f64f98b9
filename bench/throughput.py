#!/usr/bin/env python3
"""Throughput of the reference pipeline: generates 1M and 5M events and runs
the pipeline with 1 and 2 workers, printing per stage and end to end the MB/s
of input JSON, events/s and peak memory, from each run's run.json.

    python3 bench/throughput.py            # 1M and 5M events, 1 and 2 workers
    python3 bench/throughput.py --events 200K --workers 1

Timings are measured here, never asserted in a test.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "pipecalc")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", nargs="+", default=["1M", "5M"])
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2])
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    scratch = tempfile.mkdtemp(prefix="pipecalc-throughput-")
    try:
        print(f"{'events':>7} {'workers':>7} {'stage':>10} {'wall s':>8} {'MB/s in':>9} {'events/s':>11} {'peak MB':>8}")
        for events in args.events:
            logs = os.path.join(scratch, f"logs-{events}")
            subprocess.run([BINARY, "generate", "--events", events, "--out", logs], check=True,
                           stdout=subprocess.DEVNULL)
            for workers in args.workers:
                lake = os.path.join(scratch, f"lake-{events}-{workers}")
                subprocess.run([BINARY, "run", "--input", logs, "--out", lake, "--workers", str(workers),
                                "--format", "json"], check=True, stdout=subprocess.DEVNULL)
                report = json.load(open(os.path.join(lake, "run.json")))
                stages = report["stages"]
                input_bytes = stages[0]["bytes_in"]
                lines = stages[0]["rows_in"]
                for stage in stages:
                    print(f"{events:>7} {workers:>7} {stage['name']:>10} {stage['wall_s']:8.2f} "
                          f"{stage['throughput_bytes_per_s'] / 1e6:9.1f} {stage['throughput_rows_per_s']:11.0f} "
                          f"{stage['peak_memory_bytes'] / 1e6:8.1f}")
                wall = sum(s["wall_s"] for s in stages)
                peak = max(s["peak_memory_bytes"] for s in stages)
                print(f"{events:>7} {workers:>7} {'end to end':>10} {wall:8.2f} {input_bytes / 1e6 / wall:9.1f} "
                      f"{lines / wall:11.0f} {peak / 1e6:8.1f}")
                shutil.rmtree(lake)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
