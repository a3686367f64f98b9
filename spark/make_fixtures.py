#!/usr/bin/env python3
"""Writes the Spark fixtures under tests/fixtures/spark/: real event logs of
spark/clickstream.py on generated logs, each beside the generator's truth.

    python3 spark/make_fixtures.py [--pipecalc target/release/pipecalc]

For each fixture it generates the logs, runs `pipecalc run` and the PySpark
job on them, checks that Spark's views equal pipecalc's row for row (it
stops if they do not), and keeps the event log (zstd, as Spark 4 writes it)
and a truth.json of counts. Rerunning it writes new timings: the fixtures
are a record of one real run each, not something to regenerate in CI.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "spark")

# name, events, Spark cores, seed
RUNS = [
    ("small-1core", 20_000, 1, 5),
    ("big-1core", 100_000, 1, 6),
    ("big-2core", 100_000, 2, 6),
]


def truth_counts(logs):
    """The generator's truth for a logs folder, and the counts the fixtures'
    tests read: every count but the per-date views, and of those the
    (date, product) keys and the views counted."""
    with open(os.path.join(logs, "_truth.json")) as f:
        truth = json.load(f)
    counts = {k: v for k, v in truth["truth"].items() if k != "views"}
    per_date = truth["truth"]["views"]
    counts["view_keys"] = sum(len(p) for p in per_date.values())
    counts["views_counted"] = sum(sum(p.values()) for p in per_date.values())
    return truth, counts


def views(spark, folder):
    from pyspark.sql import functions as F
    return (
        spark.read.parquet(folder)
        .select(F.col("date").cast("string").alias("date"), "product_id",
                F.col("view_count").cast("long").alias("view_count"))
    )


def trimmed_small_log():
    """The small fixture's events, with what no reader needs trimmed away
    (the environment, plan texts) so the edge cases stay a few tens of KB."""
    (part,) = [f for f in os.listdir(os.path.join(FIXTURES, "small-1core")) if f.startswith("events_")]
    text = subprocess.run(["zstd", "-dc", os.path.join(FIXTURES, "small-1core", part)],
                          check=True, capture_output=True).stdout.decode()
    events = []
    for line in text.splitlines():
        event = json.loads(line)
        if event["Event"] == "SparkListenerEnvironmentUpdate":
            continue
        for key in ("physicalPlanDescription", "details"):
            if key in event:
                event[key] = ""
        for key in ("Stage Info", "Stage Infos"):
            infos = event.get(key)
            for info in infos if isinstance(infos, list) else [infos] if infos else []:
                info["Details"] = ""
                info["RDD Info"] = []
        events.append(event)
    return events


def write_lines(path, events, last=None):
    with open(path, "w") as f:
        for event in events:
            f.write(json.dumps(event, separators=(",", ":")) + "\n")
        if last is not None:
            f.write(last)


def edge_cases():
    """Hand-trimmed logs for what real logs do now and then."""
    edge = os.path.join(FIXTURES, "edge")
    shutil.rmtree(edge, ignore_errors=True)
    os.makedirs(edge)
    events = trimmed_small_log()

    # A rolling log in two parts, the first zstd and the second plain: read
    # in order, told apart by content.
    rolling = os.path.join(edge, "eventlog_v2_local-two-parts")
    os.makedirs(rolling)
    half = len(events) // 2
    write_lines(os.path.join(rolling, "events_1_local-two-parts"), events[:half])
    subprocess.run(["zstd", "-q", "--rm", "-19", os.path.join(rolling, "events_1_local-two-parts"),
                    "-o", os.path.join(rolling, "events_1_local-two-parts.zstd")], check=True)
    write_lines(os.path.join(rolling, "events_2_local-two-parts"), events[half:])

    # Still being written: an unknown event, a failed attempt retried, a
    # stage whose tasks lack `Peak Execution Memory` (as Spark 2.x wrote
    # them), no application end, and a last line cut short.
    odd = []
    for event in events:
        if event["Event"] == "SparkListenerApplicationEnd":
            continue
        if event["Event"] == "SparkListenerTaskEnd" and event["Stage ID"] == 0:
            failed = json.loads(json.dumps(event))
            failed["Task End Reason"] = {"Reason": "ExceptionFailure", "Class Name": "java.io.IOException",
                                         "Description": "disk full", "Stack Trace": []}
            failed["Task Metrics"]["Input Metrics"]["Records Read"] = 999_999
            odd.append(failed)
        if event["Event"] == "SparkListenerTaskEnd":
            stage = event["Stage ID"]
            tagged = [e for e in events if e["Event"] == "SparkListenerJobStart"
                      and stage in e["Stage IDs"]][0]["Properties"]["pipecalc.stage"]
            if tagged == "aggregate":
                event = json.loads(json.dumps(event))
                event["Task Metrics"].pop("Peak Execution Memory", None)
        odd.append(event)
        if event["Event"] == "SparkListenerApplicationStart":
            odd.append({"Event": "org.example.SomeListenerEventFromTheFuture", "value": 1})
    write_lines(os.path.join(edge, "odd.inprogress"), odd, last='{"Event":"SparkListenerTaskEnd","Stage ID":1')

    # No tags: the SQL executions' descriptions name the stages.
    untagged = []
    for event in events:
        if event["Event"] == "SparkListenerJobStart":
            event = json.loads(json.dumps(event))
            event["Properties"].pop("pipecalc.stage", None)
        untagged.append(event)
    write_lines(os.path.join(edge, "untagged.json"), untagged)

    # Not logs: a corrupt zstd frame, and JSON that is not Spark's.
    with open(os.path.join(edge, "corrupt.zstd"), "wb") as f:
        f.write(bytes([0x28, 0xB5, 0x2F, 0xFD]) + b"this is not a zstd frame" * 4)
    write_lines(os.path.join(edge, "not-spark.json"), [{"hello": "world"}, {"n": 2}])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pipecalc", default=os.path.join(ROOT, "target", "release", "pipecalc"))
    parser.add_argument("--edge-only", action="store_true",
                        help="only rewrite the hand-trimmed edge cases from the small fixture")
    args = parser.parse_args()
    if args.edge_only:
        edge_cases()
        return
    from pyspark.sql import SparkSession

    os.makedirs(FIXTURES, exist_ok=True)
    for name, events, cores, seed in RUNS:
        work = tempfile.mkdtemp(prefix=f"pipecalc-spark-{name}-")
        logs, lake, out, eventlog = (os.path.join(work, d) for d in ("logs", "lake", "out", "events"))
        os.makedirs(eventlog)
        subprocess.run([args.pipecalc, "generate", "--events", str(events), "--days", "1",
                        "--seed", str(seed), "--out", logs], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([args.pipecalc, "run", "--input", logs, "--out", lake, "--workers", str(cores)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run([sys.executable, os.path.join(HERE, "clickstream.py"), logs, out, eventlog,
                        "--cores", str(cores)], check=True)

        spark = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").getOrCreate()
        ours, theirs = views(spark, os.path.join(lake, "views")), views(spark, os.path.join(out, "views"))
        missing, extra = ours.exceptAll(theirs).count(), theirs.exceptAll(ours).count()
        rows = theirs.count()
        spark.stop()
        if missing or extra:
            sys.exit(f"{name}: Spark's views differ from pipecalc's ({missing} missing, {extra} extra)")
        print(f"{name}: Spark's {rows} view rows equal pipecalc's")

        (app,) = os.listdir(eventlog)
        source = os.path.join(eventlog, app)
        target = os.path.join(FIXTURES, name)
        shutil.rmtree(target, ignore_errors=True)
        if os.path.isdir(source):
            shutil.copytree(source, target)
        else:
            os.makedirs(target)
            shutil.copy(source, target)
        truth, counts = truth_counts(logs)
        counts["spark_view_rows"] = rows
        record = {"events": events, "cores": cores, "seed": seed, "config": truth["config"], "truth": counts}
        with open(os.path.join(target, "truth.json"), "w") as f:
            json.dump(record, f, indent=2)
            f.write("\n")
        shutil.rmtree(work)
    edge_cases()


if __name__ == "__main__":
    main()
