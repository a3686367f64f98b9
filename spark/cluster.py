#!/usr/bin/env python3
"""A Spark standalone cluster on this host, for as long as a `with` lasts.

Starts a master and workers from PySpark's own `spark-class` (each worker
with the cores and memory asked), waits until every worker has registered,
and stops exactly the processes it started, whatever happens inside. Used by
CI (`check_spark.py --cluster`) and by `runs.py`, which collects event logs
of the bundled job at several sizes.

    with Cluster(workers=2, cores=1) as cluster:
        cluster.submit(["spark/clickstream.py", logs, out, eventlog])
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


def spark_home():
    import pyspark

    return os.path.dirname(pyspark.__file__)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, workers=2, cores=1, memory="1g", log=None):
        self.workers, self.cores, self.memory = workers, cores, memory
        self.home = spark_home()
        self.processes = []
        self.log = log or open(os.devnull, "w")
        self.port, self.ui = free_port(), free_port()
        self.url = f"spark://127.0.0.1:{self.port}"
        self.scratch = tempfile.mkdtemp(prefix="pipecalc-spark-cluster-")

    def _start(self, *args):
        env = dict(os.environ, SPARK_HOME=self.home, SPARK_LOCAL_IP="127.0.0.1",
                   SPARK_WORKER_DIR=os.path.join(self.scratch, "work"),
                   SPARK_LOG_DIR=os.path.join(self.scratch, "logs"))
        # Its own process group, so stopping it stops what it started.
        process = subprocess.Popen([os.path.join(self.home, "bin", "spark-class"), *args],
                                   stdout=self.log, stderr=self.log, env=env, start_new_session=True)
        self.processes.append(process)
        return process

    def _alive_workers(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.ui}/json/", timeout=2) as reply:
                state = json.load(reply)
            return sum(1 for w in state.get("workers", []) if w.get("state") == "ALIVE")
        except OSError:
            return 0

    def __enter__(self):
        self._start("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                    "--port", str(self.port), "--webui-port", str(self.ui))
        for _ in range(self.workers):
            self._start("org.apache.spark.deploy.worker.Worker", "--cores", str(self.cores),
                        "--memory", self.memory, "--webui-port", str(free_port()), self.url)
        deadline = time.time() + 120
        while self._alive_workers() < self.workers:
            if time.time() > deadline or any(p.poll() is not None for p in self.processes):
                self.__exit__(None, None, None)
                raise RuntimeError("the standalone cluster did not come up")
            time.sleep(0.5)
        return self

    def submit(self, args, executor_memory="900m", env=None):
        """spark-submit to this cluster; returns the CompletedProcess."""
        command = [os.path.join(self.home, "bin", "spark-submit"), "--master", self.url,
                   "--executor-memory", executor_memory, "--total-executor-cores",
                   str(self.workers * self.cores), *args]
        return subprocess.run(command, stdout=self.log, stderr=self.log,
                              env=dict(os.environ, SPARK_HOME=self.home, SPARK_LOCAL_IP="127.0.0.1",
                                       **(env or {})))

    def __exit__(self, *_):
        # Workers first, then the master: only the process groups started here.
        for process in reversed(self.processes):
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for process in reversed(self.processes):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        subprocess.run(["rm", "-rf", self.scratch])
        return False


if __name__ == "__main__":
    with Cluster() as cluster:
        print(f"up: {cluster.url} with {cluster.workers} worker(s)")
    print("stopped", file=sys.stderr)
