//! A real cluster in the model: a join's second input, a shuffle over each
//! worker's card and disk, a task's memory and its spill, skew and
//! stragglers, a stream's capped source and its backlog, and the storage
//! and warehouse terms. Every expected figure is worked by hand in the
//! comments (the cluster notes' worked checks among them); the shuffle
//! bytes a Spark log records are counted again here from the log itself.

mod common;

use std::io::Read;

use serde_json::Value;

fn estimate(text: &str) -> Value {
    common::estimated_json(text)
}

fn close(value: &Value, expected: f64, tolerance: f64) {
    let got = value.as_f64().unwrap_or(f64::NAN);
    assert!(
        (got - expected).abs() <= tolerance * expected.abs().max(1e-9),
        "{got} where the hand-worked figure is {expected}"
    );
}

fn stage<'a>(e: &'a Value, name: &str) -> &'a Value {
    e["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no stage {name}"))
}

/// 1 TB a day through one wide stage on 20 workers with 10 Gbps cards and
/// gp3 disks (125 MiB/s): the cluster notes' first worked check.
const ONE_TB: &str = "
volume: { events_per_day: 1G, event_size: 1 kB }
workers: 20
memory_per_worker: 64 GiB
worker: { cores: 4, disk: 125 MiB/s }
stages:
  - name: wide
    bound: cpu
    input: bytes
    throughput: 1 GB/s
    shuffle: { partitions: 2000 }
network: { bandwidth: 1 Gbps, card: 10 Gbps }
prices: { compute_usd_per_worker_hour: 1 }
";

#[test]
fn a_terabyte_shuffle_is_held_by_the_disk_not_the_network() {
    let e = estimate(ONE_TB);
    let engine = &stage(&e, "wide")["engine"];
    // Each worker sends and receives (1 TB ÷ 20) × 19 ÷ 20 = 47.5 GB over
    // its 1.25 GB/s card: 38 s.
    close(&engine["card_bytes_per_worker"], 47.5e9, 1e-9);
    close(&engine["network_s"], 38.0, 1e-9);
    // It writes and reads 2 × 1 TB ÷ 20 = 100 GB at 131.07 MB/s: 762.9 s,
    // the notes' "about 760 s" (Ousterhout's finding in miniature).
    let disk = 100e9 / (125.0 * 1024.0 * 1024.0);
    close(&engine["shuffle_disk_s"], disk, 1e-9);
    assert_eq!(engine["bound_by"], "disk");
    // The CPU's 1 TB ÷ 20 ÷ 1 GB/s = 50 s is the least of the three, and
    // the stage takes the disk's time.
    close(&engine["cpu_s"], 50.0, 1e-9);
    close(&stage(&e, "wide")["parallel_s"], disk, 1e-9);
}

#[test]
fn skewed_keys_make_the_largest_partition_the_stage_s_time() {
    // s = 1 over 50K keys: the top key holds 1 ÷ H(50K) = 1 ÷ 11.397 =
    // 8.77% of the rows; at 200 partitions the largest is 17.5× the mean;
    // on 10 workers of 4 cores (40 slots) 200 tasks run in 5 waves, so the
    // stage lasts 17.5 ÷ 5 = 3.5× its even share: the notes' second check.
    let text = ONE_TB
        .replace("workers: 20", "workers: 10")
        .replace(
            "shuffle: { partitions: 2000 }",
            "shuffle: { partitions: 200, keys: 50K, key_skew: 1 }",
        )
        .replace(", disk: 125 MiB/s", "")
        .replace(", card: 10 Gbps", "");
    let e = estimate(&text);
    let tasks = &stage(&e, "wide")["engine"]["tasks"];
    close(&tasks["top_key_share"], 1.0 / 11.397_003, 1e-6);
    close(&tasks["largest_partition"], 200.0 / 11.397_003, 1e-6);
    close(&tasks["waves"], 5.0, 0.0);
    close(&tasks["slowest"], 200.0 / 11.397_003 / 5.0, 1e-6);
    // 1 TB ÷ 10 workers ÷ 1 GB/s = 100 s of even work, 3.5× that.
    close(
        &stage(&e, "wide")["parallel_s"],
        100.0 * 200.0 / 11.397_003 / 5.0,
        1e-6,
    );
    // With no keys the same stage takes its even share.
    let even = estimate(&text.replace(", keys: 50K, key_skew: 1", ""));
    close(&stage(&even, "wide")["parallel_s"], 100.0, 1e-9);
}

