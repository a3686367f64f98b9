//! Spark's listener events as typed values, read a bounded line at a time.
//!
//! Only the events and fields the measured run needs are named; serde skips
//! the rest of a line without building it, so a large plan costs its
//! parsing and nothing more. A line is bounded ([`MAX_LINE_BYTES`]): a log
//! that decompresses to one endless line (a zstd bomb, a corrupt part) is
//! skipped past in constant memory, with a warning.

use std::collections::BTreeMap;
use std::io::{BufRead, Read};

use serde::Deserialize;

/// The longest event line read: Spark's largest events (a SQL execution's
/// plan, an environment update) are a few megabytes.
pub const MAX_LINE_BYTES: usize = 64 << 20;

/// One line of a log: its bytes (at most [`MAX_LINE_BYTES`]), or how long a
/// longer one was.
pub enum Line {
    Text,
    TooLong(u64),
    End,
}

/// Reads the next line into `buffer` (its newline dropped), holding at most
/// [`MAX_LINE_BYTES`] of it; the rest of a longer line is counted and
/// skipped.
pub fn next_line(reader: &mut impl BufRead, buffer: &mut Vec<u8>) -> std::io::Result<Line> {
    buffer.clear();
    let limit = MAX_LINE_BYTES as u64 + 1;
    let read = reader.by_ref().take(limit).read_until(b'\n', buffer)?;
    if read == 0 {
        return Ok(Line::End);
    }
    if buffer.last() == Some(&b'\n') {
        buffer.pop();
        return Ok(Line::Text);
    }
    if buffer.len() <= MAX_LINE_BYTES {
        return Ok(Line::Text);
    }
    let mut skipped = buffer.len() as u64;
    buffer.clear();
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            break;
        }
        match memchr::memchr(b'\n', available) {
            Some(end) => {
                reader.consume(end + 1);
                skipped += end as u64;
                break;
            }
            None => {
                let used = available.len();
                reader.consume(used);
                skipped += used as u64;
            }
        }
    }
    Ok(Line::TooLong(skipped))
}

/// Which event a line is: read first, so events nobody needs are parsed
/// no further.
#[derive(Deserialize)]
pub struct Kind<'a> {
    #[serde(rename = "Event", borrow, default)]
    pub event: Option<std::borrow::Cow<'a, str>>,
}

#[derive(Deserialize)]
pub struct LogStart {
    #[serde(rename = "Spark Version")]
    pub spark_version: Option<String>,
}

#[derive(Deserialize)]
pub struct ApplicationStart {
    #[serde(rename = "App Name")]
    pub name: Option<String>,
    #[serde(rename = "App ID")]
    pub id: Option<String>,
    #[serde(rename = "Timestamp")]
    pub timestamp: Option<i64>,
}

#[derive(Deserialize)]
pub struct ApplicationEnd {
    #[serde(rename = "Timestamp")]
    pub timestamp: Option<i64>,
}

#[derive(Deserialize)]
pub struct EnvironmentUpdate {
    #[serde(rename = "Spark Properties", default)]
    pub spark_properties: Properties,
}

/// Spark writes properties as an object of strings (older versions as a
/// list of pairs); anything else in it is skipped, not an error.
#[derive(Default)]
pub struct Properties(pub BTreeMap<String, String>);

impl<'de> Deserialize<'de> for Properties {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Shape {
            Object(BTreeMap<String, serde_json::Value>),
            Pairs(Vec<(String, serde_json::Value)>),
        }
        let pairs: Vec<(String, serde_json::Value)> = match Shape::deserialize(deserializer)? {
            Shape::Object(map) => map.into_iter().collect(),
            Shape::Pairs(pairs) => pairs,
        };
        Ok(Properties(
            pairs
                .into_iter()
                .filter_map(|(key, value)| match value {
                    serde_json::Value::String(text) => Some((key, text)),
                    _ => None,
                })
                .collect(),
        ))
    }
}

impl Properties {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
}

#[derive(Deserialize)]
pub struct ExecutorAdded {
    #[serde(rename = "Timestamp")]
    pub timestamp: Option<i64>,
    #[serde(rename = "Executor ID")]
    pub id: Option<String>,
    #[serde(rename = "Executor Info")]
    pub info: Option<ExecutorInfo>,
}

#[derive(Deserialize)]
pub struct ExecutorInfo {
    #[serde(rename = "Host")]
    pub host: Option<String>,
    #[serde(rename = "Total Cores")]
    pub cores: Option<f64>,
}

#[derive(Deserialize)]
pub struct ExecutorRemoved {
    #[serde(rename = "Timestamp")]
    pub timestamp: Option<i64>,
    #[serde(rename = "Executor ID")]
    pub id: Option<String>,
    #[serde(rename = "Removed Reason")]
    pub reason: Option<String>,
}

#[derive(Deserialize)]
pub struct SqlExecution {
    #[serde(rename = "executionId")]
    pub id: Option<i64>,
    pub description: Option<String>,
    #[serde(rename = "sparkPlanInfo")]
    pub plan: Option<PlanInfo>,
}

/// A physical plan node: only its metrics and children.
#[derive(Deserialize)]
pub struct PlanInfo {
    #[serde(default)]
    pub metrics: Vec<PlanMetric>,
    #[serde(default)]
    pub children: Vec<PlanInfo>,
}

#[derive(Deserialize)]
pub struct PlanMetric {
    pub name: Option<String>,
    #[serde(rename = "accumulatorId")]
    pub accumulator: Option<i64>,
}

#[derive(Deserialize)]
pub struct DriverAccumUpdates {
    #[serde(rename = "executionId")]
    pub id: Option<i64>,
    #[serde(rename = "accumUpdates", default)]
    pub updates: Vec<(i64, f64)>,
}

