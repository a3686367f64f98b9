//! `pipecalc init`: a scenario to start from, with every key written out,
//! its unit and its default, the optional ones commented out, so a student
//! edits numbers instead of looking up keys. Each preset passes `check` as
//! written (a test holds every preset to it).

use std::fmt::Write;

/// A starting size for the scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Preset {
    /// 100K events a day of 1 kB: a side project, one small worker.
    Small,
    /// 50M events a day of 1 kB: a growing product, 4 workers.
    Medium,
    /// 2G (two billion) events a day of 1 kB: a large site, 32 workers.
    Large,
    /// The lecture's running example: 10M events of 500 B, 45 minutes on one worker; 2× is 90 min, 10× 7.5 h, $0.50 a day.
    Lecture,
    /// A stream: 5k events/s of 1 kB peaking at 3×, always on, seconds of latency.
    Streaming,
}

struct Numbers {
    description: &'static str,
    events: &'static str,
    event_size: &'static str,
    workers: u32,
    deadline: &'static str,
    memory: &'static str,
    /// Each stage's work: `throughput: …` or, for the lecture, `duration: …`.
    ingest: &'static str,
    transform: &'static str,
    aggregate: &'static str,
    load: &'static str,
    /// `billing_increment: 1 h` for the lecture's $0.50 a day; else exact.
    billing: &'static str,
    keep: &'static str,
    keys: &'static str,
    bandwidth: &'static str,
}

impl Preset {
    fn numbers(self) -> Numbers {
        match self {
            Preset::Streaming => Preset::Medium.numbers(),
            Preset::Small => Numbers {
                description: "A side project: 100K events a day",
                events: "100K",
                event_size: "1 kB",
                workers: 1,
                deadline: "1 h",
                memory: "2 GB",
                ingest: "throughput: 50 MB/s",
                transform: "throughput: 20k events/s",
                aggregate: "throughput: 50k events/s",
                load: "throughput: 20 MB/s",
                billing: "# billing_increment: 1 h",
                keep: "0.8",
                keys: "5K",
                bandwidth: "100 Mbps",
            },
            Preset::Medium => Numbers {
                description: "A growing product: 50M events a day",
                events: "50M",
                event_size: "1 kB",
                workers: 4,
                deadline: "2 h",
                memory: "16 GB",
                ingest: "throughput: 100 MB/s",
                transform: "throughput: 50k events/s",
                aggregate: "throughput: 100k events/s",
                load: "throughput: 50 MB/s",
                billing: "# billing_increment: 1 h",
                keep: "0.8",
                keys: "200K",
                bandwidth: "1 Gbps",
            },
            Preset::Large => Numbers {
                description: "A large site: 2 billion events a day",
                events: "2G",
                event_size: "1 kB",
                workers: 32,
                deadline: "4 h",
                memory: "64 GB",
                ingest: "throughput: 200 MB/s",
                transform: "throughput: 100k events/s",
                aggregate: "throughput: 200k events/s",
                load: "throughput: 100 MB/s",
                billing: "# billing_increment: 1 h",
                keep: "0.8",
                keys: "5M",
                bandwidth: "10 Gbps",
            },
            Preset::Lecture => Numbers {
                description: "The lecture's running example: 10M clickstream events a day",
                events: "10M",
                event_size: "500 B",
                workers: 1,
                deadline: "1 h",
                memory: "8 GB",
                // The lecture's 10/20/10/5 minutes, as durations: a given
                // duration scales linearly with the data, the lecture's
                // "2× data: 90 minutes (linear)"; billed by the started hour,
                // 45 minutes cost the lecture's $0.50 a day.
                ingest: "duration: 10 min",
                transform: "duration: 20 min",
                aggregate: "duration: 10 min",
                load: "duration: 5 min",
                billing: "billing_increment: 1 h",
                keep: "0.8",
                keys: "50K",
                bandwidth: "1 Gbps",
            },
        }
    }
}

