//! Aggregate: page views in, a count per (date, product_id) out.

use std::cmp::Ordering;
use std::sync::Arc;

use ahash::AHashMap;
use anyhow::Result;
use arrow_array::builder::{StringBuilder, UInt64Builder};
use arrow_array::{Array, RecordBatch};
use rayon::prelude::*;

use super::context::StageContext;
use super::{by_date, columns, read_rows, Stage, StageId, StageMetrics, StageOutcome};
use crate::reference::storage::{
    parquet_files, stream_batches_as, total_size, ParquetSink, TextAs,
};

/// A date, the rows counted for it, and its (product, count) list sorted
/// by product.
type DateCounts = (String, u64, Vec<(String, u64)>);

/// Two lists of (product, count), each sorted by product with each product
/// once, as one such list: a product in both has its counts added.
fn merge_sorted(a: Vec<(String, u64)>, b: Vec<(String, u64)>) -> Vec<(String, u64)> {
    let mut merged = Vec::with_capacity(a.len().max(b.len()));
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => match x.0.cmp(&y.0) {
                Ordering::Less => a.next(),
                Ordering::Greater => b.next(),
                Ordering::Equal => {
                    let (product, count) = a.next().expect("peeked");
                    let (_, more) = b.next().expect("peeked");
                    Some((product, count + more))
                }
            },
            (Some(_), None) => a.next(),
            (None, _) => b.next(),
        };
        match next {
            Some(entry) => merged.push(entry),
            None => return merged,
        }
    }
}

/// Counts views per (date, product_id).
pub(super) struct Aggregate;

impl Stage for Aggregate {
    fn id(&self) -> StageId {
        StageId::Aggregate
    }

    fn run(&self, cx: &StageContext) -> Result<StageOutcome> {
        let (config, staging) = (cx.config, &cx.staging);
        let files = parquet_files(&cx.published(StageId::Transform.dataset()))?;
        let tripwire = cx.tripwire(cx.upstream_rows);
        let bar = cx.progress(files.len() as u64, "files");
        let mut metrics = StageMetrics {
            bytes_in: total_size(&files),
            ..cx.metrics()
        };
        // A count table per date and share of its parts, built in parallel
        // and merged by date: a day's log is most of a run, and counted by
        // one worker it left the others idle. Keys, not rows, bound memory.
        // ahash, not the standard SipHash: the table's lookups were most of
        // the stage's time. The order it iterates in does not matter, as the
        // counts are sorted before they are written.
        let workers = rayon::current_num_threads().max(1);
        let shares: Vec<(String, Vec<std::path::PathBuf>)> = by_date(files)
            .into_iter()
            .flat_map(|(date, parts)| {
                let share = parts.len().div_ceil(workers).max(1);
                parts
                    .chunks(share)
                    .map(|chunk| (date.clone(), chunk.to_vec()))
                    .collect::<Vec<_>>()
            })
            .collect();
        let partial: Vec<DateCounts> = shares
            .into_par_iter()
            .map(|(date, parts)| {
                let mut counts: AHashMap<String, u64> = AHashMap::new();
                let mut rows = 0u64;
                for part in parts {
                    // Read as the dictionary the file stores: each row is an
                    // index, counted in a slot of its own, and each product
                    // is looked up once a batch instead of once a row.
                    let wanted = ["product_id"];
                    let read_as = [("product_id", TextAs::Dictionary)];
                    let mut slots: Vec<u64> = Vec::new();
                    for batch in
                        stream_batches_as(&part, read_rows(config), Some(&wanted), &read_as)?
                    {
                        let batch = batch?;
                        let (indices, products) = columns::dictionary(&batch, "product_id")?;
                        slots.clear();
                        slots.resize(products.len(), 0);
                        for &index in indices.values() {
                            let slot = usize::try_from(index).ok().and_then(|i| slots.get_mut(i));
                            let Some(slot) = slot else {
                                anyhow::bail!(
                                    "`{}` has a product index ({index}) outside its dictionary",
                                    part.display()
                                );
                            };
                            *slot += 1;
                        }
                        for (slot, &count) in slots.iter().enumerate().filter(|(_, &c)| c > 0) {
                            let product = products.value(slot);
                            // A product seen before is counted without a new String.
                            match counts.get_mut(product) {
                                Some(total) => *total += count,
                                None => {
                                    counts.insert(product.to_string(), count);
                                }
                            }
                        }
                        rows += batch.num_rows() as u64;
                        tripwire.advance(batch.num_rows() as u64)?;
                    }
                    bar.inc(1);
                }
                // Each share sorts its own counts, so the sorting is done
                // by every worker and the shares merge in one pass (a
                // BTreeMap of the merged table, on one core, made the stage
                // 35.5 ms at 1M events instead of 32.9).
                let mut sorted: Vec<(String, u64)> = counts.into_iter().collect();
                sorted.sort_unstable_by(|a, b| a.0.cmp(&b.0));
                Ok((date, rows, sorted))
            })
            .collect::<Result<_>>()?;
        // Shares of a date are next to each other, in date order.
        let mut counted: Vec<DateCounts> = Vec::new();
        for (date, rows, counts) in partial {
            match counted.last_mut() {
                Some((last, total, merged)) if *last == date => {
                    *total += rows;
                    *merged = merge_sorted(std::mem::take(merged), counts);
                }
                _ => counted.push((date, rows, counts)),
            }
        }
        bar.finish_and_clear();
        let mut dates = StringBuilder::new();
        let mut products = StringBuilder::new();
        let mut views = UInt64Builder::new();
        for (date, rows, sorted) in counted {
            metrics.rows_in += rows;
            for (product, count) in sorted {
                dates.append_value(&date);
                products.append_value(product);
                views.append_value(count);
                metrics.rows_out += 1;
            }
        }
        let batch = RecordBatch::try_new(
            columns::schema_counts(),
            vec![
                Arc::new(dates.finish()),
                Arc::new(products.finish()),
                Arc::new(views.finish()),
            ],
        )?;
        let mut sink = ParquetSink::create(
            &staging.join("counts.parquet"),
            columns::schema_counts(),
            config.row_group_rows,
        )?;
        sink.write(&batch)?;
        sink.finish(&cx.syncer)?;
        Ok(StageOutcome {
            metrics,
            ..StageOutcome::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(list: &[(&str, u64)]) -> Vec<(String, u64)> {
        list.iter().map(|(p, c)| (p.to_string(), *c)).collect()
    }

    #[test]
    fn two_sorted_count_lists_merge_into_one_with_each_product_once() {
        let a = counts(&[("p1", 2), ("p3", 1), ("p5", 4)]);
        let b = counts(&[("p0", 1), ("p3", 6), ("p4", 1), ("p5", 1), ("p9", 3)]);
        let expected = counts(&[
            ("p0", 1),
            ("p1", 2),
            ("p3", 7),
            ("p4", 1),
            ("p5", 5),
            ("p9", 3),
        ]);
        assert_eq!(merge_sorted(a.clone(), b.clone()), expected);
        assert_eq!(merge_sorted(b, a.clone()), expected);
        assert_eq!(merge_sorted(a.clone(), Vec::new()), a);
        assert_eq!(merge_sorted(Vec::new(), a.clone()), a);
    }
}
