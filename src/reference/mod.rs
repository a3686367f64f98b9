//! The lecture's clickstream job, made real: synthetic logs, the four
//! stages (ingest, transform, aggregate, load) over Parquet, per-stage
//! instrumentation, checkpoints, and the run report.

pub mod calendar;
pub mod event;
pub mod generator;
pub mod instrument;
pub mod metrics;
pub mod pipeline;
pub mod storage;
