#!/usr/bin/env python3
"""Event logs of the bundled job that went wrong the way real runs do, on a
standalone cluster on this host (spark/cluster.py), kept as test fixtures
under tests/fixtures/spark/faults/ beside the generator's truth:

- lost-executor/: one executor's JVM is killed (SIGKILL) once the
  transform's shuffle map stage has succeeded and its reading job begins;
  Spark starts another executor and re-runs the map tasks whose output
  died with it. The log is complete; its rows must still be the truth's.
- mid-run/: the event log folder copied while the transform runs, as a
  history server or a user copies it before the application ends.

    python3 spark/faults.py [--pipecalc target/release/pipecalc] [--events 400K]

Rerunning it writes new logs: the fixtures are a record of one real run
each, not something to regenerate in CI.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "spark", "faults")
sys.path.insert(0, HERE)

from cluster import Cluster  # noqa: E402
from make_fixtures import truth_counts  # noqa: E402


def executors():
    """PIDs of this host's executor JVMs."""
    found = subprocess.run(["pgrep", "-f", "CoarseGrainedExecutorBackend"],
                           capture_output=True, text=True).stdout.split()
    return [int(p) for p in found]


def log_text(folder):
    """What the running application's log holds so far, decompressed as far
    as its frames are whole."""
    text = ""
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if name.startswith("events_"):
            if name.endswith(".zstd"):
                done = subprocess.run(["zstd", "-dc", path], capture_output=True)
                text += done.stdout.decode(errors="replace")
            else:
                with open(path, errors="replace") as f:
                    text += f.read()
    return text


def transform_running(events_dir):
    apps = os.listdir(events_dir) if os.path.isdir(events_dir) else []
    if len(apps) != 1:
        return None
    folder = os.path.join(events_dir, apps[0])
    if not os.path.isdir(folder):
        return None
    text = log_text(folder)
    return folder if '"pipecalc.stage":"transform"' in text else None


def truth_record(logs, events):
    truth, counts = truth_counts(logs)
    return {"events": events, "cores": 2, "config": truth["config"], "truth": counts}


def transform_map_done(events_dir):
    """The transform's shuffle map stage has completed (its outputs sit on
    the executors) and its reduce side runs: the moment a lost executor
    makes Spark re-run map tasks that had succeeded."""
    folder = transform_running(events_dir)
    if not folder:
        return None
    jobs, completed = [], set()
    for line in log_text(folder).splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("Event") == "SparkListenerJobStart" and \
                event.get("Properties", {}).get("pipecalc.stage") == "transform":
            jobs.append(event.get("Stage IDs", []))
        elif event.get("Event") == "SparkListenerStageCompleted":
            completed.add(event["Stage Info"]["Stage ID"])
    # With adaptive execution the map stage is a job of its own; the job
    # that reads its shuffle lists the map stage (skipped) and its own.
    for stage_ids in jobs:
        if len(stage_ids) >= 2 and max(stage_ids) not in completed:
            return folder
    return None


def run_with(cluster, pipecalc, scratch, name, events, seed, ready, during):
    """Runs the job on fresh logs; `during(folder)` is called once, as soon
    as `ready(events_dir)` gives the running log's folder. Returns the
    finished log folder and the generator's truth."""
    logs = os.path.join(scratch, f"logs-{name}")
    subprocess.run([pipecalc, "generate", "--events", events, "--seed", str(seed), "--out", logs],
                   check=True, stdout=subprocess.DEVNULL)
    out, events_dir = os.path.join(scratch, f"out-{name}"), os.path.join(scratch, f"events-{name}")
    os.makedirs(events_dir)
    command = [os.path.join(cluster.home, "bin", "spark-submit"), "--master", cluster.url,
               "--executor-memory", "900m", "--total-executor-cores", "2",
               # Small zstd blocks, so the log on disk keeps up with the run.
               "--conf", "spark.eventLog.buffer.kb=4k",
               os.path.join(HERE, "clickstream.py"), logs, out, events_dir]
    job = subprocess.Popen(command, stdout=cluster.log, stderr=cluster.log,
                           env=dict(os.environ, SPARK_HOME=cluster.home, SPARK_LOCAL_IP="127.0.0.1"))
    acted = False
    while job.poll() is None:
        folder = None if acted else ready(events_dir)
        if folder:
            during(folder)
            acted = True
        time.sleep(0.2)
    if job.returncode != 0:
        sys.exit(f"{name}: spark-submit failed (see the cluster log)")
    if not acted:
        sys.exit(f"{name}: the run ended before its transform was seen")
    (app,) = os.listdir(events_dir)
    return os.path.join(events_dir, app), truth_record(logs, events)


def keep(source, name, truth):
    target = os.path.join(FIXTURES, name)
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".*.crc"))
    with open(os.path.join(target, "truth.json"), "w") as f:
        json.dump(truth, f, indent=2)
        f.write("\n")
    print(f"{name}: {sorted(os.listdir(target))}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pipecalc", default=os.path.join(ROOT, "target", "release", "pipecalc"))
    parser.add_argument("--events", default="400K")
    parser.add_argument("--only", choices=["lost-executor", "mid-run"])
    args = parser.parse_args()
    if not shutil.which("zstd"):
        sys.exit("needs the zstd command to read the running log")
    scratch = tempfile.mkdtemp(prefix="pipecalc-spark-faults-")
    log = open(os.path.join(scratch, "cluster.log"), "w")
    try:
        with Cluster(workers=2, cores=1, log=log) as cluster:
            def kill_one(_folder):
                pids = executors()
                if not pids:
                    sys.exit("no executor to kill")
                os.kill(pids[0], signal.SIGKILL)
                print(f"killed executor JVM {pids[0]}", flush=True)

            if args.only in (None, "lost-executor"):
                folder, truth = run_with(cluster, args.pipecalc, scratch, "lost", args.events, 41,
                                         transform_map_done, kill_one)
                keep(folder, "lost-executor", truth)
            if args.only == "lost-executor":
                return

            copies = os.path.join(scratch, "copies")

            def copy(folder):
                time.sleep(1.0)
                shutil.copytree(folder, os.path.join(copies, os.path.basename(folder)))
                print(f"copied {folder} mid-run", flush=True)

            _, truth = run_with(cluster, args.pipecalc, scratch, "mid", args.events, 42,
                                    transform_running, copy)
            (copied,) = os.listdir(copies)
            keep(os.path.join(copies, copied), "mid-run", truth)
    finally:
        log.close()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