#[test]
fn a_task_spills_past_what_the_engine_gives_it_and_more_partitions_cure_it() {
    // An 8 GiB worker of 4 cores: 0.6 × (8 GiB − 300 MiB) ÷ 4 = 1.2413 GB
    // a task. 100 GB over 200 partitions at 3× holds 1.5 GB a task and
    // spills; over 400, 0.75 GB, and it does not: the notes' third check.
    let text = "
volume: { events_per_day: 100M, event_size: 1 kB }
workers: 10
memory_per_worker: 8 GiB
worker: { cores: 4, disk: 200 MB/s }
stages:
  - name: wide
    bound: cpu
    input: bytes
    throughput: 100 MB/s
    shuffle: { partitions: PARTITIONS, expansion: 3 }
prices: { compute_usd_per_worker_hour: 1 }
";
    let task = 0.6 * (8.0 * 1024f64.powi(3) - 300.0 * 1024f64.powi(2)) / 4.0;
    let e = estimate(&text.replace("PARTITIONS", "200"));
    let spill = &stage(&e, "wide")["engine"]["spill"];
    close(&spill["task_memory_bytes"], task, 1e-9);
    close(&spill["task_holds_bytes"], 1.5e9, 1e-9);
    assert_eq!(spill["spills"], true);
    // It keeps task ÷ 1.5 GB of each task and spills the rest: 100 GB ×
    // (1 − 0.8275) = 17.25 GB, written and read back: 2 × 17.25 GB ÷ 10
    // workers at 200 MB/s = 17.25 s.
    let spilled = 100e9 * (1.0 - task / 1.5e9);
    close(&spill["spilled_bytes"], spilled, 1e-9);
    close(&spill["spill_s"], 2.0 * spilled / 10.0 / 200e6, 1e-9);
    // ⌈100 GB × 3 ÷ 1.2413 GB⌉ = 242 partitions would fit.
    close(&spill["partitions_to_fit"], (300e9 / task).ceil(), 0.0);
    assert_eq!(e["summary"]["spills"], true);
    assert_eq!(e["memory"]["spilling_stage"], "wide");
    // The node's 10 GB share fits its 8 GiB? No: 100 GB ÷ 10 = 10 GB does
    // not, and a task's verdict is apart from the node's.
    let fits = estimate(&text.replace("PARTITIONS", "400"));
    let spill = &stage(&fits, "wide")["engine"]["spill"];
    close(&spill["task_holds_bytes"], 0.75e9, 1e-9);
    assert_eq!(spill["spills"], false);
    assert!(spill.get("spilled_bytes").is_none());
    assert_eq!(fits["summary"]["spills"], false);
}

/// A 41.67 GB run's input joined with a dimension of SIZE.
const JOIN: &str = "
volume: { events_per_day: 2G, event_size: 500 B }
workers: 20
schedule: every 1 h
memory_per_worker: 16 GiB
worker: { cores: 4 }
stages:
  - name: join
    bound: cpu
    input: bytes
    throughput: 150 MB/s
    join: { with: SIZE }
prices: { compute_usd_per_worker_hour: 1 }
";

#[test]
fn a_join_broadcasts_below_the_threshold_and_shuffles_above_it() {
    // A run is 1 TB ÷ 24 = 41.67 GB.
    let run = 1e12 / 24.0;
    // 8 MB, below Spark's 10 MiB: broadcast. Every worker holds it besides
    // its 2.083 GB share of the run; nothing is shuffled.
    let small = estimate(&JOIN.replace("SIZE", "8 MB"));
    let engine = &stage(&small, "join")["engine"];
    assert_eq!(engine["join"]["kind"], "broadcast");
    assert!(engine.get("shuffle_bytes").is_none());
    close(
        &stage(&small, "join")["memory_per_worker_bytes"],
        run / 20.0 + 8e6,
        1e-9,
    );
    // 200 GB: both inputs shuffled, 241.67 GB a run; each worker holds its
    // share of both, 12.08 GB, which its 16 GiB fits.
    let large = estimate(&JOIN.replace("SIZE", "200 GB"));
    let engine = &stage(&large, "join")["engine"];
    assert_eq!(engine["join"]["kind"], "shuffled");
    close(&engine["shuffle_bytes"], run + 200e9, 1e-9);
    close(
        &stage(&large, "join")["memory_per_worker_bytes"],
        (run + 200e9) / 20.0,
        1e-9,
    );
    assert_eq!(large["memory"]["fits"], true);
    // The join's bytes are work: (41.67 + 200) GB at 150 MB/s on one
    // worker, 1,611 s, where its own input alone is 277.8 s.
    close(
        &stage(&large, "join")["time_s"],
        (run + 200e9) / 150e6,
        1e-9,
    );
    close(
        &large["summary"]["shuffle_bytes_per_run"],
        run + 200e9,
        1e-9,
    );
}