/// A streaming scenario, every key written out.
fn streaming(name: &str) -> String {
    format!(
        r#"# A pipecalc streaming scenario: always on, sized for its peak. Every key
# is here: required ones set, optional ones commented out with their default.
# Keys and units: docs/scenario.md ("Streaming"). Try:
#
#   pipecalc estimate {name}.yaml --explain
#   pipecalc scale {name}.yaml --factors 1,2,10
#
name: {name}
description: "A stream of 5k events a second, peaking at three times that"

volume:
  events_per_day: 5k events/s     # a rate, or a count a day (432M)
  event_size: 1 kB

streaming:
  peak_factor: 3          # the busiest second over the average [default: 1]
  headroom: 20%           # spare capacity kept at the peak [default: 20%]
  window: 5 s             # micro-batch or window interval [default: 1 s]
  latency_target: 30 s    # [default: none]
  # min_workers: 2        # autoscale down to this at quiet times [default: always sized for the peak]
  # state: 10 GB          # state and checkpoints on storage [default: none]
  # hybrid: false         # true: the daily batch runs too, for history

stages:                   # what one worker does a second, each stage
  - name: parse
    bound: cpu
    input: events
    throughput: 20k events/s
  - name: enrich
    bound: cpu
    input: events
    throughput: 50k events/s
    # output: {{ keep: 0.8, row_size: 500 B }}

storage:
  - name: events
    of: parse.output
    retention: 7 days
    compression_ratio: 4

network:
  bandwidth: 1 Gbps

prices:
  compute_usd_per_worker_hour: 0.20   # an always-on worker: 24 h a day
  storage_usd_per_gb_month: 0.023
"#
    )
}

