#!/usr/bin/env python3
"""pipecalc on logs it did not write, against DuckDB's own count.

Rewrites generated logs as another shop would write them: `id`, `url`, `ts`
and `type` for event_id, page, timestamp and action; numeric product pages
(`/product/123`); timestamps with a +01:00 offset; a third of the files
gzipped, a third zstd-compressed, the rest `.ndjson`. Then runs pipecalc
with `--field` and `--product-pattern`, and counts the same thing in DuckDB
straight from the rewritten files: distinct (id, instant) page views of a
product page, per UTC date and product.

    python3 bench/check_foreign_with_duckdb.py LOGS WORKDIR PIPECALC

Exits 1 on any difference, 0 when they agree.
"""
import datetime
import gzip
import json
import os
import re
import subprocess
import sys

import duckdb
import zstandard

PRODUCT = re.compile(r"^/product/p([0-9]{6})(.*)$")


def rewrite(line):
    """One generated line as the other shop writes it; a line that is not
    JSON is kept as it is (both readers must refuse it)."""
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return line
    out = {}
    for key, value in event.items():
        if key == "event_id":
            out["id"] = value
        elif key == "page":
            match = PRODUCT.match(value or "")
            out["url"] = f"/product/{int(match.group(1))}{match.group(2)}" if match else value
        elif key == "timestamp":
            utc = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
            local = utc.astimezone(datetime.timezone(datetime.timedelta(hours=1)))
            out["ts"] = local.isoformat(timespec="milliseconds")
        elif key == "action":
            out["type"] = value
        else:
            out[key] = value
    return json.dumps(out, separators=(",", ":")) + "\n"


def main() -> int:
    logs, work, pipecalc = sys.argv[1], sys.argv[2], sys.argv[3]
    foreign = os.path.join(work, "foreign")
    os.makedirs(foreign, exist_ok=True)
    names = sorted(n for n in os.listdir(logs) if n.endswith(".jsonl"))
    for index, name in enumerate(names):
        with open(os.path.join(logs, name)) as handle:
            text = "".join(rewrite(line) for line in handle)
        stem = name[: -len(".jsonl")]
        if index % 3 == 0:
            with gzip.open(os.path.join(foreign, f"{stem}.jsonl.gz"), "wt") as out:
                out.write(text)
        elif index % 3 == 1:
            raw = os.path.join(foreign, f"{stem}.ndjson")
            with open(raw, "w") as out:
                out.write(text)
            with open(raw, "rb") as source:
                data = source.read()
            os.remove(raw)
            with open(os.path.join(foreign, f"{stem}.ndjson.zst"), "wb") as out:
                out.write(zstandard.ZstdCompressor().compress(data))
        else:
            with open(os.path.join(foreign, f"{stem}.ndjson"), "w") as out:
                out.write(text)

    lake = os.path.join(work, "foreign-lake")
    subprocess.run(
        [pipecalc, "run", "--input", foreign, "--out", lake, "--workers", "2",
         "--field", "event_id=id", "--field", "page=url",
         "--field", "timestamp=ts", "--field", "action=type",
         "--product-pattern", r"^/product/([0-9]+)(?:[?#].*)?$", "--format", "json"],
        check=True, stdout=subprocess.DEVNULL)

    duckdb.sql("SET TimeZone = 'UTC'")
    # DuckDB reads every file, compressed or not, and counts on its own.
    # Dates are UTC; the product id is what the pattern captures.
    counted = duckdb.sql(
        f"""
        WITH events AS (
            SELECT id, url, type, TRY_CAST(ts AS TIMESTAMPTZ) AS instant
            FROM read_json('{foreign}/*', format = 'newline_delimited',
                           columns = {{id: 'VARCHAR', url: 'VARCHAR', ts: 'VARCHAR', type: 'VARCHAR'}},
                           ignore_errors = true)
        ), distinct_events AS (
            SELECT DISTINCT id, instant, url, type FROM events
            WHERE id IS NOT NULL AND id <> '' AND instant IS NOT NULL AND url IS NOT NULL AND url <> ''
        )
        SELECT strftime(instant, '%Y-%m-%d') AS date,
               regexp_extract(url, '^/product/([0-9]+)(?:[?#].*)?$', 1) AS product_id,
               count(*) AS views
        FROM distinct_events
        WHERE type = 'page_view' AND regexp_matches(url, '^/product/([0-9]+)(?:[?#].*)?$')
        GROUP BY ALL
        """
    ).fetchall()
    expected = {(d, p): v for d, p, v in counted}
    rows = duckdb.sql(
        f"""
        SELECT CAST(date AS VARCHAR), product_id, view_count
        FROM read_parquet('{lake}/views/*/*.parquet', hive_partitioning = true)
        """
    ).fetchall()
    found = {(d, p): v for d, p, v in rows}
    if found != expected:
        differing = {k for k in set(found) | set(expected) if found.get(k) != expected.get(k)}
        print(f"foreign logs: pipecalc wrote {len(found)} rows, DuckDB counted {len(expected)}; "
              f"{len(differing)} differ, e.g. {sorted(differing)[:3]}")
        return 1
    print(f"foreign logs (renamed fields, +01:00 offsets, numeric ids, gzip/zstd/ndjson): "
          f"{len(found)} (date, product) counts equal DuckDB's own count")
    return 0


if __name__ == "__main__":
    sys.exit(main())
