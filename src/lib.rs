//! pipecalc: plan a data pipeline before you build it.
//!
//! Read a [`scenario::Scenario`] from YAML, run the models in [`model`] to
//! get an [`model::Estimate`], turn it into a document or JSON with
//! [`views`] and render it with [`report`]. Every figure is a
//! [`figure::Fig`] that can show its own working. [`mod@reference`] is the
//! lecture's pipeline made real, to hold the estimates against.
//!
//! The layers, arrows pointing down: `units` → `figure` → `scenario` →
//! `model` → studies (`compare`, `validate`, `projection`) → `views` →
//! `report`. The reference pipeline imports nothing from views or
//! renderers.
//!
//! ```
//! let yaml = r#"
//! volume: { events_per_day: 10M, event_size: 500 B }
//! stages:
//!   - { name: ingest, bound: io, input: bytes, duration: 10 min }
//!   - { name: transform, bound: cpu, input: events, duration: 20 min }
//! prices: { compute_usd_per_worker_hour: 0.50 }
//! "#;
//! let scenario = pipecalc::parse(yaml, "example.yaml")?;
//! let estimate = pipecalc::estimate(&scenario.with_workers(10, "workers")?);
//! assert_eq!(estimate.flow.raw_bytes_per_day.human(), "5 GB");
//! assert_eq!(estimate.time.parallel.human(), "3 min");
//! assert_eq!(
//!     estimate.time.parallel.working().to_string(),
//!     "T_parallel = T_sequential ÷ N_workers = 30 min ÷ 10 = 3 min"
//! );
//! # Ok::<(), anyhow::Error>(())
//! ```

pub mod args;
pub mod catalog;
pub mod commands;
pub mod contract;
pub mod figure;
pub mod init;
pub mod interrupt;
pub mod model;
pub mod random;
pub mod reference;
pub mod report;
pub mod scenario;
pub mod study;
pub mod text;
pub mod units;
pub mod views;

pub use model::{estimate, Estimate};
pub use scenario::{load, parse, Scenario};

/// docs/library.md's example, compiled and run by `cargo test` so the guide
/// cannot drift from the crate.
#[doc = include_str!("../docs/library.md")]
#[cfg(doctest)]
pub struct LibraryGuide;
