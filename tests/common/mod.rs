//! What the pipeline tests share: a scratch folder that removes itself,
//! the final output read back independently, and a lake's files.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::UInt64Type;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("pipecalc-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    pub fn path(&self, child: &str) -> PathBuf {
        self.0.join(child)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The final output read back with arrow-rs's own reader, independently of
/// the pipeline's code: (date from the folder, product) → views.
pub fn read_views(lake: &Path) -> BTreeMap<String, BTreeMap<String, u64>> {
    let mut views: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for entry in std::fs::read_dir(lake.join("views")).unwrap() {
        let folder = entry.unwrap().path();
        let Some(date) = folder
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("date="))
            .map(str::to_string)
        else {
            continue;
        };
        for file in std::fs::read_dir(&folder).unwrap() {
            let reader =
                ParquetRecordBatchReaderBuilder::try_new(File::open(file.unwrap().path()).unwrap())
                    .unwrap()
                    .build()
                    .unwrap();
            for batch in reader {
                let batch = batch.unwrap();
                let products = batch
                    .column_by_name("product_id")
                    .unwrap()
                    .as_string::<i32>();
                let counts = batch
                    .column_by_name("view_count")
                    .unwrap()
                    .as_primitive::<UInt64Type>();
                for row in 0..batch.num_rows() {
                    let previous = views
                        .entry(date.clone())
                        .or_default()
                        .insert(products.value(row).to_string(), counts.value(row));
                    assert!(previous.is_none(), "a (date, product) pair appears twice");
                }
            }
        }
    }
    views
}

/// Every file under `dir` (manifests and reports aside, which hold timings,
/// and the lock, which holds a process id).
pub fn contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                pending.push(path);
            } else if !matches!(
                name.as_str(),
                "_manifest.json" | "run.json" | "failed-run.json" | ".pipecalc.lock"
            ) {
                let relative = path.strip_prefix(dir).unwrap().display().to_string();
                files.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}
