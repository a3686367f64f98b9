//! pipecalc: plan a data pipeline before you build it.
//!
//! Read a [`scenario::Scenario`] from YAML, run the models in [`model`] to
//! get an [`model::Estimate`], and render it with [`report`]. Every figure
//! is a [`figure::Fig`] that can show its own working.

pub mod commands;
pub mod compare;
pub mod figure;
pub mod model;
pub mod reference;
pub mod report;
pub mod scenario;
pub mod units;

pub use model::{estimate, Estimate};
pub use scenario::{load, parse, Scenario};
