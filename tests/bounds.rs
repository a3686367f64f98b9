//! One set of bounds (issue 25): `check` refuses what `estimate` refuses,
//! out-of-range inputs are refused where they are written with the range
//! that is accepted, and every error names its file, key or option.

mod common;

use common::Scratch;

const BASE: &str = "volume: { events_per_day: 10M, event_size: 500 B }
stages:
  - { name: ingest, bound: io, input: bytes, duration: 10 min }
";

fn pipecalc(args: &[&str]) -> (Option<i32>, String) {
    let out = common::pipecalc().args(args).output().unwrap();
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Before: `check` said "ok" to a price of 1e308 and to a day of 10^24
/// bytes, which `estimate` refused; κ = 1e300 gave "1.6875e300 days".
#[test]
fn check_and_estimate_refuse_the_same_scenarios() {
    let scratch = Scratch::new("bounds");
    for (name, body, says) in [
        (
            "price",
            "prices: { compute_usd_per_worker_hour: 1e308 }\n",
            "`1e308` is out of range",
        ),
        (
            "kappa",
            "prices: { compute_usd_per_worker_hour: 1 }\nworkers: 8\nparallel: { model: usl, contention: 0.1, coherency: 1e300 }\n",
            "coherency is from 0 to 1",
        ),
        (
            "overflow",
            "prices: { compute_usd_per_worker_hour: 1 }\n",
            "would be more than 18 quintillion",
        ),
    ] {
        let text = if name == "overflow" {
            BASE.replace("10M, event_size: 500 B", "1000T, event_size: 1 GB")
        } else {
            BASE.to_string()
        } + body;
        let path = scratch.path(&format!("{name}.yaml"));
        std::fs::write(&path, text).unwrap();
        let file = path.to_str().unwrap();
        for command in ["check", "estimate"] {
            let (code, said) = pipecalc(&[command, file]);
            assert_eq!(code, Some(1), "{command} {name}: {said}");
            assert!(said.contains(says), "{command} {name}: {said}");
            assert!(said.contains(file), "{command} {name} names no file: {said}");
        }
    }
}

/// Before: `--growth "1e308x per 1 s"` failed inside the model as
/// "`growth` is inf", naming neither the option nor the key.
#[test]
fn growth_out_of_range_is_refused_where_it_is_written() {
    let (code, said) = pipecalc(&[
        "growth",
        "scenarios/clickstream.yaml",
        "--growth",
        "1e308x per 1 s",
    ]);
    assert_eq!(code, Some(2), "{said}");
    assert!(
        said.contains("'--growth <RATE>'") && said.contains("1,000× a year"),
        "{said}"
    );
    let scratch = Scratch::new("bounds-growth");
    let path = scratch.path("growth.yaml");
    std::fs::write(
        &path,
        format!("{BASE}prices: {{ compute_usd_per_worker_hour: 1 }}\nscaling: {{ growth: 1e308x per 1 s }}\n"),
    )
    .unwrap();
    let (code, said) = pipecalc(&["growth", path.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains("growth.yaml:5:20") && said.contains("key: scaling.growth"),
        "{said}"
    );
}

/// Before: a file past the YAML reader's node limit said
/// "budget breached: Nodes { nodes: 250001 }".
#[test]
fn a_file_past_the_reader_s_limits_says_so_in_words() {
    let scratch = Scratch::new("bounds-nodes");
    let mut text = String::from("volume: { events_per_day: 10M, event_size: 500 B }\nprices: { compute_usd_per_worker_hour: 1 }\nstages:\n");
    for i in 0..30_000 {
        text.push_str(&format!(
            "  - {{name: s{i}, bound: io, input: bytes, duration: 1 s}}\n"
        ));
    }
    let path = scratch.path("many.yaml");
    std::fs::write(&path, text).unwrap();
    let (code, said) = pipecalc(&["check", path.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains("larger or deeper than any scenario"),
        "{said}"
    );
    assert!(!said.contains("Nodes {"), "{said}");
}
