//! The lecture's clickstream job, made real: synthetic logs, the four
//! stages (ingest, transform, aggregate, load) over Parquet, per-stage
//! instrumentation, checkpoints, and the run report; and measured runs read
//! back, the pipeline's own or a Spark event log's.

pub mod calendar;
pub mod event;
pub mod generator;
pub mod instrument;
pub mod machine;
pub mod metrics;
pub mod pipeline;
pub mod spark;
pub mod storage;
