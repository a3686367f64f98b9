#!/usr/bin/env python3
"""Runs the same job with DuckDB and with pipecalc, side by side, on the
same logs on this machine, and prints the ratio.

The job: read the JSON logs, write raw Parquet partitioned by date, then
count page views per (date, product_id) and write them partitioned by date.

    pip install duckdb
    python3 bench/duckdb_vs_pipecalc.py --events 1M --workers 2

DuckDB's job is the same work, not the same code: it skips pipecalc's
validation detail (quarantine with reasons, late and drift counts), so the
comparison flatters DuckDB if anything.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

try:
    import duckdb
except ImportError:
    print("DuckDB is not installed; `pip install duckdb` and run again")
    sys.exit(0)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "pipecalc")


def duckdb_job(logs: str, out: str, threads: int) -> float:
    os.makedirs(out, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    started = time.perf_counter()
    con.execute(
        f"""
        COPY (
            SELECT *, CAST(CAST(timestamp AS TIMESTAMP) AS DATE) AS date
            FROM read_json('{logs}/*.jsonl', format = 'newline_delimited',
                           ignore_errors = true, union_by_name = true)
            WHERE timestamp IS NOT NULL AND page IS NOT NULL
        ) TO '{out}/raw' (FORMAT parquet, PARTITION_BY (date), COMPRESSION snappy)
        """
    )
    con.execute(
        f"""
        COPY (
            SELECT date, regexp_extract(page, '^/product/(p[0-9]{{6}})$', 1) AS product_id,
                   count(*) AS view_count
            FROM (SELECT DISTINCT event_id, timestamp, date, page, action
                  FROM read_parquet('{out}/raw/*/*.parquet', hive_partitioning = true))
            WHERE action = 'page_view'
              AND regexp_matches(page, '^/product/p[0-9]{{6}}$')
            GROUP BY ALL
        ) TO '{out}/views' (FORMAT parquet, PARTITION_BY (date), COMPRESSION snappy)
        """
    )
    return time.perf_counter() - started


def pipecalc_job(logs: str, out: str, workers: int) -> float:
    started = time.perf_counter()
    subprocess.run(
        [BINARY, "run", "--input", logs, "--out", out, "--workers", str(workers), "--format", "json"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", default="1M")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    scratch = tempfile.mkdtemp(prefix="pipecalc-bench-")
    try:
        logs = os.path.join(scratch, "logs")
        subprocess.run([BINARY, "generate", "--events", args.events, "--out", logs], check=True,
                       stdout=subprocess.DEVNULL)
        size = sum(os.path.getsize(os.path.join(logs, f)) for f in os.listdir(logs) if f.endswith(".jsonl"))
        ours = pipecalc_job(logs, os.path.join(scratch, "pipecalc"), args.workers)
        theirs = duckdb_job(logs, os.path.join(scratch, "duckdb"), args.workers)
        print(f"input: {args.events} events, {size / 1e6:.1f} MB of JSON, {args.workers} worker(s)/thread(s)")
        print(f"pipecalc: {ours:7.2f} s  {size / 1e6 / ours:7.1f} MB/s")
        print(f"DuckDB:   {theirs:7.2f} s  {size / 1e6 / theirs:7.1f} MB/s  (duckdb {duckdb.__version__})")
        print(f"ratio: pipecalc is {theirs / ours:.2f}x DuckDB's speed (above 1 is faster)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
