//! The `reliability:` block: failures, attempts, checkpoints and the target.

use anyhow::Result;
use serde_saphyr::Spanned;

use super::Validator;
use crate::figure::{Fig, Source};
use crate::scenario::raw::*;
use crate::scenario::*;
use crate::units::{Count, Ratio};

impl Validator<'_> {
    pub(super) fn reliability(&self, raw: &Spanned<RawReliability>) -> Result<Reliability> {
        let r = &raw.value;
        let key = |name: &str| format!("reliability.{name}");
        let failure_per_attempt = match &r.failure_per_attempt {
            Some(field) => self.probability(field, &key("failure_per_attempt"), "p_fail", false)?,
            None => {
                return Err(self.error(
                    &key("failure_per_attempt"),
                    &raw.referenced,
                    "missing from the `reliability:` mapping that starts here; the chance that one attempt of a stage fails, e.g. `failure_per_attempt: 1%`",
                ))
            }
        };
        let attempts = match &r.attempts {
            Some(field) => {
                let attempts = self.count(field, &key("attempts"), "attempts")?;
                let value = attempts.base();
                if value.fract() != 0.0 || value > 100.0 {
                    return Err(self.error(
                        &key("attempts"),
                        &field.referenced,
                        format!(
                            "`{}` is not a whole number of attempts from 1 to 100",
                            field.value.0
                        ),
                    ));
                }
                attempts
            }
            None => Fig::input(
                Count(3.0),
                "attempts",
                Source::Default("the lecture's \"Retry: automatic, 3 attempts\"".into()),
            ),
        };
        let failure_point = match &r.failure_point {
            Some(field) => self.probability(field, &key("failure_point"), "f_fail", true)?,
            None => Fig::input(
                Ratio(0.5),
                "f_fail",
                Source::Default("a failure strikes halfway through, on average (the lecture's \"fails at 50%\")".into()),
            ),
        };
        let target = r
            .target
            .as_ref()
            .map(|field| self.probability(field, &key("target"), "target", true))
            .transpose()?;
        Ok(Reliability {
            failure_per_attempt,
            attempts,
            checkpoints: r.checkpoints.unwrap_or(true),
            failure_point,
            target,
        })
    }
}