#[derive(Deserialize)]
pub struct JobStart {
    #[serde(rename = "Job ID")]
    pub job: Option<i64>,
    #[serde(rename = "Stage IDs", default)]
    pub stages: Vec<i64>,
    #[serde(rename = "Properties", default)]
    pub properties: Properties,
}

#[derive(Deserialize)]
pub struct StageEvent {
    #[serde(rename = "Stage Info")]
    pub info: StageInfo,
}

#[derive(Deserialize)]
pub struct StageInfo {
    #[serde(rename = "Stage ID")]
    pub id: i64,
    #[serde(rename = "Stage Attempt ID", default)]
    pub attempt: i64,
    #[serde(rename = "Submission Time")]
    pub submitted: Option<i64>,
    #[serde(rename = "Completion Time")]
    pub completed: Option<i64>,
    #[serde(rename = "Failure Reason")]
    pub failure: Option<String>,
    /// The RDDs the stage computes: a stage re-run for a lost shuffle's
    /// missing partitions gets a new stage id and the same RDDs.
    #[serde(rename = "RDD Info", default)]
    pub rdds: Vec<RddInfo>,
}

#[derive(Deserialize)]
pub struct RddInfo {
    #[serde(rename = "RDD ID")]
    pub id: i64,
}

#[derive(Deserialize)]
pub struct TaskEnd {
    #[serde(rename = "Stage ID")]
    pub stage: i64,
    #[serde(rename = "Stage Attempt ID", default)]
    pub attempt: i64,
    #[serde(rename = "Task End Reason")]
    pub reason: Option<TaskEndReason>,
    #[serde(rename = "Task Info")]
    pub info: Option<TaskInfo>,
    #[serde(rename = "Task Metrics")]
    pub metrics: Option<TaskMetrics>,
}

#[derive(Deserialize)]
pub struct TaskEndReason {
    #[serde(rename = "Reason")]
    pub reason: Option<String>,
}

#[derive(Deserialize)]
pub struct TaskInfo {
    #[serde(rename = "Task ID")]
    pub id: Option<i64>,
    /// The task's place in its stage attempt's task set: the partition in
    /// a first attempt, not in a re-attempt that computes only the missing
    /// partitions (read only where the log has no `Partition ID`).
    #[serde(rename = "Index")]
    pub index: Option<i64>,
    /// The partition the task computes (Spark 3.3 and later): a re-run of
    /// it has another task id, and perhaps another stage, and the same
    /// partition.
    #[serde(rename = "Partition ID")]
    pub partition: Option<i64>,
}

/// A task's metrics: a count Spark did not write is `None`, "not measured".
#[derive(Deserialize, Default)]
pub struct TaskMetrics {
    #[serde(rename = "Executor CPU Time")]
    pub cpu_ns: Option<f64>,
    #[serde(rename = "Executor Run Time")]
    pub run_ms: Option<f64>,
    #[serde(rename = "JVM GC Time")]
    pub gc_ms: Option<f64>,
    #[serde(rename = "Peak Execution Memory")]
    pub peak_memory: Option<f64>,
    #[serde(rename = "Memory Bytes Spilled")]
    pub memory_spilled: Option<f64>,
    #[serde(rename = "Disk Bytes Spilled")]
    pub disk_spilled: Option<f64>,
    #[serde(rename = "Input Metrics")]
    pub input: Option<IoMetrics>,
    #[serde(rename = "Output Metrics")]
    pub output: Option<IoMetrics>,
    #[serde(rename = "Shuffle Read Metrics")]
    pub shuffle_read: Option<ShuffleRead>,
    #[serde(rename = "Shuffle Write Metrics")]
    pub shuffle_write: Option<ShuffleWrite>,
}

#[derive(Deserialize, Default)]
pub struct IoMetrics {
    #[serde(rename = "Bytes Read", alias = "Bytes Written")]
    pub bytes: Option<f64>,
    #[serde(rename = "Records Read", alias = "Records Written")]
    pub records: Option<f64>,
}

#[derive(Deserialize, Default)]
pub struct ShuffleRead {
    #[serde(rename = "Remote Bytes Read")]
    pub remote_bytes: Option<f64>,
    #[serde(rename = "Local Bytes Read")]
    pub local_bytes: Option<f64>,
    #[serde(rename = "Fetch Wait Time")]
    pub fetch_wait_ms: Option<f64>,
    #[serde(rename = "Total Records Read")]
    pub records: Option<f64>,
}

#[derive(Deserialize, Default)]
pub struct ShuffleWrite {
    #[serde(rename = "Shuffle Bytes Written")]
    pub bytes: Option<f64>,
    #[serde(rename = "Shuffle Records Written")]
    pub records: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_past_the_bound_is_skipped_in_constant_memory() {
        let long = std::io::repeat(b'x').take(MAX_LINE_BYTES as u64 + 10);
        let rest: &[u8] = b"\n{\"Event\":\"x\"}\n";
        let mut reader = std::io::BufReader::new(long.chain(rest));
        let mut buffer = Vec::new();
        match next_line(&mut reader, &mut buffer).unwrap() {
            Line::TooLong(bytes) => assert_eq!(bytes, MAX_LINE_BYTES as u64 + 10),
            _ => panic!("a line past the bound was read whole"),
        }
        assert!(buffer.capacity() <= 2 * MAX_LINE_BYTES);
        assert!(matches!(
            next_line(&mut reader, &mut buffer).unwrap(),
            Line::Text
        ));
        assert_eq!(buffer, b"{\"Event\":\"x\"}");
        assert!(matches!(
            next_line(&mut reader, &mut buffer).unwrap(),
            Line::End
        ));
    }
}
