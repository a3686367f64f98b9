#!/usr/bin/env python3
"""The lecture's clickstream job in PySpark, tagged for pipecalc.

Reads the logs `pipecalc generate` writes and does what `pipecalc run` does:
ingest (parse, keep lines with an event id, a page and a timestamp), transform
(deduplicate by (event_id, timestamp), keep product page views with a valid
id), aggregate (views per date and product) and load (write them by date).
Each step is tagged with `sc.setLocalProperty("pipecalc.stage", NAME)`, so
`pipecalc inspect` maps Spark's stages onto pipecalc's from the event log.

    python3 spark/clickstream.py LOGS OUT EVENTLOG_DIR [--cores N]

Run with python, it runs in local mode (`--cores N`) on the machine's Java.
Launched by `spark-submit --master spark://HOST:7077` (or yarn, k8s), it runs
where spark-submit sends it: the master is set here only when nobody set it.
"""
import argparse

from pyspark import SparkConf, SparkContext
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

PRODUCT = r"^/product/(p[0-9]{6})(?:[?#].*)?$"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("logs")
    parser.add_argument("out")
    parser.add_argument("eventlog")
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    # spark-submit passes its --master to the JVM it starts; a builder's
    # .master() would override it and run in local mode whatever was asked.
    SparkContext._ensure_initialized()
    builder = SparkSession.builder
    if not SparkConf().contains("spark.master"):
        builder = builder.master(f"local[{args.cores}]")
    spark = (
        builder
        .appName("pipecalc-clickstream")
        .config("spark.eventLog.enabled", "true")
        .config("spark.eventLog.dir", args.eventlog)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    sc = spark.sparkContext
    sc.setLogLevel("ERROR")
    schema = T.StructType([
        T.StructField(name, T.StringType())
        for name in ["event_id", "user_id", "session_id", "page", "timestamp", "action"]
    ])

    sc.setLocalProperty("pipecalc.stage", "ingest")
    raw = (
        spark.read.schema(schema).option("mode", "DROPMALFORMED").json(f"{args.logs}/*.jsonl")
        .withColumn("ts", F.to_timestamp("timestamp"))
        .where(F.col("event_id").isNotNull() & F.col("page").isNotNull() & F.col("ts").isNotNull())
        .withColumn("date", F.to_date("ts"))
    )
    raw.write.mode("overwrite").partitionBy("date").parquet(f"{args.out}/raw")

    sc.setLocalProperty("pipecalc.stage", "transform")
    processed = (
        spark.read.parquet(f"{args.out}/raw")
        .dropDuplicates(["event_id", "ts"])
        .where(F.col("action") == "page_view")
        .withColumn("product_id", F.regexp_extract("page", PRODUCT, 1))
        .where(F.col("product_id") != "")
        .select("event_id", "product_id", "ts", "date")
    )
    processed.write.mode("overwrite").partitionBy("date").parquet(f"{args.out}/processed")

    sc.setLocalProperty("pipecalc.stage", "aggregate")
    counts = (
        spark.read.parquet(f"{args.out}/processed")
        .groupBy("date", "product_id")
        .agg(F.count("*").alias("view_count"))
    )
    counts.write.mode("overwrite").parquet(f"{args.out}/aggregated")

    sc.setLocalProperty("pipecalc.stage", "load")
    (
        spark.read.parquet(f"{args.out}/aggregated")
        .repartition("date")
        .write.mode("overwrite")
        .partitionBy("date")
        .parquet(f"{args.out}/views")
    )
    spark.stop()


if __name__ == "__main__":
    main()