#[test]
fn a_stage_capped_at_one_task_uses_one_worker() {
    // 20 workers, but the source runs one task: 1 GB at 10 MB/s is 100 s
    // whatever the workers, where the next stage divides by 20.
    let e = estimate(
        "
volume: { events_per_day: 1M, event_size: 1 kB }
workers: 20
stages:
  - { name: source, bound: io, input: bytes, throughput: 10 MB/s, max_parallelism: 1 }
  - { name: rest, bound: cpu, input: bytes, throughput: 10 MB/s }
prices: { compute_usd_per_worker_hour: 1 }
",
    );
    close(&stage(&e, "source")["workers_used"], 1.0, 0.0);
    close(&stage(&e, "source")["parallel_s"], 100.0, 1e-9);
    close(&stage(&e, "rest")["parallel_s"], 5.0, 1e-9);
    assert_eq!(e["summary"]["bottleneck_stage"], "source");
}

#[test]
fn stragglers_lengthen_the_last_wave() {
    // 10 GB in 128 MiB splits is ⌈74.5⌉ = 75 tasks on 4 workers of 2
    // cores: 10 waves. The slowest task 3× the median: (10 − 1 + 3) ÷ 10
    // = 1.2× the stage's even share (10 GB ÷ 4 ÷ 100 MB/s = 25 s): 30 s.
    let e = estimate(
        "
volume: { events_per_day: 10M, event_size: 1 kB }
workers: 4
worker: { cores: 2 }
stages:
  - { name: scan, bound: cpu, input: bytes, throughput: 100 MB/s, stragglers: 3 }
prices: { compute_usd_per_worker_hour: 1 }
",
    );
    let tasks = &stage(&e, "scan")["engine"]["tasks"];
    close(&tasks["tasks"], 75.0, 0.0);
    close(&tasks["waves"], 10.0, 0.0);
    close(&tasks["slowest"], 1.2, 1e-12);
    close(&stage(&e, "scan")["parallel_s"], 30.0, 1e-9);
}

#[test]
fn a_single_threaded_source_leaves_a_backlog_its_drain_and_its_worst_age() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/cdc-stream.yaml"),
    )
    .unwrap();
    let e = estimate(&text);
    let s = &e["streaming"];
    // One reader at 60K/s against a peak of 8 × 50K = 400K/s for an hour:
    // (400K − 60K) × 3,600 s = 1.224G changes queued.
    close(&s["source_capacity_events_per_s"], 60e3, 1e-9);
    assert_eq!(s["keeps_up"], false);
    close(&s["backlog"]["events"], 340e3 * 3600.0, 1e-9);
    // Drained at the 10K/s spare above the average: 122,400 s = 34 h.
    close(&s["backlog"]["drain_s"], 340e3 * 3600.0 / 10e3, 1e-9);
    // The last change of the peak waits for 1.224G ÷ 60K/s = 20,400 s,
    // besides the window's latency.
    let latency = s["latency_s"].as_f64().unwrap();
    close(&s["backlog"]["worst_age_s"], latency + 20_400.0, 1e-9);
    close(&e["summary"]["worst_age_s"], latency + 20_400.0, 1e-9);
    close(&e["freshness"]["worst_s"], latency + 20_400.0, 1e-9);
    // A week replayed at the 10K/s spare: 7 × 86,400 × 50K ÷ 10K = 35 days.
    close(&s["replay"]["replay_s"], 7.0 * 86_400.0 * 5.0, 1e-9);
    assert_eq!(e["summary"]["latency_met"], false);
    // The latency gate fails on it, and says why.
    let run = common::estimate_text(&text, &["--fail-on", "latency"]);
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    assert!(run.stderr.contains("oldest data is 5.6"), "{}", run.stderr);
    // With four readers (240K/s) the peak still outruns it, and the drain
    // is the capacity's 190K/s spare: 160K × 3,600 ÷ 190K = 3,031.6 s.
    let four = estimate(&text.replace("max_parallelism: 1 ", "max_parallelism: 4 "));
    close(
        &four["streaming"]["backlog"]["drain_s"],
        160e3 * 3600.0 / 190e3,
        1e-9,
    );
}

