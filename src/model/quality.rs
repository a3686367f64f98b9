//! Data quality: what each of the lecture's pitfalls costs a day. It
//! counts the rows each defect touches (null keys, duplicates, invalid
//! events), raises the null-key alert, and prices the quarantine. For late
//! data it gives the watermark's delay and the cost of re-running the part
//! of each day that late events can reach.
//!
//! The counts are of the day's events: events × share. A defect the
//! pipeline removes (duplicates, invalid events) is a filter a stage's
//! `output.keep` already expresses; this model says how many rows that is
//! and what keeping them costs, so a student sees the pitfall in figures.

use schemars::JsonSchema;
use serde::Serialize;
use uom::si::f64::{Information, Time};

use crate::figure::{AnyFig, Explain, Fig};
use crate::model::flow::Flow;
use crate::model::streaming::StreamingModel;
use crate::model::time::TimeModel;
use crate::model::Calendar;
use crate::scenario::Scenario;
use crate::units::{Count, Ratio, Usd};

/// What the data's defects touch and cost a day.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct QualityModel {
    pub null_rows_per_day: Option<Fig<Count>>,
    /// The null share is above the alert threshold.
    pub null_alert: Option<bool>,
    pub null_alert_threshold: Fig<Ratio>,
    pub duplicate_rows_per_day: Option<Fig<Count>>,
    pub invalid_rows_per_day: Option<Fig<Count>>,
    /// Quarantined bytes kept once the quarantine's retention is full.
    pub quarantine_bytes: Option<Fig<Information>>,
    pub quarantine_usd_per_month: Option<Fig<Usd>>,
    pub late_rows_per_day: Option<Fig<Count>>,
    /// The wait for late data before a window is final: the latency it adds.
    #[serde(rename = "watermark_delay_s")]
    pub watermark_delay: Option<Fig<Time>>,
    /// Run time plus the watermark's wait: when a day's data is final.
    #[serde(rename = "latency_with_watermark_s")]
    pub latency_with_watermark: Option<Fig<Time>>,
    /// Re-running the last `late_by` of each day's window, where late
    /// events land: run time × late_by ÷ a day, as compute.
    #[serde(rename = "reprocess_s_per_day")]
    pub reprocess_time: Option<Fig<Time>>,
    pub reprocess_usd_per_month: Option<Fig<Usd>>,
}

pub fn quality(
    scenario: &Scenario,
    flow: &Flow,
    time: &TimeModel,
    stream: Option<&StreamingModel>,
    calendar: &Calendar,
) -> Option<QualityModel> {
    let q = scenario.quality.as_ref()?;
    let events = &flow.events_per_day;
    let rows = |share: &Option<Fig<Ratio>>, name: &str| {
        share.as_ref().map(|s| (events * s).named(name.to_string()))
    };
    let null_rows_per_day = rows(&q.null_keys, "null_rows_per_day");
    let null_alert = q
        .null_keys
        .as_ref()
        .map(|share| share.base() > q.null_alert.base());
    let invalid_rows_per_day = rows(&q.invalid, "invalid_rows_per_day");
    let quarantine_bytes = invalid_rows_per_day.as_ref().map(|invalid| {
        let per_day = (invalid * &scenario.event_size).named("quarantine_bytes_per_day");
        let days = (&q.quarantine_retention / &calendar.day).named("quarantine_days");
        (&per_day * &days).named("quarantine_bytes")
    });
    let quarantine_usd_per_month = match (&quarantine_bytes, &scenario.prices.storage) {
        (Some(bytes), Some(price)) => Some((bytes * price).named("quarantine_usd_per_month")),
        _ => None,
    };
    let (late_rows_per_day, watermark_delay, latency_with_watermark, reprocess_time, reprocess_usd) =
        match &q.late {
            Some((share, by)) => {
                let late = (events * share).named("late_rows_per_day");
                let delay = by.alias("watermark_delay");
                // The wait comes on top of what the data already waits for:
                // one run of a batch (a schedule's run, not the day's total),
                // or a stream's latency.
                let (latency, reprocess, workers) = match stream.filter(|s| !s.hybrid) {
                    Some(stream) => (
                        (&stream.latency + &delay).named("latency_with_watermark"),
                        // A stream holds each window open for late events and
                        // updates it once more for each: the late events'
                        // share of the day's work, again.
                        (&time.sequential * share).named("T_reprocess"),
                        Fig::<Ratio>::constant(Ratio(1.0)),
                    ),
                    None => {
                        // Every run re-runs the data late events can reach: the
                        // last `late_by` of data before it, the day's work ×
                        // late_by ÷ the period between runs, each day.
                        let reach = (by / &time.runs.period).named("late_reach");
                        (
                            (&time.runs.run + &delay).named("latency_with_watermark"),
                            (&time.parallel * &reach).named("T_reprocess"),
                            time.workers.as_ratio(),
                        )
                    }
                };
                let worker_time = (&reprocess * &workers).named("worker_time_reprocess");
                let per_day =
                    (&worker_time * &scenario.prices.compute).named("reprocess_usd_per_day");
                let per_month =
                    (&per_day * &calendar.days_per_month).named("reprocess_usd_per_month");
                (
                    Some(late),
                    Some(delay),
                    Some(latency),
                    Some(reprocess),
                    Some(per_month),
                )
            }
            None => (None, None, None, None, None),
        };
    Some(QualityModel {
        null_rows_per_day,
        null_alert,
        null_alert_threshold: q.null_alert.clone(),
        duplicate_rows_per_day: rows(&q.duplicates, "duplicate_rows_per_day"),
        invalid_rows_per_day,
        quarantine_bytes,
        quarantine_usd_per_month,
        late_rows_per_day,
        watermark_delay,
        latency_with_watermark,
        reprocess_time,
        reprocess_usd_per_month: reprocess_usd,
    })
}

