//! The command line's conventions (issue 16): standard input, writing to
//! files, CI gates and their exit codes, `init`, every error of every file,
//! completions, help, narrow terminals, and the README agreeing with
//! `--help`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

mod common;

use common::pipecalc;

fn run(args: &[&str]) -> Output {
    pipecalc().args(args).output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pipecalc-conv-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_scenario_from_standard_input() {
    let text = std::fs::read(root().join("scenarios/clickstream.yaml")).unwrap();
    let mut child = pipecalc()
        .args(["estimate", "-", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&text).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["scenario"]["file"], "<stdin>");
    assert_eq!(json["summary"]["sequential_s"], 2700.0);
}

#[cfg(unix)]
#[test]
fn what_is_not_a_scenario_file_is_refused_at_once() {
    for path in ["/dev/zero", "/dev/null", "/"] {
        let output = run(&["estimate", path]);
        assert_eq!(output.status.code(), Some(1), "{path}");
        assert!(
            stderr(&output).contains("not a regular file"),
            "{path}: {}",
            stderr(&output)
        );
    }
    let dir = scratch("big");
    let big = dir.join("big.yaml");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(2 << 30).unwrap();
    let output = run(&["check", big.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("larger than 4 MiB"),
        "{}",
        stderr(&output)
    );
    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, b"name: ok\ndescription: \"caf\xe9\"\n").unwrap();
    let output = run(&["check", bad.to_str().unwrap()]);
    assert!(
        stderr(&output).starts_with(&format!("{}:2:", bad.display())),
        "{}",
        stderr(&output)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(target_os = "linux")]
#[test]
fn a_write_error_is_an_error() {
    let full = std::fs::File::create("/dev/full").unwrap();
    let output = pipecalc()
        .args(["estimate", "scenarios/clickstream.yaml"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("cannot write the output"));
}

#[test]
fn output_and_exports_in_one_run() {
    let dir = scratch("exports");
    let text = dir.join("report.txt");
    let json = dir.join("report.json");
    let csv = dir.join("report.csv");
    let output = run(&[
        "scale",
        "scenarios/clickstream.yaml",
        "--output",
        text.to_str().unwrap(),
        "--export",
        &format!("json={}", json.display()),
        "--export",
        &format!("csv={}", csv.display()),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).is_empty(),
        "--output leaves the terminal empty"
    );
    assert!(std::fs::read_to_string(&text)
        .unwrap()
        .starts_with("pipecalc scale: clickstream"));
    let document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(document["projections"].as_array().unwrap().len(), 3);
    assert!(std::fs::read_to_string(&csv)
        .unwrap()
        .starts_with("factor,workers,"));
    let bad = run(&[
        "estimate",
        "scenarios/clickstream.yaml",
        "--export",
        "xml=a.xml",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn gates_exit_3_with_the_reason_and_0_when_they_hold() {
    // The lecture's file meets its deadline, fits, and its transfers fit.
    let holds = run(&[
        "estimate",
        "scenarios/clickstream.yaml",
        "--fail-on",
        "deadline,memory,link",
        "--max-monthly-usd",
        "100",
    ]);
    assert_eq!(holds.status.code(), Some(0), "{}", stderr(&holds));

    // At 10× the data it misses the hour and overflows 8 GB.
    let missed = run(&[
        "estimate",
        "scenarios/clickstream.yaml",
        "--scale",
        "10",
        "--fail-on",
        "deadline,memory",
    ]);
    assert_eq!(missed.status.code(), Some(3));
    let reasons = stderr(&missed);
    assert!(reasons.contains("check failed: deadline:"), "{reasons}");
    assert!(reasons.contains("check failed: memory:"), "{reasons}");
    assert!(!stdout(&missed).is_empty(), "the report still prints");

    let costly = run(&[
        "estimate",
        "scenarios/clickstream.yaml",
        "--max-monthly-usd",
        "10",
    ]);
    assert_eq!(costly.status.code(), Some(3));
    assert!(stderr(&costly).contains("check failed: cost: $38.89 a month"));

    let link = run(&[
        "estimate",
        "scenarios/telemetry-wan.yaml",
        "--fail-on",
        "link",
    ]);
    // By the scenario's own arithmetic, not pipecalc's verdict: 4G
    // readings × 500 B = 2 TB a day must come from the plant within the
    // 1 h deadline; 1 Gbps carries 125 MB/s, so 2 TB takes 16,000 s.
    let bytes = 4e9 * 500.0;
    let link_seconds = bytes / (1e9 / 8.0);
    assert_eq!(link_seconds, 16_000.0);
    let expected = if link_seconds > 3600.0 { 3 } else { 0 };
    assert_eq!(link.status.code(), Some(expected), "{}", stderr(&link));
    assert!(
        stderr(&link).contains("check failed: link:"),
        "{}",
        stderr(&link)
    );

    let pr = [
        "compare",
        "scenarios/clickstream.yaml",
        "scenarios/clickstream-10x.yaml",
    ];
    let rose = run(&[&pr[..], &["--fail-above", "total_usd_per_month=10%"]].concat());
    assert_eq!(rose.status.code(), Some(3));
    assert!(stderr(&rose).contains("check failed: total_usd_per_month: +"));
    let within = run(&[&pr[..], &["--fail-above", "total_usd_per_month=10000%"]].concat());
    assert_eq!(within.status.code(), Some(0));
    let every = run(&[&pr[..], &["--fail-above", "10%"]].concat());
    assert_eq!(every.status.code(), Some(3));
    let unknown = run(&[&pr[..], &["--fail-above", "dollars=10%"]].concat());
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn every_init_preset_passes_check() {
    let dir = scratch("init");
    for preset in ["small", "medium", "large", "lecture", "streaming"] {
        let name = format!("start-{preset}");
        let wrote = pipecalc()
            .current_dir(&dir)
            .args(["init", &name, "--preset", preset])
            .output()
            .unwrap();
        assert!(wrote.status.success(), "{preset}: {}", stderr(&wrote));
        let file = dir.join(format!("{name}.yaml"));
        let checked = run(&["check", file.to_str().unwrap()]);
        assert!(checked.status.success(), "{preset}: {}", stderr(&checked));
        let estimated = run(&["estimate", file.to_str().unwrap(), "--format", "json"]);
        assert!(
            estimated.status.success(),
            "{preset}: {}",
            stderr(&estimated)
        );
    }
    // Never over an existing file without --force.
    let again = pipecalc()
        .current_dir(&dir)
        .args(["init", "start-small"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("--force"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_reports_every_bad_file() {
    let output = run(&[
        "check",
        "tests/bad/unknown-key.yaml",
        "scenarios/clickstream.yaml",
        "tests/bad/zero-workers.yaml",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let errors = stderr(&output);
    assert!(
        errors.starts_with("tests/bad/unknown-key.yaml:13:15: error: unknown field `kepp`"),
        "{errors}"
    );
    assert!(errors.contains("help: did you mean `keep`?"), "{errors}");
    assert!(
        errors.contains("tests/bad/zero-workers.yaml:14:10: error:"),
        "{errors}"
    );
    assert!(errors.contains("2 of 3 scenarios have errors"), "{errors}");
}

#[test]
fn completions_for_every_shell_and_a_man_page() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = run(&["completions", shell]);
        assert!(output.status.success(), "{shell}");
        let script = stdout(&output);
        assert!(
            script.contains("estimate") && script.contains("fail-on"),
            "{shell}"
        );
    }
    let man = run(&["man"]);
    assert!(stdout(&man).contains(".TH pipecalc 1"));
}

#[test]
fn help_wherever_it_is_asked_and_examples_in_every_subcommand() {
    let help = run(&["compare", "x.yaml", "--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(stdout(&help).contains("Usage: pipecalc compare"));
    let one = run(&["compare", "x.yaml"]);
    assert_eq!(one.status.code(), Some(2));
    for command in subcommands() {
        let help = run(&[&command, "--help"]);
        assert!(
            stdout(&help).contains("\nExamples:\n  pipecalc "),
            "`pipecalc {command} --help` has no examples"
        );
    }
}

/// The subcommands `pipecalc --help` lists.
fn subcommands() -> Vec<String> {
    let help = stdout(&run(&["--help"]));
    help.split("Commands:\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn a_narrow_terminal_wraps_words_whole_or_goes_vertical() {
    let at = |columns: &str| {
        stdout(
            &pipecalc()
                .env("COLUMNS", columns)
                .args(["estimate", "scenarios/clickstream.yaml"])
                .output()
                .unwrap(),
        )
    };
    let eighty = at("80");
    for line in eighty.lines() {
        assert!(line.chars().count() <= 80, "wider than 80: {line}");
    }
    // No word is broken across lines of a cell.
    assert!(
        !eighty.contains("Sequentia\n") && !eighty.contains("transfor "),
        "{eighty}"
    );
    assert!(eighty.contains("│ Sequential time"), "{eighty}");
    // Too narrow for any table: one row at a time.
    let narrow = at("30");
    assert!(narrow.contains("Stage: transform"), "{narrow}");
    // A terminal that reports 0 columns gets 100, not one-character columns.
    let zero = at("0");
    assert!(zero.lines().all(|line| line.chars().count() <= 100));
    assert!(zero.contains("│ Sequential time"));
}

#[test]
fn the_readme_lists_every_command_and_every_exit_code() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for command in subcommands() {
        assert!(
            readme.contains(&format!("`pipecalc {command}")),
            "the README does not mention `pipecalc {command}`"
        );
    }
    for (code, meaning) in [("0", "ok"), ("1", "error"), ("2", "usage"), ("3", "check")] {
        let row = readme
            .lines()
            .find(|line| line.starts_with(&format!("| {code} |")))
            .unwrap_or_else(|| panic!("no exit-code row for {code}"));
        assert!(row.to_lowercase().contains(meaning), "{row}");
    }
    // And --help says where the exit codes are.
    assert!(stdout(&run(&["--help"])).contains("Exit codes"));
}

/// The lecture's "10x every 5 years" from 2010: calendar years, and the year
/// each limit breaks (the deadline, a worker's memory, the 1 Gbps link).
#[test]
fn growth_in_calendar_years_names_when_each_limit_breaks() {
    let output = run(&[
        "growth",
        "scenarios/clickstream.yaml",
        "--from",
        "2010",
        "--years",
        "10",
        "--growth",
        "10x every 5 years",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("│ 2015 ┆    10× ┆"), "{text}");
    assert!(
        text.contains("the 1 h deadline first fails in 2011"),
        "{text}"
    );
    assert!(text.contains("memory first breaks in 2012"), "{text}");
    assert!(text.contains("the link first breaks in 2020"), "{text}");
}
