#!/usr/bin/env python3
"""The same job with DuckDB and with pipecalc, side by side, on the same
logs, in one run on this machine: medians of `--repeat` runs, each into an
empty output folder, the two tools alternating so a noisy moment hits both.

The job: read the JSON logs, write raw Parquet partitioned by date (snappy),
then count page views per (date, product_id) and write them by date.

    pip install duckdb
    python3 bench/duckdb_vs_pipecalc.py --events 1M,5M --workers 2 --repeat 3

What each side does and keeps:
- DuckDB gets the job as a DuckDB user would write it at its best: every
  field of the logs declared (no schema inference), `ignore_errors` for the
  cut-short lines, one COPY to raw Parquet and one to the views. It keeps
  the declared fields; it does not report why a line was dropped.
- pipecalc also validates each line and quarantines the bad ones with their
  reason, counts duplicates, late events and schema drift, keeps unknown
  fields in an `extra` column, fingerprints its input, fsyncs and publishes
  atomically, and writes run.json. So the comparison flatters DuckDB.
- `--inferred` also times DuckDB inferring the schema (`union_by_name`,
  `SELECT *`), as an earlier version of this script did: about twice the
  time, and not the fair comparison.

Times: pipecalc's process from start to exit; DuckDB's two COPYs as timed
inside its process (Python's start-up and `import duckdb` left out, which
favours DuckDB). Peak memory is each process's resident size sampled from
outside every 5 ms (Linux; "not measured" elsewhere); pipecalc's own
whole-run peak (run.json's `process_peak_memory_bytes`) is printed beside
it. pipecalc's time per stage comes from its run.json.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The default release build, what the README's first command builds.
BINARY = os.path.join(ROOT, "target", "release", "pipecalc")

FIELDS = ["event_id", "user_id", "session_id", "page", "timestamp", "action", "user_agent",
          "referrer", "ip", "locale", "screen", "experiment"]

DUCKDB_JOB = r'''
import sys, time, duckdb
logs, out, threads, inferred = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
con = duckdb.connect()
con.execute(f"SET threads = {threads}")
columns = ", ".join(f"{name}: 'VARCHAR'" for name in sys.argv[5].split(","))
if inferred:
    source = f"read_json('{logs}/*.jsonl', format = 'newline_delimited', ignore_errors = true, union_by_name = true)"
else:
    source = f"read_json('{logs}/*.jsonl', format = 'newline_delimited', ignore_errors = true, columns = {{{columns}}})"
started = time.perf_counter()
con.execute(f"""
    COPY (
        SELECT *, CAST(TRY_CAST(timestamp AS TIMESTAMP) AS DATE) AS date
        FROM {source}
        WHERE event_id IS NOT NULL AND page IS NOT NULL AND TRY_CAST(timestamp AS TIMESTAMP) IS NOT NULL
    ) TO '{out}/raw' (FORMAT parquet, PARTITION_BY (date), COMPRESSION snappy)
""")
con.execute(f"""
    COPY (
        SELECT date, regexp_extract(page, '^/product/(p[0-9]{{6}})$', 1) AS product_id,
               count(*) AS view_count
        FROM (SELECT DISTINCT event_id, timestamp, date, page, action
              FROM read_parquet('{out}/raw/*/*.parquet', hive_partitioning = true))
        WHERE action = 'page_view'
          AND regexp_matches(page, '^/product/p[0-9]{{6}}$')
        GROUP BY ALL
    ) TO '{out}/views' (FORMAT parquet, PARTITION_BY (date), COMPRESSION snappy)
""")
print(time.perf_counter() - started)
'''


def resident_bytes(pid):
    """A process's resident size now (Linux), or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def timed(command):
    """Runs a command; returns its wall time, its peak resident size in
    bytes sampled from outside every 5 ms (None where /proc is missing), and
    its standard output. Sampling, not /usr/bin/time: pipecalc resets its
    own high-water mark between stages (for per-stage peaks), which makes
    the kernel's whole-process maximum undercount."""
    started = time.perf_counter()
    with tempfile.TemporaryFile(mode="w+") as out:
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL, text=True)
        peak = None
        while child.poll() is None:
            now = resident_bytes(child.pid)
            if now is not None:
                peak = max(peak or 0, now)
            time.sleep(0.005)
        wall = time.perf_counter() - started
        if child.returncode != 0:
            raise subprocess.CalledProcessError(child.returncode, command)
        out.seek(0)
        return wall, peak, out.read()