impl Explain for QualityModel {
    fn figures(&self) -> Vec<&dyn AnyFig> {
        let mut figures: Vec<&dyn AnyFig> = Vec::new();
        figures.extend(self.null_rows_per_day.iter().map(|f| f as &dyn AnyFig));
        figures.extend(self.duplicate_rows_per_day.iter().map(|f| f as &dyn AnyFig));
        figures.extend(self.invalid_rows_per_day.iter().map(|f| f as &dyn AnyFig));
        figures.extend(self.quarantine_bytes.iter().map(|f| f as &dyn AnyFig));
        figures.extend(
            self.quarantine_usd_per_month
                .iter()
                .map(|f| f as &dyn AnyFig),
        );
        figures.extend(self.late_rows_per_day.iter().map(|f| f as &dyn AnyFig));
        figures.extend(self.latency_with_watermark.iter().map(|f| f as &dyn AnyFig));
        figures.extend(self.reprocess_time.iter().map(|f| f as &dyn AnyFig));
        figures.extend(
            self.reprocess_usd_per_month
                .iter()
                .map(|f| f as &dyn AnyFig),
        );
        figures
    }
}

#[cfg(test)]
mod tests {
    use crate::model::fixtures::{close, with};

    #[test]
    fn the_lecture_s_pitfalls_by_hand() {
        let scenario = with(
            "prices:",
            "quality: { null_keys: 5%, duplicates: 1%, invalid: 0.5%, late: 1%, late_by: 2 h }\nprices:",
        );
        let q = crate::estimate(&scenario).quality.unwrap();
        // 10M events: 500K null keys (5% > the 1% alert), 100K duplicates,
        // 50K invalid.
        close(q.null_rows_per_day.unwrap().base(), 500_000.0);
        assert_eq!(q.null_alert, Some(true));
        close(q.duplicate_rows_per_day.unwrap().base(), 100_000.0);
        close(q.invalid_rows_per_day.unwrap().base(), 50_000.0);
        // 50K × 500 B = 25 MB a day, kept 30 days: 750 MB at $0.023/GB.
        close(q.quarantine_bytes.unwrap().base(), 750e6);
        close(q.quarantine_usd_per_month.unwrap().base(), 0.75 * 0.023);
        // The data is final 2 h after the window closes, plus the 45 min run.
        close(q.latency_with_watermark.unwrap().base(), 7200.0 + 2700.0);
        // Re-running the last 2 h of the day: 45 min × 2/24.
        close(q.reprocess_time.unwrap().base(), 2700.0 * 2.0 / 24.0);
        close(
            q.reprocess_usd_per_month.unwrap().base(),
            2700.0 * 2.0 / 24.0 / 3600.0 * 0.5 * 30.0,
        );
    }

    #[test]
    fn late_data_needs_both_keys() {
        let text =
            crate::model::fixtures::LECTURE.replace("prices:", "quality: { late: 1% }\nprices:");
        let error = crate::scenario::parse(&text, "t.yaml")
            .unwrap_err()
            .to_string();
        assert!(error.contains("late data needs both keys"), "{error}");
    }
}
