//! Studies: what re-runs the models on other scenarios or holds them
//! against measured runs. Projections (scale, workers, growth), comparisons,
//! CI gates, the ranges' study, and calibration and validation against the
//! reference pipeline and Spark.

pub mod calibrate;
pub mod compare;
pub mod fit;
pub mod gates;
pub mod hold;
pub mod plan;
pub mod projection;
pub mod run;
pub mod uncertainty;
pub mod validate;
