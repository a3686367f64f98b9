//! The `streaming:` block: the peak, the headroom, the fleet's floor, the
//! window, the latency target and the state kept.

use anyhow::Result;
use serde_saphyr::Spanned;

use super::Validator;
use crate::figure::{Fig, Source};
use crate::scenario::raw::*;
use crate::scenario::*;
use crate::units::{self, Count, Kind, Parsed, Ratio};

impl Validator<'_> {
    pub(super) fn streaming(&self, raw: &Spanned<RawStreaming>) -> Result<Streaming> {
        let s = &raw.value;
        let key = |name: &str| format!("streaming.{name}");
        let peak_factor = match &s.peak_factor {
            Some(field) => {
                let factor = self.ratio(field, &key("peak_factor"), "peak_factor")?;
                if factor.base() < 1.0 {
                    return Err(self.error(
                        &key("peak_factor"),
                        &field.referenced,
                        format!("`{}` puts the peak below the average; a peak factor is 1 or more (3 = the busiest second has three times the average rate)", field.value.0.trim()),
                    ));
                }
                factor
            }
            None => Fig::input(
                Ratio(1.0),
                "peak_factor",
                Source::Default("a flat stream: the peak is the average".into()),
            ),
        };
        let headroom = match &s.headroom {
            Some(field) => {
                let k = key("headroom");
                let value = self.parsed_into(field, &k, Kind::Fraction, |p| match p {
                    Parsed::Number(v) | Parsed::Percent(v) => Some(v),
                    _ => None,
                })?;
                if !(0.0..=10.0).contains(&value) {
                    return Err(self.error(
                        &k,
                        &field.referenced,
                        format!("`{}` is outside 0% to 1000%; headroom is the spare capacity kept at the peak (20% keeps the fleet at most 83% busy; 100% doubles it)", field.value.0.trim()),
                    ));
                }
                Fig::input(Ratio(value), "headroom", self.source(&k, &field.referenced))
            }
            None => Fig::input(
                Ratio(0.2),
                "headroom",
                Source::Default("20% spare capacity at the peak".into()),
            ),
        };
        let peak_duration = s
            .peak_duration
            .as_ref()
            .map(|f| {
                let k = key("peak_duration");
                let duration = self.duration(f, &k, "peak_duration")?;
                if duration.base() > units::SECONDS_PER_DAY {
                    return Err(self.error(
                        &k,
                        &f.referenced,
                        format!(
                            "a peak of {} lasts longer than the day; a peak is the busiest part of a day (e.g. `1 h`), and a day-long one is the average (`peak_factor` 1)",
                            duration.human()
                        ),
                    ));
                }
                Ok(duration)
            })
            .transpose()?;
        if let (Some(_), Some(field)) = (&peak_duration, &s.peak_factor) {
            if peak_factor.base() == 1.0 {
                self.warn(
                    &key("peak_duration"),
                    &field.referenced,
                    "a peak factor of 1 is the average rate: a `peak_duration` changes nothing",
                );
            }
        }
        let replay = s
            .replay
            .as_ref()
            .map(|f| self.duration(f, &key("replay"), "replay"))
            .transpose()?;
        Ok(Streaming {
            peak_duration,
            replay,
            hybrid: s.hybrid.unwrap_or(false),
            peak_factor,
            headroom,
            min_workers: s
                .min_workers
                .as_ref()
                .map(|f| {
                    let k = key("min_workers");
                    let workers = self.whole(f, &k)?;
                    Ok::<_, anyhow::Error>(Fig::input(
                        Count(f64::from(workers)),
                        "min_workers",
                        self.source(&k, &f.referenced),
                    ))
                })
                .transpose()?,
            window: match &s.window {
                Some(field) => self.duration(field, &key("window"), "window")?,
                None => Fig::input(
                    units::seconds(1.0),
                    "window",
                    Source::Default("one-second micro-batches".into()),
                ),
            },
            latency_target: s
                .latency_target
                .as_ref()
                .map(|f| self.duration(f, &key("latency_target"), "latency_target"))
                .transpose()?,
            state: s
                .state
                .as_ref()
                .map(|f| self.size(f, &key("state"), "state"))
                .transpose()?,
            fleet_at_peak_held: None,
        })
    }
}
