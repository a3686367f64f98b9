#!/usr/bin/env python3
"""CI's Spark check: run the lecture's job in PySpark on fresh generated
logs, compare its views with `pipecalc run`'s row for row, and read the
event log it wrote back with `pipecalc inspect` and `pipecalc validate`.

    python3 spark/check_spark.py PIPECALC SCRATCH

Exits 1 on any difference. Timings are not checked: they are what they are.
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    pipecalc, scratch = sys.argv[1], sys.argv[2]
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    runs = {}
    for name, events, seed in (("small", "10K", 11), ("big", "30K", 12)):
        logs, lake, out, eventlog = (os.path.join(scratch, name, d) for d in ("logs", "lake", "out", "events"))
        os.makedirs(eventlog)
        subprocess.run([pipecalc, "generate", "--events", events, "--seed", str(seed), "--out", logs],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run([pipecalc, "run", "--input", logs, "--out", lake], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run([sys.executable, os.path.join(HERE, "clickstream.py"), logs, out, eventlog,
                        "--cores", "1"], check=True, stderr=subprocess.DEVNULL)
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
        print(f"{name}: Spark's {rows} view rows equal pipecalc's; inspect reads its log per stage")

    validated = subprocess.run([pipecalc, "validate", "scenarios/clickstream.yaml", "--calibrate-from", runs["small"],
                                "--against", runs["big"], "--format", "json"], capture_output=True, text=True)
    if validated.returncode not in (0, 3):
        sys.exit(f"validate failed: {validated.stderr}")
    figures = json.loads(validated.stdout)["figures"]
    rows_in = next(f for f in figures if f["name"] == "rows_in" and f["stage"] == "ingest")
    if rows_in["error_pct"] != 0:
        sys.exit(f"validate predicted the big run's volume wrong: {rows_in}")
    print(f"validate: {sum(f['within_tolerance'] for f in figures)} of {len(figures)} figures within tolerance")


if __name__ == "__main__":
    main()