#[test]
fn a_stream_that_keeps_up_has_no_backlog_and_no_figure_for_one() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/cdc-stream.yaml"),
    )
    .unwrap()
    .replace("    max_parallelism: 1     # one binlog, one reader\n", "");
    let e = estimate(&text);
    assert_eq!(e["streaming"]["keeps_up"], true);
    assert!(e["streaming"].get("backlog").is_none());
    assert!(e["summary"]["backlog_events"].is_null());
}

#[test]
fn a_query_reads_its_share_of_the_columns_and_copies_are_paid() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/warehouse-startup.yaml"),
    )
    .unwrap();
    let with = estimate(&text);
    let without = estimate(&text.replace(
        "    columns: 13.3%                # 4 of 30 columns: a column store reads those\n",
        "",
    ));
    // 7 days of 5 GB, 200 times a day, at $6.25/TB: $43.75 a day for every
    // column, 13.3% of that for four of thirty; plus the model's 5 GB scan.
    let model = 5e9 * 6.25e-12;
    close(
        &without["cost"]["warehouse_usd_per_day"],
        35e9 * 200.0 * 6.25e-12 + model,
        1e-9,
    );
    close(
        &with["cost"]["warehouse_usd_per_day"],
        35e9 * 0.133 * 200.0 * 6.25e-12 + model,
        1e-9,
    );
    // Three copies of a lake dataset bill three times its bytes.
    let lake = "
volume: { events_per_day: 10M, event_size: 500 B }
stages:
  - { name: load, bound: io, input: bytes, duration: 10 min }
storage:
  - { name: raw, of: load.output, retention: 30 days COPIES }
prices: { compute_usd_per_worker_hour: 1, storage_usd_per_gb_month: 0.02 }
";
    let one = estimate(&lake.replace(" COPIES", ""));
    let three = estimate(&lake.replace(" COPIES", ", replication: 3"));
    close(&one["storage"]["usd_per_month_steady"], 150.0 * 0.02, 1e-9);
    close(
        &three["storage"]["usd_per_month_steady"],
        3.0 * 150.0 * 0.02,
        1e-9,
    );
}

#[test]
fn a_transfer_compressed_on_the_wire_moves_and_bills_fewer_bytes() {
    let text = "
volume: { events_per_day: 10M, event_size: 500 B }
stages:
  - { name: load, bound: io, input: bytes, duration: 10 min }
network:
  bandwidth: 1 Gbps
  transfers:
    - { name: out, of: load.output, direction: egress COMPRESSION }
prices: { compute_usd_per_worker_hour: 1, egress_usd_per_gb: 0.09 }
";
    let plain = estimate(&text.replace(" COMPRESSION", ""));
    let packed = estimate(&text.replace(" COMPRESSION", ", compression: 5"));
    // 5 GB a day, or 1 GB compressed 5:1: $0.45 or $0.09 a day.
    close(&plain["summary"]["network_bytes_per_day"], 5e9, 1e-9);
    close(&packed["summary"]["network_bytes_per_day"], 1e9, 1e-9);
    close(&packed["network"]["usd_per_day"], 0.09, 1e-9);
}

