//! What the tests share: the one way to run the `pipecalc` binary, the one
//! scratch folder that removes itself, the bundled scenarios, a report's
//! options, the pipeline's final output read back independently, and a
//! lake's files.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The `pipecalc` binary, run from the project's root with a clean
/// environment, so a user's settings (COLUMNS, RUST_BACKTRACE, a terminal)
/// cannot change its output.
pub fn pipecalc() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pipecalc"));
    command
        .env_clear()
        .env("NO_COLOR", "1")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

/// `pipecalc ARGS… --format json`, which must exit 0, as JSON.
pub fn json_of<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> serde_json::Value {
    let out = pipecalc()
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `pipecalc ARGS…`, run to the end.
pub fn run(args: &[&str]) -> std::process::Output {
    pipecalc().args(args).output().unwrap()
}

/// What a command printed, stdout then stderr.
pub fn text(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A path as an argument.
pub fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// What `pipecalc estimate --format json` does with a scenario written as
/// `text` (in a scratch folder of its own, so tests run at once): its exit
/// code, its JSON (`null` when it wrote none) and its stderr.
pub struct Estimated {
    pub code: Option<i32>,
    pub json: serde_json::Value,
    pub stderr: String,
}

pub fn estimate_text(text: &str, extra: &[&str]) -> Estimated {
    static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let scratch = Scratch::new(&format!("estimate-text-{n}"));
    let path = scratch.path("plan.yaml");
    std::fs::write(&path, text).unwrap();
    let output = pipecalc()
        .args(["estimate", "--format", "json"])
        .args(extra)
        .arg(&path)
        .output()
        .unwrap();
    Estimated {
        code: output.status.code(),
        json: serde_json::from_slice(&output.stdout).unwrap_or(serde_json::Value::Null),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// [`estimate_text`] that must exit 0: its JSON.
pub fn estimated_json(text: &str) -> serde_json::Value {
    let run = estimate_text(text, &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    run.json
}

/// Every bundled scenario, sorted, as a path from the project's root.
pub fn bundled_scenarios() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root.join("scenarios"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| p.strip_prefix(root).unwrap().to_path_buf())
        .collect();
    paths.sort();
    paths
}

/// A report in `format`, laid out as piped output is (120 columns).
pub fn report(format: pipecalc::report::Format, explain: bool) -> pipecalc::commands::Output {
    pipecalc::commands::Output {
        format,
        style: pipecalc::report::Style {
            explain,
            width: pipecalc::report::Width::Fixed(120),
        },
        exports: Vec::new(),
        reads: Vec::new(),
    }
}

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
