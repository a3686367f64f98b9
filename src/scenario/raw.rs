//! The scenario file as written by hand: the structure serde reads, with
//! every value kept as text beside its line and column, for validation to
//! parse through the one grammar.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::{Bound, Direction, Measure};

/// A YAML scalar kept as text, whether it was written `10M`, `"500 B"` or
/// `0.023`, so units are parsed by one grammar in `units`.

#[derive(Clone, Debug)]
pub(super) struct Scalar(pub(super) String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl Visitor<'_> for ScalarVisitor {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or a quantity with its unit, such as \"500 B\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
        }
        deserializer.deserialize_any(ScalarVisitor)
    }
}

pub(super) type Field = Spanned<Scalar>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScenario {
    pub(super) name: Option<String>,
    pub(super) description: Option<String>,
    pub(super) volume: RawVolume,
    pub(super) workers: Option<Field>,
    pub(super) deadline: Option<Field>,
    pub(super) memory_per_worker: Option<Field>,
    pub(super) month: Option<Field>,
    pub(super) parallel: Option<Spanned<RawParallel>>,
    pub(super) stages: Spanned<Vec<RawStage>>,
    #[serde(default)]
    pub(super) storage: Vec<RawDataset>,
    pub(super) network: Option<RawNetwork>,
    pub(super) prices: Option<Spanned<RawPrices>>,
    pub(super) scaling: Option<RawScaling>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawParallel {
    pub(super) model: ParallelKind,
    pub(super) serial_fraction: Option<Field>,
    pub(super) contention: Option<Field>,
    pub(super) coherency: Option<Field>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum ParallelKind {
    Linear,
    Amdahl,
    Usl,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScaling {
    pub(super) factors: Option<Spanned<Vec<Field>>>,
    pub(super) workers: Option<Spanned<Vec<Field>>>,
    pub(super) compression: Option<Field>,
    pub(super) growth: Option<Field>,
    pub(super) max_workers: Option<Field>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawVolume {
    pub(super) events_per_day: Field,
    pub(super) event_size: Field,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStage {
    pub(super) name: Spanned<String>,
    pub(super) bound: Bound,
    pub(super) input: Spanned<Measure>,
    pub(super) throughput: Option<Field>,
    pub(super) duration: Option<Field>,
    pub(super) output: Option<Spanned<RawOutput>>,
    pub(super) working_set: Option<Field>,
    pub(super) parallel: Option<Spanned<RawParallel>>,
    pub(super) shares: Option<Field>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOutput {
    pub(super) keep: Option<Field>,
    pub(super) rows: Option<Field>,
    pub(super) row_size: Option<Field>,
    pub(super) keys_grow: Option<Field>,
    pub(super) keys_max: Option<Field>,
    pub(super) key_skew: Option<Field>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDataset {
    pub(super) name: Spanned<String>,
    pub(super) of: Spanned<String>,
    pub(super) retention: Field,
    pub(super) compression_ratio: Option<Field>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNetwork {
    pub(super) bandwidth: Field,
    #[serde(default)]
    pub(super) transfers: Vec<RawTransfer>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTransfer {
    pub(super) name: Spanned<String>,
    pub(super) of: Spanned<String>,
    pub(super) direction: Direction,
    pub(super) window: Option<Field>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPrices {
    pub(super) compute_usd_per_worker_hour: Option<Field>,
    pub(super) billing_increment: Option<Field>,
    pub(super) storage_usd_per_gb_month: Option<Field>,
    pub(super) egress_usd_per_gb: Option<Field>,
    pub(super) ingress_usd_per_gb: Option<Field>,
}
