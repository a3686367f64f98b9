//! Transform: raw events in, deduplicated product page views out.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;
use arrow_array::builder::{StringBuilder, TimestampMillisecondBuilder};
use arrow_array::{Array, RecordBatch};
use rayon::prelude::*;

use super::context::StageContext;
use super::{by_date, columns, Quality, Ran, RunConfig, Stage, StageId};
use crate::reference::event::{LogFormat, ProductError};
use crate::reference::storage::{fnv1a, parquet_files, read_batches, total_size, ParquetSink};

/// A raw row's fate in the transform.
enum Kept {
    View {
        event_id: String,
        product: String,
        timestamp: i64,
    },
    Other,
    NotProduct,
    InvalidProduct,
}

/// Keeps the page views of product pages, deduplicated by (event_id,
/// timestamp), one processed part per raw part.
pub(super) struct Transform<'a> {
    pub format: &'a LogFormat,
}

impl Stage for Transform<'_> {
    fn id(&self) -> StageId {
        StageId::Transform
    }

    fn run(&self, cx: &StageContext) -> Result<Ran> {
        let (config, staging) = (cx.config, &cx.staging);
        let raw_dir = cx.published(StageId::Ingest.dataset());
        let files: Vec<PathBuf> = parquet_files(&raw_dir)?
            .into_iter()
            .filter(|f| !f.components().any(|c| c.as_os_str() == "_quarantine"))
            .collect();
        let tripwire = cx.tripwire(cx.upstream_rows);
        let bar = cx.progress(files.len() as u64, "files");
        let mut quality = Quality::default();
        let mut metrics = cx.metrics();
        metrics.bytes_in = total_size(&files);
        for (date, parts) in by_date(files) {
            let mut seen: HashSet<u64> = HashSet::new();
            // A worker-count of files at a time: read and classified in
            // parallel, deduplicated in file order (so the output is the same
            // for any N), then written in parallel, one part per raw part.
            // Memory holds a few files, not a whole date.
            for chunk in parts.chunks(rayon::current_num_threads().max(1)) {
                let classified: Vec<Vec<(u64, Kept)>> = chunk
                    .par_iter()
                    .map(|path| {
                        let mut rows = Vec::new();
                        for batch in read_batches(path, config.batch_rows)? {
                            let ids = columns::text(&batch, "event_id")?;
                            let pages = columns::text(&batch, "page")?;
                            let times = columns::timestamps(&batch, "timestamp")?;
                            let actions = columns::text(&batch, "action")?;
                            for row in 0..batch.num_rows() {
                                let event_id = ids.value(row);
                                let timestamp = times.value(row);
                                let mut key = event_id.as_bytes().to_vec();
                                key.extend_from_slice(&timestamp.to_le_bytes());
                                let kept =
                                    if actions.is_null(row) || actions.value(row) != "page_view" {
                                        Kept::Other
                                    } else {
                                        match self.format.product_id(pages.value(row)) {
                                            Ok(product) => Kept::View {
                                                event_id: event_id.to_string(),
                                                product: product.to_string(),
                                                timestamp,
                                            },
                                            Err(ProductError::NotAProductPage) => Kept::NotProduct,
                                            Err(ProductError::Invalid) => Kept::InvalidProduct,
                                        }
                                    };
                                rows.push((fnv1a(&key), kept));
                            }
                            tripwire.advance(batch.num_rows() as u64)?;
                        }
                        bar.inc(1);
                        Ok(rows)
                    })
                    .collect::<Result<_>>()?;
                let mut views: Vec<Vec<(String, String, i64)>> = Vec::with_capacity(chunk.len());
                for rows in classified {
                    let mut kept_views = Vec::new();
                    for (key, kept) in rows {
                        metrics.rows_in += 1;
                        if !seen.insert(key) {
                            quality.duplicates_removed += 1;
                            continue;
                        }
                        match kept {
                            Kept::Other => {}
                            Kept::NotProduct => {
                                quality.page_views += 1;
                                quality.non_product_page_views += 1;
                            }
                            Kept::InvalidProduct => {
                                quality.page_views += 1;
                                quality.invalid_product_ids += 1;
                            }
                            Kept::View {
                                event_id,
                                product,
                                timestamp,
                            } => {
                                quality.page_views += 1;
                                metrics.rows_out += 1;
                                kept_views.push((event_id, product, timestamp));
                            }
                        }
                    }
                    views.push(kept_views);
                }
                chunk
                    .par_iter()
                    .zip(views)
                    .filter(|(_, rows)| !rows.is_empty())
                    .try_for_each(|(raw_part, rows)| {
                        let name = raw_part.file_name().expect("a Parquet file");
                        write_processed(
                            &staging.join(format!("date={date}")).join(name),
                            &rows,
                            config,
                        )
                    })?;
            }
        }
        bar.finish_and_clear();
        Ok(Ran {
            metrics,
            quality,
            ..Ran::default()
        })
    }
}

/// Writes one processed part: the kept page views of one raw part.
fn write_processed(path: &Path, rows: &[(String, String, i64)], config: &RunConfig) -> Result<()> {
    let mut sink = ParquetSink::create(path, columns::schema_processed(), config.row_group_rows)?;
    for batch_rows in rows.chunks(config.batch_rows.max(1)) {
        let mut ids = StringBuilder::new();
        let mut products = StringBuilder::new();
        let mut times = TimestampMillisecondBuilder::new();
        for (event_id, product, timestamp) in batch_rows {
            ids.append_value(event_id);
            products.append_value(product);
            times.append_value(*timestamp);
        }
        let batch = RecordBatch::try_new(
            columns::schema_processed(),
            vec![
                Arc::new(ids.finish()),
                Arc::new(products.finish()),
                Arc::new(times.finish().with_timezone("UTC")),
            ],
        )?;
        sink.write(&batch)?;
    }
    sink.finish()?;
    Ok(())
}
