//! Aggregate: page views in, a count per (date, product_id) out.

use std::collections::BTreeMap;
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
        let partial: Vec<(String, u64, AHashMap<String, u64>)> = shares
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
                Ok((date, rows, counts))
            })
            .collect::<Result<_>>()?;
        // Shares of a date are next to each other, in date order.
        let mut counted: Vec<(String, u64, AHashMap<String, u64>)> = Vec::new();
        for (date, rows, counts) in partial {
            match counted.last_mut() {
                Some((last, total, merged)) if *last == date => {
                    *total += rows;
                    for (product, count) in counts {
                        *merged.entry(product).or_default() += count;
                    }
                }
                _ => counted.push((date, rows, counts)),
            }
        }
        bar.finish_and_clear();
        let mut dates = StringBuilder::new();
        let mut products = StringBuilder::new();
        let mut views = UInt64Builder::new();
        for (date, rows, counts) in counted {
            metrics.rows_in += rows;
            let sorted: BTreeMap<String, u64> = counts.into_iter().collect();
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
