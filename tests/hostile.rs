//! Reports that cannot be hijacked (issue 25): text from outside, a
//! scenario's names, a Spark log's tags, a path, is shown in every human
//! format and never obeyed by a terminal, a spreadsheet, a Markdown page
//! or a YAML reader.

mod common;

use common::Scratch;

/// A scenario whose name and description carry an OSC 52 clipboard
/// escape, an HTML tag, and a spreadsheet formula (stage names are refused
/// unless they are letters, digits, `_` and `-`; a Spark log's are not).
const HOSTILE: &str = "name: \"\\e]52;c;aGk=\\a<img src=x onerror=alert(1)>\"
description: \"=HYPERLINK(\\\"http://x\\\")\"
volume: { events_per_day: 10M, event_size: 500 B }
stages:
  - { name: ingest, bound: io, input: bytes, duration: 10 min }
  - { name: transform, bound: cpu, input: events, duration: 20 min }
prices: { compute_usd_per_worker_hour: 0.5 }
";

/// Runs `pipecalc` with `args`, which must succeed: (stdout, stderr).
fn succeeded(args: &[&std::ffi::OsStr]) -> (String, String) {
    let out = common::pipecalc().args(args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Before, the ESC and BEL reached the terminal as they were written, the
/// Markdown passed `<img onerror>` through, and the CSV cell began `=`.
#[test]
fn names_from_a_scenario_are_shown_not_obeyed() {
    let scratch = Scratch::new("hostile");
    let path = scratch.path("hostile.yaml");
    std::fs::write(&path, HOSTILE).unwrap();
    for format in ["table", "markdown", "html", "csv", "json"] {
        let (stdout, stderr) = succeeded(&[
            "estimate".as_ref(),
            path.as_os_str(),
            "--format".as_ref(),
            format.as_ref(),
            "--explain".as_ref(),
        ]);
        for (stream, text) in [("stdout", &stdout), ("stderr", &stderr)] {
            assert!(
                !text
                    .chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\r'),
                "{format} {stream} holds a control character: {text:?}"
            );
        }
        match format {
            "markdown" => {
                assert!(!stdout.contains("<img"), "{stdout}");
                assert!(stdout.contains("&lt;img src=x"), "{stdout}");
            }
            "html" => {
                assert!(!stdout.contains("<img src=x"), "{stdout}");
            }
            "csv" => {
                for line in stdout.lines() {
                    for cell in line.split(',') {
                        let cell = cell.trim_start_matches('"');
                        assert!(
                            !cell.starts_with(['=', '+', '@']),
                            "a cell a spreadsheet would run: {line}"
                        );
                    }
                }
            }
            _ => {}
        }
    }
}

/// A carriage return in `calibrate --from`'s path ended the header comment
/// and wrote a key into the calibrated scenario.
#[test]
fn a_carriage_return_in_a_path_stays_in_its_comment() {
    let scratch = Scratch::new("hostile-path");
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/spark/edge/untagged.json");
    let hostile = scratch.path("log\rworkers: 999\r#");
    std::fs::copy(&fixture, &hostile).unwrap();
    let (yaml, _) = succeeded(&["calibrate".as_ref(), "--from".as_ref(), hostile.as_os_str()]);
    assert!(!yaml.contains('\r'), "{yaml:?}");
    assert!(yaml.contains("\\u{d}workers: 999"), "{yaml}");
    assert!(
        yaml.lines().all(|line| !line.starts_with("workers: 999")),
        "the path wrote a key: {yaml}"
    );
    let written = scratch.path("calibrated.yaml");
    std::fs::write(&written, &yaml).unwrap();
    pipecalc::scenario::load(&written).unwrap();
}

/// A Spark log whose stage tag is a formula wrapped in escapes, read by
/// `inspect` in every format.
#[test]
fn a_spark_tag_is_shown_not_obeyed() {
    let scratch = Scratch::new("hostile-spark");
    let tag = "=HYPERLINK(\\\"http://x\\\")\\u001b]52;c;aGk=\\u0007<img src=x onerror=alert(1)>";
    let log = [
        r#"{"Event":"SparkListenerApplicationStart","App Name":"t","App ID":"app-1","Timestamp":0}"#.to_string(),
        format!(r#"{{"Event":"SparkListenerJobStart","Job ID":0,"Stage IDs":[0],"Properties":{{"pipecalc.stage":"{tag}"}}}}"#),
        r#"{"Event":"SparkListenerTaskEnd","Stage ID":0,"Task Info":{"Task ID":1,"Index":0},"Task Metrics":{"Input Metrics":{"Records Read":3,"Bytes Read":30}}}"#.to_string(),
        r#"{"Event":"SparkListenerStageCompleted","Stage Info":{"Stage ID":0,"Submission Time":0,"Completion Time":1000}}"#.to_string(),
        r#"{"Event":"SparkListenerApplicationEnd","Timestamp":2000}"#.to_string(),
    ]
    .join("\n");
    let path = scratch.path("hostile.json");
    std::fs::write(&path, log).unwrap();
    for format in ["table", "markdown", "html", "csv"] {
        let (stdout, stderr) = succeeded(&[
            "inspect".as_ref(),
            path.as_os_str(),
            "--format".as_ref(),
            format.as_ref(),
        ]);
        assert!(
            !stdout
                .chars()
                .chain(stderr.chars())
                .any(|c| c.is_control() && c != '\n' && c != '\r'),
            "{format}: {stdout:?} {stderr:?}"
        );
        assert!(stdout.contains("\\u{1b}]52"), "{format}: {stdout}");
        match format {
            "markdown" => assert!(
                stdout.contains("&lt;img") && !stdout.contains("<img"),
                "{stdout}"
            ),
            "html" => assert!(!stdout.contains("<img"), "{stdout}"),
            "csv" => {
                assert!(stdout.contains("'=HYPERLINK"), "{stdout}");
                assert!(
                    !stdout.contains(",=HYPERLINK") && !stdout.contains("\n=HYPERLINK"),
                    "{stdout}"
                );
            }
            _ => {}
        }
    }
}

/// A transfer named with newlines, a code fence, a heading and a forged
/// `ok:` line; a scenario named with Markdown's link and image syntax.
const INJECTED: &str = "name: \"[x](javascript:alert(1)) ![i](https://example.com/p.png)\"
volume: { events_per_day: 10M, event_size: 500 B }
stages:
  - { name: ingest, bound: io, input: bytes, duration: 10 min }
network:
  bandwidth: 1 Gbps
  transfers:
    - { name: \"t\\n```\\n## Heading\\nok: fake\", of: ingest.input, direction: ingress }
prices: { compute_usd_per_worker_hour: 0.5 }
";

/// Before, the transfer's newlines reached the network section's notes as
/// lines of their own (a heading, a code fence, an `ok:`), and the
/// Markdown made the name a link and an image.
#[test]
fn a_name_cannot_write_lines_or_links_of_its_own() {
    let scratch = Scratch::new("hostile-lines");
    let path = scratch.path("plan.yaml");
    std::fs::write(&path, INJECTED).unwrap();
    for format in ["table", "markdown", "html"] {
        let (out, _) = succeeded(&[
            "estimate".as_ref(),
            path.as_os_str(),
            "--format".as_ref(),
            format.as_ref(),
        ]);
        for line in out.lines() {
            let line = line.trim_start_matches("- ").trim();
            assert!(
                !line.starts_with("## Heading") && !line.starts_with("ok: fake"),
                "{format}: {line}"
            );
        }
        assert!(
            out.contains("t\\u{a}```\\u{a}## Heading"),
            "{format}: {out}"
        );
        if format == "markdown" {
            assert!(!out.contains("[x](javascript"), "{out}");
            assert!(!out.contains("![i](https"), "{out}");
            assert!(out.contains("\\[x\\](javascript"), "{out}");
        }
    }
    // A file named with a newline and a forged `ok:` is one `ok:` line.
    let named = scratch.path("a\nok: forged.yaml");
    std::fs::write(&named, INJECTED).unwrap();
    let (out, _) = succeeded(&["check".as_ref(), named.as_os_str()]);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(!out.lines().any(|l| l.starts_with("ok: forged")), "{out}");
}

/// A warning is one line on stderr, whatever the path it names holds.
#[test]
fn a_warning_is_one_line() {
    let scratch = Scratch::new("hostile-warning");
    let named = scratch.path("b\nwarning: forged.yaml");
    std::fs::write(
        &named,
        "volume: { events_per_day: 1M, event_size: 500 B }\nstages:\n  - { name: a, bound: io, input: bytes, throughput: 10 MB/s }\nnetwork: { bandwidth: 400 Tbps }\nprices: { compute_usd_per_worker_hour: 1 }\n",
    )
    .unwrap();
    let (_, err) = succeeded(&["check".as_ref(), named.as_os_str()]);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("400 Tbps"), "{err}");
}