def pipecalc_job(logs, out, workers):
    wall, peak, _ = timed([BINARY, "run", "--input", logs, "--out", out, "--workers", str(workers),
                           "--format", "json"])
    with open(os.path.join(out, "run.json")) as f:
        report = json.load(f)
    stages = {s["name"]: s["wall_s"] for s in report["stages"]}
    stages["own peak"] = report.get("process_peak_memory_bytes") or 0
    return wall, peak, stages


def duckdb_job(logs, out, threads, inferred):
    os.makedirs(out)
    _, peak, printed = timed([sys.executable, "-c", DUCKDB_JOB, logs, out, str(threads),
                              "1" if inferred else "0", ",".join(FIELDS)])
    # DuckDB's own time for the two COPYs: Python's start-up and the import
    # are not DuckDB's work.
    return float(printed.strip().splitlines()[-1]), peak


def mb(value):
    return "not measured" if value is None else f"{value / 1e6:.0f} MB"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", default="1M", help="comma-separated sizes, e.g. 1M,5M")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--inferred", action="store_true", help="also time DuckDB inferring the schema")
    args = parser.parse_args()
    try:
        import duckdb
    except ImportError:
        print("DuckDB is not installed; `pip install duckdb` and run again")
        return 0
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    for events in args.events.split(","):
        scratch = tempfile.mkdtemp(prefix="pipecalc-bench-")
        try:
            logs = os.path.join(scratch, "logs")
            subprocess.run([BINARY, "generate", "--events", events, "--out", logs], check=True,
                           stdout=subprocess.DEVNULL)
            size = sum(os.path.getsize(os.path.join(logs, f)) for f in os.listdir(logs) if f.endswith(".jsonl"))
            results = {"pipecalc": [], "DuckDB": [], "DuckDB, inferred schema": []}
            stages = []
            for attempt in range(args.repeat):
                wall, peak, per_stage = pipecalc_job(logs, os.path.join(scratch, f"pipecalc-{attempt}"), args.workers)
                results["pipecalc"].append((wall, peak))
                stages.append(per_stage)
                results["DuckDB"].append(duckdb_job(logs, os.path.join(scratch, f"duckdb-{attempt}"), args.workers, False))
                if args.inferred:
                    results["DuckDB, inferred schema"].append(
                        duckdb_job(logs, os.path.join(scratch, f"inferred-{attempt}"), args.workers, True))
                for name in ("pipecalc", "duckdb", "inferred"):
                    shutil.rmtree(os.path.join(scratch, f"{name}-{attempt}"), ignore_errors=True)
            print(f"\n{events} events, {size / 1e6:.0f} MB of JSON, {args.workers} worker(s)/thread(s), "
                  f"median of {args.repeat} (duckdb {duckdb.__version__})")
            medians = {}
            for name, runs in results.items():
                if not runs:
                    continue
                wall = statistics.median(r[0] for r in runs)
                peaks = [r[1] for r in runs if r[1] is not None]
                medians[name] = wall
                spread = (max(r[0] for r in runs) - min(r[0] for r in runs)) / wall * 100
                print(f"  {name:<24} {wall:7.2f} s  {size / 1e6 / wall:7.1f} MB/s  peak {mb(max(peaks) if peaks else None):>12}"
                      f"  (runs {spread:.0f}% apart)")
            own_peak = max(s.pop("own peak") for s in stages)
            per_stage = {name: statistics.median(s[name] for s in stages) for name in stages[0]}
            print("  pipecalc per stage: " + ", ".join(f"{name} {t:.2f} s" for name, t in per_stage.items())
                  + f"; its own whole-run peak {mb(own_peak or None)}")
            print(f"  ratio: pipecalc runs at {medians['DuckDB'] / medians['pipecalc']:.2f}x DuckDB's speed "
                  f"(above 1 is faster)")
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
