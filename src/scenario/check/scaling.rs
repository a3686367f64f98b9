//! The `scaling:` block: the defaults of `scale`, `workers` and `growth`.

use anyhow::Result;

use super::Validator;
use crate::scenario::raw::*;
use crate::scenario::*;
use crate::units::{self};

impl Validator<'_> {
    pub(super) fn scaling(&self, raw: Option<&RawScaling>) -> Result<Scaling> {
        let mut scaling = Scaling {
            factors: vec![1.0, 2.0, 10.0],
            workers: Vec::new(),
            compression: None,
            growth: None,
            max_workers: 64,
        };
        let Some(raw) = raw else {
            return Ok(scaling);
        };
        let long = |list: &str, len: usize, at: &serde_saphyr::Location| {
            (len > crate::args::MAX_LIST).then(|| {
                self.error(
                    &format!("scaling.{list}"),
                    at,
                    format!(
                        "{len} {list} is more than the {} a projection shows; each is a column of its own",
                        crate::args::MAX_LIST
                    ),
                )
            })
        };
        if let Some(error) = raw
            .factors
            .as_ref()
            .and_then(|f| long("factors", f.value.len(), &f.referenced))
            .or_else(|| {
                raw.workers
                    .as_ref()
                    .and_then(|w| long("workers", w.value.len(), &w.referenced))
            })
        {
            return Err(error);
        }
        if let Some(factors) = &raw.factors {
            scaling.factors = factors
                .value
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    Ok(self
                        .ratio(f, &format!("scaling.factors[{i}]"), "factor")?
                        .value
                        .0)
                })
                .collect::<Result<_>>()?;
            if scaling.factors.is_empty() {
                return Err(self.error(
                    "scaling.factors",
                    &factors.referenced,
                    "the list of factors is empty",
                ));
            }
        }
        if let Some(workers) = &raw.workers {
            scaling.workers = workers
                .value
                .iter()
                .enumerate()
                .map(|(i, f)| self.whole(f, &format!("scaling.workers[{i}]")))
                .collect::<Result<_>>()?;
        }
        if let Some(field) = &raw.compression {
            let ratio = self
                .ratio(field, "scaling.compression", "compression")?
                .value
                .0;
            if ratio < 1.0 {
                return Err(self.error(
                    "scaling.compression",
                    &field.referenced,
                    format!("`{}` would expand the data; a compression what-if is a ratio of 1 or more (5 stores a fifth)", field.value.0),
                ));
            }
            scaling.compression = Some(ratio);
        }
        if let Some(field) = &raw.growth {
            let per_year = units::parse_growth(&field.value.0)
                .map_err(|e| self.error("scaling.growth", &field.referenced, e))?;
            scaling.growth = Some(Growth {
                per_year,
                text: field.value.0.trim().to_string(),
            });
        }
        if let Some(field) = &raw.max_workers {
            scaling.max_workers = self.whole(field, "scaling.max_workers")?;
        }
        Ok(scaling)
    }
}