#[test]
fn each_new_term_is_refused_where_it_cannot_apply_with_its_key() {
    let refused = |text: &str, wanted: &str| {
        let run = common::estimate_text(text, &[]);
        assert_eq!(run.code, Some(1), "{}", run.stderr);
        assert!(run.stderr.contains(wanted), "{wanted}: {}", run.stderr);
    };
    let base = "
volume: { events_per_day: 10M, event_size: 500 B }
WORKER
stages:
  - { name: s, bound: cpu, input: bytes, throughput: 10 MB/s STAGE }
prices: { compute_usd_per_worker_hour: 1 }
";
    let with = |worker: &str, stage: &str| base.replace("WORKER", worker).replace(" STAGE", stage);
    refused(
        &with("", ", shuffle: { partitions: 10 }"),
        "stages[0].shuffle",
    );
    refused(&with("", ", stragglers: 2"), "add `worker: { cores: 4 }`");
    refused(
        &with("worker: { cores: 4 }", ", stragglers: 0.5"),
        "stages[0].stragglers",
    );
    refused(
        &with("worker: { cores: 4 }", ", max_parallelism: 1.5"),
        "not a whole number of tasks",
    );
    refused(
        &with("worker: 3", ""),
        "for the number of workers write `workers: 3`",
    );
    refused(&with("worker: { disk: 100 MB/s }", ""), "worker.cores");
    refused(
        &with("worker: { cores: 4 }", ", shuffle: { keys: 50K }"),
        "`keys` needs `key_skew` beside it",
    );
    refused(
        &with(
            "worker: { cores: 4 }\nmemory_per_worker: 256 MiB",
            ", shuffle: { partitions: 10 }",
        ),
        "300 MiB",
    );
    refused(&with("", ", shares: card"), "`shares: card`");
}

#[test]
fn every_new_figure_reaches_every_format_through_the_model_s_list() {
    let scenario =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/adtech-hourly.yaml");
    let scenario = common::path(&scenario);
    let out = |args: &[&str]| {
        let output = common::run(&[&["estimate", scenario], args].concat());
        assert_eq!(output.status.code(), Some(0), "{}", common::text(&output));
        String::from_utf8(output.stdout).unwrap()
    };
    // --explain and CSV list every figure the model lists, by its symbol.
    let explain = out(&["--explain"]);
    let csv = out(&["--format", "csv"]);
    for symbol in [
        "shuffle_bytes[join-users]",
        "T_net[join-users]",
        "T_shuffle_disk[join-users]",
        "task_memory[join-users]",
        "spilled_bytes[join-users]",
        "T_spill[join-users]",
        "partitions_to_fit[join-users]",
        "largest_partition[by-campaign]",
        "slowest[by-campaign]",
    ] {
        assert!(explain.contains(symbol), "--explain lacks {symbol}");
        assert!(csv.contains(symbol), "CSV lacks {symbol}");
    }
    // The table, Markdown and HTML show the cluster's section and verdicts.
    for format in ["table", "markdown", "html"] {
        let text = out(&["--format", format]);
        for words in [
            "The cluster (one run)",
            "Shuffled a run",
            "SPILLS",
            "network card",
        ] {
            assert!(text.contains(words), "{format} lacks {words}");
        }
    }
    let json: Value = serde_json::from_str(&out(&["--format", "json"])).unwrap();
    assert_eq!(json["summary"]["spills"], true);
    assert_eq!(stage(&json, "join-users")["engine"]["bound_by"], "disk");
}

#[test]
fn the_lecture_and_every_scenario_without_the_new_keys_are_untouched() {
    // No new key, no new figure: the lecture's estimate has no `engine`,
    // and its summary's new entries are null or absent from the table.
    let e = common::json_of(&[
        "estimate",
        concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/clickstream.yaml"),
    ]);
    for s in e["stages"].as_array().unwrap() {
        assert!(s.get("engine").is_none(), "{s}");
        assert!(s.get("workers_used").is_none(), "{s}");
    }
    for key in [
        "shuffle_bytes_per_run",
        "spills",
        "backlog_events",
        "drain_s",
        "worst_age_s",
        "replay_s",
    ] {
        assert!(e["summary"][key].is_null(), "{key}");
    }
    close(&e["summary"]["parallel_s"], 2700.0, 1e-12);
}

