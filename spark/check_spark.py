#!/usr/bin/env python3
"""CI's Spark check: start a standalone cluster on this host (a master and
two 1-core workers from PySpark's own spark-class), spark-submit the
lecture's job to it on fresh generated logs, compare its views with
`pipecalc run`'s row for row, read the event log back with `pipecalc
inspect` (it must show the cluster's master and its two executors) and
`pipecalc validate`, and stop exactly the processes it started.

    python3 spark/check_spark.py PIPECALC SCRATCH

Exits 1 on any difference. Timings are not checked: they are what they are.
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from cluster import Cluster  # noqa: E402


def main():
    pipecalc, scratch = sys.argv[1], sys.argv[2]
    runs = {}
    with Cluster(workers=2, cores=1, log=sys.stderr) as cluster:
        check_runs(pipecalc, scratch, cluster, runs)
    validate(pipecalc, runs)


def check_runs(pipecalc, scratch, cluster, runs):
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    for name, events, seed in (("small", "10K", 11), ("big", "30K", 12)):
        logs, lake, out, eventlog = (os.path.join(scratch, name, d) for d in ("logs", "lake", "out", "events"))
        os.makedirs(eventlog)
        subprocess.run([pipecalc, "generate", "--events", events, "--seed", str(seed), "--out", logs],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run([pipecalc, "run", "--input", logs, "--out", lake], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if cluster.submit([os.path.join(HERE, "clickstream.py"), logs, out, eventlog]).returncode != 0:
            sys.exit(f"{name}: spark-submit to {cluster.url} failed")
        spark = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").getOrCreate()

        def views(folder):
            return spark.read.parquet(folder).select(
                F.col("date").cast("string").alias("date"), "product_id",
                F.col("view_count").cast("long").alias("view_count"))

        ours, theirs = views(os.path.join(lake, "views")), views(os.path.join(out, "views"))
        missing, extra = ours.exceptAll(theirs).count(), theirs.exceptAll(ours).count()
        rows = theirs.count()
        spark.stop()
        if missing or extra:
            sys.exit(f"{name}: Spark's views differ from pipecalc's: {missing} missing, {extra} extra")
        (log,) = os.listdir(eventlog)
        runs[name] = os.path.join(eventlog, log)
        shown = subprocess.run([pipecalc, "inspect", runs[name], "--format", "json"], check=True,
                               capture_output=True, text=True)
        document = json.loads(shown.stdout)
        application = document["spark"]["application"]
        if not (application["master"] or "").startswith("spark://") or application["executors"] < 2:
            sys.exit(f"{name}: the job did not run on the cluster: master {application['master']}, "
                     f"{application['executors']} executor(s)")
        stages = [s["name"] for s in document["stages"]]
        if stages != ["ingest", "transform", "aggregate", "load"]:
            sys.exit(f"{name}: inspect mapped the stages as {stages}")
        with open(os.path.join(lake, "run.json")) as f:
            ours_run = json.load(f)
        if document["output_rows"] != rows or ours_run["output_rows"] != rows:
            sys.exit(f"{name}: inspect says {document['output_rows']} rows out, Spark wrote {rows}")
        valid = ours_run["quality"]["valid_events"]
        if document["stages"][0]["rows_out"] != valid:
            sys.exit(f"{name}: Spark's ingest kept {document['stages'][0]['rows_out']} events, pipecalc {valid}")
        print(f"{name}: on {application['master']} with {application['executors']} executors, "
              f"Spark's {rows} view rows equal pipecalc's; inspect reads its log per stage")


def validate(pipecalc, runs):
    validated = subprocess.run([pipecalc, "validate", "scenarios/clickstream.yaml", "--calibrate-from", runs["small"],
                                "--against", runs["big"], "--format", "json"], capture_output=True, text=True)
    if validated.returncode not in (0, 3):
        sys.exit(f"validate failed: {validated.stderr}")
    figures = json.loads(validated.stdout)["figures"]
    rows_in = next(f for f in figures
                   if f["name"] == "rows_in" and (f.get("scope") or {}).get("stage") == "ingest")
    if rows_in["error_pct"] != 0:
        sys.exit(f"validate predicted the big run's volume wrong: {rows_in}")
    print(f"validate: {sum(f['within_tolerance'] for f in figures)} of {len(figures)} figures within tolerance")


if __name__ == "__main__":
    main()
