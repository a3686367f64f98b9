//! The `quality:` block: the data's defects as shares of the day's events.

use anyhow::Result;
use serde_saphyr::Spanned;

use super::Validator;
use crate::figure::{Fig, Source};
use crate::scenario::raw::*;
use crate::scenario::*;
use crate::units::{self, Ratio};

impl Validator<'_> {
    pub(super) fn quality(&self, raw: &Spanned<RawQuality>) -> Result<Quality> {
        let q = &raw.value;
        let key = |name: &str| format!("quality.{name}");
        let share = |field: &Option<Field>, name: &str| {
            field
                .as_ref()
                .map(|f| self.probability(f, &key(name), name, false))
                .transpose()
        };
        let late = match (&q.late, &q.late_by) {
            (Some(share_field), Some(by)) => Some((
                self.probability(share_field, &key("late"), "late", false)?,
                self.duration(by, &key("late_by"), "late_by")?,
            )),
            (None, None) => None,
            (Some(field), None) | (None, Some(field)) => {
                return Err(self.error(
                    &key(if q.late.is_some() { "late_by" } else { "late" }),
                    &field.referenced,
                    "late data needs both keys; write the share and how late it comes at most, e.g. `late: 1%` and `late_by: 2 h`",
                ))
            }
        };
        Ok(Quality {
            null_keys: share(&q.null_keys, "null_keys")?,
            null_alert: match &q.null_alert {
                Some(field) => self.probability(field, &key("null_alert"), "null_alert", false)?,
                None => Fig::input(
                    Ratio(0.01),
                    "null_alert",
                    Source::Default("the lecture's \"alert if > 1%\"".into()),
                ),
            },
            duplicates: share(&q.duplicates, "duplicates")?,
            invalid: share(&q.invalid, "invalid")?,
            quarantine_retention: match &q.quarantine_retention {
                Some(field) => {
                    self.duration(field, &key("quarantine_retention"), "quarantine_retention")?
                }
                None => Fig::input(
                    units::seconds(30.0 * units::SECONDS_PER_DAY),
                    "quarantine_retention",
                    Source::Default("a month to look at what was refused".into()),
                ),
            },
            late,
        })
    }
}
