#!/usr/bin/env python3
"""Event logs of the bundled job on a standalone cluster, at several sizes.

Starts a master and workers on this host (spark/cluster.py), generates the
logs of each size with `pipecalc generate`, spark-submits
spark/clickstream.py to the cluster for each (size, repeat), interleaved
(every size once, then every size again), and keeps each
application's event log as OUT/<size>-<repeat>. With --check, the first run
of each size is compared row for row with `pipecalc run` on the same logs.

    python3 spark/runs.py PIPECALC OUT --sizes 100K,200K,400K --repeat 3 [--check]

What it prints is what it measured; nothing is asserted about time.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from cluster import Cluster  # noqa: E402


def views_equal(spark_views, pipecalc_views):
    """Both views folders as (date, product, count) rows, compared whole,
    read by Spark in local mode."""
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    spark = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").getOrCreate()
    try:
        def views(folder):
            return spark.read.parquet(folder).select(
                F.col("date").cast("string").alias("date"), "product_id",
                F.col("view_count").cast("long").alias("view_count"))

        ours, theirs = views(pipecalc_views), views(spark_views)
        same = ours.exceptAll(theirs).count() == 0 and theirs.exceptAll(ours).count() == 0
        return same, theirs.count()
    finally:
        spark.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("pipecalc")
    parser.add_argument("out")
    parser.add_argument("--sizes", default="100K,200K,400K")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--seed", type=int, default=31)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix="pipecalc-spark-runs-")
    log = open(os.path.join(args.out, "spark.log"), "a")
    try:
        with Cluster(workers=args.workers, cores=1, log=log) as cluster:
            print(f"cluster: {cluster.url}, {args.workers} worker(s) of 1 core", flush=True)
            sizes = args.sizes.split(",")
            logs = {}
            for index, size in enumerate(sizes):
                logs[size] = os.path.join(scratch, f"logs-{size}")
                subprocess.run([args.pipecalc, "generate", "--events", size, "--seed",
                                str(args.seed + index), "--out", logs[size]], check=True,
                               stdout=subprocess.DEVNULL)
            # Interleaved (every size once, then again): a spell of load on
            # the machine falls on runs of every size, not on one size's
            # repeats, so it shows as spread within each size instead of
            # bending the fit across sizes.
            for repeat in range(1, args.repeat + 1):
                for size in sizes:
                    name = f"{size}-{repeat}"
                    events = os.path.join(scratch, f"events-{name}")
                    out = os.path.join(scratch, f"out-{name}")
                    os.makedirs(events)
                    started = time.time()
                    done = cluster.submit([os.path.join(HERE, "clickstream.py"), logs[size], out, events])
                    if done.returncode != 0:
                        sys.exit(f"{name}: spark-submit failed (see {args.out}/spark.log)")
                    (application,) = os.listdir(events)
                    kept = os.path.join(args.out, name)
                    shutil.rmtree(kept, ignore_errors=True)
                    shutil.move(os.path.join(events, application), kept)
                    note = ""
                    if args.check and repeat == 1:
                        lake = os.path.join(scratch, f"lake-{size}")
                        subprocess.run([args.pipecalc, "run", "--input", logs[size], "--out", lake],
                                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                        same, rows = views_equal(os.path.join(out, "views"), os.path.join(lake, "views"))
                        if not same:
                            sys.exit(f"{name}: Spark's views differ from pipecalc's")
                        note = f"; its {rows} view rows equal pipecalc's"
                        shutil.rmtree(lake, ignore_errors=True)
                    shutil.rmtree(out, ignore_errors=True)
                    print(f"{name}: {time.time() - started:.1f} s end to end -> {kept}{note}", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