/// The scenario text for `name` at `preset`.
pub fn scenario(name: &str, preset: Preset) -> String {
    if preset == Preset::Streaming {
        return streaming(name);
    }
    let n = preset.numbers();
    let mut text = String::new();
    let _ = write!(
        text,
        r#"# A pipecalc scenario. Every key is here: required ones set, optional ones
# commented out with their default, each block with the lecture question it
# answers. Units go with the numbers ("500 B", "10 min", "20 MB/s"); GB is
# 10^9 bytes, GiB 2^30; a month is 30 days. Keys and units:
# docs/scenario.md. Try:
#
#   pipecalc check {name}.yaml
#   pipecalc estimate {name}.yaml --explain
#   pipecalc scale {name}.yaml --factors 1,2,10
#
# Which block answers which question of the lecture's "Pointers to Practice":
#   pipeline costs from volumes       volume, stages, prices
#   a pipeline for given requirements deadline, memory_per_worker, workers
#   failure modes and mitigations     reliability, quality (below)
#   batch vs streaming by latency     schedule, freshness_target, streaming
#   storage and network costs         storage, network, warehouse
#
name: {name}
description: "{description}"

volume:
  events_per_day: {events}        # a count: 100000, 100K, 10M, 2G (required)
  event_size: {event_size}        # bytes of one raw event (required)

workers: {workers}                   # whole workers running each stage [default: 1]
deadline: {deadline}                # the data must be ready this long after the run starts [default: none]
memory_per_worker: {memory}       # each worker's memory; the peak is checked against it [default: not checked]
# month: 30 days             # a billing month [default: 30 days]
# schedule: every 1 h        # run in runs: daily, hourly or every DURATION [default: daily]
# freshness_target: 2 h      # the oldest data may be when available [default: none]
# run_overhead: 15 s         # every run pays it, whatever its data: an engine's start,
#                            # planning, commit (Spark's time outside its stages) [default: none]
# parallel: {{ model: linear }}   # how stages speed up with workers: linear,
#                            # {{ model: amdahl, serial_fraction: 0.1 }} or
#                            # {{ model: usl, contention: 0.05, coherency: 0.002 }} [default: linear]

stages:                      # in order; each needs a name, bound, input and a throughput or a duration
  - name: ingest
    bound: io                # io or cpu: what limits the stage
    input: bytes             # bytes or events: what the throughput is measured against
    {ingest}     # per worker (`throughput: 20 MB/s`), or `duration: 10 min` at this volume with one worker
    # output: {{ keep: 1, row_size: 500 B }}   # rows kept, bytes a row [default: all, as read]
    # working_set: input     # memory held: input, output, or a size per worker [default: input]
    # shares: network        # a resource all workers share: network or a rate [default: none]
    # startup: 5 s           # time every run of the stage takes whatever its data or workers [default: none]

  - name: transform
    bound: cpu
    input: events
    {transform}
    output: {{ keep: {keep}, row_size: 250 B }}   # the rows kept (0 < keep <= 1) and their size
    working_set: output

  - name: aggregate
    bound: cpu
    input: events
    {aggregate}
    # One row per distinct key (a product): a fixed count, or drawn from a
    # catalogue with `keys_max: 50K` and `key_skew: 1`.
    output: {{ rows: {keys}, row_size: 100 B }}
    working_set: output
    # parallel: {{ model: amdahl, serial_fraction: 0.05 }}   # this stage's own model

  - name: load
    bound: io
    input: bytes
    {load}

storage:                     # datasets kept [default: none]
  - name: raw
    of: ingest.output        # STAGE.input or STAGE.output
    retention: 90 days
    # compression_ratio: 1   # stored bytes = bytes / ratio [default: 1]
  - name: results
    of: load.output
    retention: 365 days

network:                     # [default: no network]
  bandwidth: {bandwidth}
  transfers:
    - name: from source
      of: ingest.input
      direction: egress      # egress or ingress: which price applies
      # window: 1 h          # time it must finish in [default: the deadline]

prices:                      # US dollars
  compute_usd_per_worker_hour: 0.50   # required
  {billing}   # each worker's time rounded up to this [default: exact]
  storage_usd_per_gb_month: 0.023     # required with storage
  egress_usd_per_gb: 0.09             # required with an egress transfer
  # ingress_usd_per_gb: 0    # [default: 0, free]

# scaling:                   # defaults for `scale`, `workers` and `growth`
#   factors: [1, 2, 10]      # volume factors [default: 1, 2, 10]
#   workers: [1, 4, 10]      # worker counts [default: the scenario's workers]
#   compression: 5           # a compression what-if (at least 1) [default: none]
#   growth: 10x per 5 years  # or "58% per year" [default: the lecture's 10x per 5 years]
#   max_workers: 64          # the most workers `workers` tries, up to 10,000 [default: 64]

# Batch vs streaming: the same stages always on, sized for the peak.
# streaming:
#   peak_factor: 3           # the busiest second over the average [default: 1]
#   headroom: 20%            # spare capacity kept at the peak [default: 20%]
#   window: 10 s             # micro-batch or window interval [default: 1 s]
#   latency_target: 1 min    # [default: none]
#   min_workers: 1           # autoscale down to this [default: sized for the peak]
#   state: 5 GB              # state and checkpoints on storage [default: none]
#   hybrid: false            # true: the daily batch runs too, for history

# Failure modes: the lecture's "Retry: automatic, 3 attempts" and checkpoints.
# reliability:
#   failure_per_attempt: 1%  # an attempt of a stage fails with this chance (required)
#   attempts: 3              # [default: 3]
#   checkpoints: true        # a failed stage reruns alone [default: true]
#   failure_point: 50%       # how far a failed attempt got [default: 50%]
#   target: 99.9%            # the share of runs that must succeed [default: none]

# Data quality: the lecture's missing, duplicate, invalid and late data.
# quality:
#   null_keys: 5%            # events with a null key [default: none]
#   null_alert: 1%           # alert above this share [default: 1%]
#   duplicates: 1%           # events written twice [default: none]
#   invalid: 0.5%            # refused and quarantined [default: none]
#   quarantine_retention: 30 days
#   late: 1%                 # events that arrive late (with late_by) [default: none]
#   late_by: 2 h             # how late at most: the watermark's wait

# ETL or ELT: stages may run in a warehouse billed by the bytes it scans
# (`runs_in: warehouse` on a stage, `in: warehouse` on a dataset).
# warehouse:
#   usd_per_tb_scanned: 5    # or with its unit, "$6.25/TiB"
#   storage_usd_per_gb_month: 0.02
# queries:
#   - {{ name: dashboard, over: results, per_day: 30, scans: 1 day }}   # scans: all, 1 day, 7 partitions or 10 GB
"#,
        description = n.description,
        events = n.events,
        event_size = n.event_size,
        workers = n.workers,
        deadline = n.deadline,
        memory = n.memory,
        ingest = n.ingest,
        transform = n.transform,
        aggregate = n.aggregate,
        load = n.load,
        billing = n.billing,
        keep = n.keep,
        keys = n.keys,
        bandwidth = n.bandwidth,
    );
    text
}