/// Σ of the shuffle bytes every successful task of a Spark event log read
/// (remote, local) and wrote, counted from its JSON lines here, apart from
/// pipecalc's reader: a task end written twice is counted once.
fn count_shuffle(log: &std::path::Path) -> (u64, u64, u64) {
    let file = std::fs::File::open(log).unwrap();
    let mut text = String::new();
    zstd::stream::read::Decoder::new(file)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    let mut seen = std::collections::HashSet::new();
    let (mut remote, mut local, mut written) = (0u64, 0u64, 0u64);
    for line in text.lines() {
        let event: Value = serde_json::from_str(line).unwrap();
        if event["Event"] != "SparkListenerTaskEnd"
            || event["Task End Reason"]["Reason"] != "Success"
        {
            continue;
        }
        let id = (
            event["Stage ID"].as_i64(),
            event["Stage Attempt ID"].as_i64(),
            event["Task Info"]["Task ID"].as_i64(),
        );
        if !seen.insert(id) {
            continue;
        }
        let metrics = &event["Task Metrics"];
        let count = |v: &Value| v.as_u64().unwrap_or(0);
        remote += count(&metrics["Shuffle Read Metrics"]["Remote Bytes Read"]);
        local += count(&metrics["Shuffle Read Metrics"]["Local Bytes Read"]);
        written += count(&metrics["Shuffle Write Metrics"]["Shuffle Bytes Written"]);
    }
    (remote, local, written)
}

#[test]
fn shuffle_bytes_read_from_real_spark_logs_agree_with_an_independent_count() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spark");
    let mut logs = 0;
    for set in ["repeats", "cluster"] {
        for entry in std::fs::read_dir(root.join(set)).unwrap() {
            let folder = entry.unwrap().path();
            if !folder.is_dir() {
                continue;
            }
            let log = std::fs::read_dir(&folder)
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| {
                    p.file_name()
                        .unwrap()
                        .to_string_lossy()
                        .starts_with("events_")
                })
                .unwrap();
            let (remote, local, written) = count_shuffle(&log);
            let inspected = common::json_of(&["inspect", common::path(&folder)]);
            let stages = inspected["spark"]["stages"].as_array().unwrap();
            let sum = |key: &str| {
                stages
                    .iter()
                    .map(|s| s[key].as_u64().unwrap_or(0))
                    .sum::<u64>()
            };
            assert_eq!(sum("shuffle_remote_bytes"), remote, "{}", folder.display());
            assert_eq!(sum("shuffle_local_bytes"), local, "{}", folder.display());
            assert_eq!(
                sum("shuffle_read_bytes"),
                remote + local,
                "{}",
                folder.display()
            );
            assert_eq!(sum("shuffle_write_bytes"), written, "{}", folder.display());
            // The bundled job reads every shuffle it writes once, its
            // aggregate's among them.
            assert_eq!(remote + local, written, "{}", folder.display());
            assert!(written > 0);
            logs += 1;
        }
    }
    assert_eq!(logs, 19);
}

#[test]
fn validate_holds_the_shuffle_a_calibration_predicts_against_the_spark_logs() {
    // Calibrated on the 150K to 600K runs, the transform's shuffle (the
    // share of its bytes in its tasks read from a shuffle) is predicted at
    // 1.5M within 2% of what the logs hold; its remote share is none, the
    // executors sharing one host.
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spark/repeats");
    let mut args: Vec<String> = vec![
        "validate".into(),
        concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/clickstream.yaml").into(),
    ];
    for size in ["150K", "300K", "600K"] {
        for repeat in 1..=3 {
            args.push("--calibrate-from".into());
            args.push(
                root.join(format!("{size}-{repeat}"))
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    for repeat in 1..=3 {
        args.push("--against".into());
        args.push(
            root.join(format!("1.5M-{repeat}"))
                .to_string_lossy()
                .into_owned(),
        );
    }
    let v = common::json_of(&args);
    let transform = v["calibration"]["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "transform")
        .unwrap();
    assert!(transform["shuffle_share"].as_f64().unwrap() > 0.0);
    let checks = v["cluster_terms"].as_array().unwrap();
    let shuffle = checks
        .iter()
        .find(|c| c["stage"] == "transform" && c["term"] == "shuffle_bytes")
        .unwrap();
    let ratio = shuffle["predicted"].as_f64().unwrap() / shuffle["measured"].as_f64().unwrap();
    assert!((0.98..=1.02).contains(&ratio), "{shuffle}");
    assert_eq!(shuffle["agreement"], "agrees");
    let remote = checks
        .iter()
        .find(|c| c["stage"] == "transform" && c["term"] == "remote_share")
        .unwrap();
    assert_eq!(remote["predicted"], 0.0);
    assert_eq!(remote["measured"], 0.0);
}
