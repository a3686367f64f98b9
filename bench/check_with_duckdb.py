#!/usr/bin/env python3
"""Reads the pipeline's final output with DuckDB, an independent reader, and
compares every (date, product_id, view_count) with the generator's truth.

    python3 bench/check_with_duckdb.py LAKE LOGS

Exits 1 on any difference, 0 when they agree.
"""
import json
import sys

import duckdb


def main() -> int:
    lake, logs = sys.argv[1], sys.argv[2]
    truth = json.load(open(f"{logs}/_truth.json"))["truth"]["views"]
    rows = duckdb.sql(
        f"""
        SELECT CAST(date AS VARCHAR) AS date, product_id, view_count
        FROM read_parquet('{lake}/views/*/*.parquet', hive_partitioning = true)
        """
    ).fetchall()
    found = {}
    for date, product, count in rows:
        found.setdefault(date, {})[product] = count
    expected_rows = sum(len(p) for p in truth.values())
    if found != truth:
        missing = expected_rows - len(rows)
        print(f"DuckDB read {len(rows)} rows; truth has {expected_rows} ({missing} missing or differing)")
        return 1
    print(f"DuckDB read {len(rows)} rows from {lake}/views: every count equals the generator's truth")
    return 0


if __name__ == "__main__":
    sys.exit(main())
