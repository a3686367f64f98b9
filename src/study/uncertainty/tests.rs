//! The ranges' study, worked by hand and held to its laws.

use super::*;

const BASE: &str = "
volume:
  events_per_day: 1M
  event_size: SIZE
workers: 1
deadline: 1 h
stages:
  - name: read
    bound: io
    input: bytes
    throughput: RATE
  - name: work
    bound: cpu
    input: events
    duration: WORK
prices:
  compute_usd_per_worker_hour: 1.0
  billing_increment: 1 h
";

fn scenario(size: &str, rate: &str, work: &str) -> String {
    BASE.replace("SIZE", size)
        .replace("RATE", rate)
        .replace("WORK", work)
}

fn run(text: &str) -> Uncertainty {
    study(text, "t.yaml", &Options::default(), &|s| Ok(s))
        .unwrap()
        .unwrap()
}

fn figure<'u>(u: &'u Uncertainty, key: &str) -> &'u FigureRange {
    u.figures.iter().find(|f| f.key == key).unwrap()
}

fn ends(f: &FigureRange) -> (f64, f64, f64) {
    (
        f.low.as_ref().unwrap().number().unwrap(),
        f.likely.number().unwrap(),
        f.high.as_ref().unwrap().number().unwrap(),
    )
}

#[test]
fn a_product_and_a_division_by_hand() {
    // Raw bytes = 1M × size: a product. Read time = bytes ÷ rate: the low
    // time uses the low size and the HIGH rate.
    let u = run(&scenario("400 B..600 B", "1 MB/s..2 MB/s", "10 min"));
    assert_eq!(ends(figure(&u, "raw_bytes_per_day")), (4e8, 5e8, 6e8));
    let read = |size: f64, rate: f64| size * 1e6 / rate;
    // The sum of the two stages' times: read + 600 s.
    assert_eq!(
        ends(figure(&u, "sequential_s")),
        (
            read(400.0, 2e6) + 600.0,
            read(500.0, 1.5e6) + 600.0,
            read(600.0, 1e6) + 600.0
        )
    );
    assert_eq!(u.method, Method::Corners(4));
}

#[test]
fn the_bottleneck_can_change_across_the_range() {
    // read takes 200–600 s, work 400 s: either can be the longest.
    let u = run(&scenario("200 B..600 B", "1 MB/s", "400 s"));
    let bottleneck = figure(&u, "bottleneck_stage");
    assert_eq!(bottleneck.names.len(), 2, "{:?}", bottleneck.names);
}

#[test]
fn billing_increments_are_steps() {
    // 50 to 70 minutes billed by the started hour: $1 or $2 a day.
    let u = run(&scenario("500 B", "1 MB/s", "40 min..60 min"));
    let (low, _, high) = ends(figure(&u, "compute_usd_per_day"));
    assert_eq!((low, high), (1.0, 2.0));
    // And the deadline holds in some cases only.
    assert_eq!(figure(&u, "deadline_met").cases, Some(CasesHeld::Some));
}

#[test]
fn the_driver_of_the_run_time_is_named() {
    let u = run(&scenario("500 B ± 50%", "1 MB/s ± 1%", "10 min"));
    let time = u
        .drivers
        .iter()
        .find(|d| d.headline == Headline::RunTime)
        .unwrap();
    assert_eq!(time.swings[0].input, "volume.event_size");
    assert!(time.swings[0].share > 0.9);
    let total: f64 = time.swings.iter().map(|s| s.share).sum();
    assert!((total - 1.0).abs() < 1e-9);
}

#[test]
fn a_point_scenario_has_no_study_unless_asked() {
    let text = scenario("500 B", "1 MB/s", "10 min");
    assert!(study(&text, "t.yaml", &Options::default(), &|s| Ok(s))
        .unwrap()
        .is_none());
    let asked = Options {
        spread: Some(0.2),
        ..Options::default()
    };
    let u = study(&text, "t.yaml", &asked, &|s| Ok(s)).unwrap().unwrap();
    let keys: Vec<&str> = u.inputs.iter().map(|i| i.key.as_str()).collect();
    assert!(keys.contains(&"volume.event_size"), "{keys:?}");
    assert!(
        !keys.contains(&"deadline") && !keys.contains(&"workers"),
        "{keys:?}"
    );
}

/// For random ranges on every input of the scenario, every sample lies
/// within the corner bounds.
#[test]
fn every_sample_of_random_scenarios_lies_within_the_bounds() {
    let mut draws = SplitMix64(42);
    for case in 0..25 {
        let mut pick = |low: f64, spread: f64| {
            let a = low * (0.5 + draws.unit());
            let b = a * (1.0 + spread * draws.unit());
            (a, b)
        };
        let (s0, s1) = pick(300.0, 1.0);
        let (r0, r1) = pick(1.0, 3.0);
        let (w0, w1) = pick(5.0, 4.0);
        let text = scenario(
            &format!("{s0:.3} B..{s1:.3} B"),
            &format!("{r0:.4} MB/s..{r1:.4} MB/s"),
            &format!("{w0:.3} min..{w1:.3} min"),
        );
        let options = Options {
            samples: Some(40),
            seed: case,
            ..Options::default()
        };
        let u = study(&text, "t.yaml", &options, &|s| Ok(s))
            .unwrap()
            .unwrap();
        for (values, figure) in u.sampled.iter().zip(&u.figures) {
            let (Some(low), Some(high)) = (
                figure.low.as_ref().and_then(Amount::number),
                figure.high.as_ref().and_then(Amount::number),
            ) else {
                continue;
            };
            let slack = 1e-9 * high.abs().max(1.0);
            for v in values {
                assert!(
                    *v >= low - slack && *v <= high + slack,
                    "case {case}: {} {v} not in {low}..{high}",
                    figure.key
                );
            }
        }
    }
}

/// Past [`FLIP_INPUTS`] ranges the search does no flips: its cases grow
/// with the inputs, not with their square (a thousand ranged stages
/// took 26 s and 160,000 estimates; now each input alone at both ends,
/// and each figure's extreme corner).
#[test]
fn the_search_s_cases_grow_with_the_inputs_not_their_square() {
    let mut text =
        String::from("volume: { events_per_day: 1M, event_size: 500 B..600 B }\nstages:\n");
    for i in 0..100 {
        text.push_str(&format!(
                "  - {{ name: s{i}, bound: cpu, input: events, throughput: 1k events/s..2k events/s }}\n"
            ));
    }
    text.push_str("prices: { compute_usd_per_worker_hour: 1 }\n");
    let u = study(&text, "t.yaml", &Options::default(), &|s| Ok(s))
        .unwrap()
        .unwrap();
    let Method::Search(cases) = u.method else {
        panic!("{:?}", u.method);
    };
    let inputs = u.inputs.len();
    assert_eq!(inputs, 101);
    assert!(cases <= 2 * inputs + 2 * SUMMARY.len(), "{cases} cases");
}

/// A stream's latency, freshness and memory fall each time the fleet
/// gains a whole worker, so they are not monotone in the inputs that
/// size it: the bounds still hold every draw.
#[test]
fn every_sample_of_random_streams_lies_within_the_bounds() {
    let mut draws = SplitMix64(7);
    for case in 0..6 {
        let mut pick = |low: f64, spread: f64| {
            let a = low * (0.5 + draws.unit());
            let b = a * (1.0 + spread * draws.unit());
            (a, b)
        };
        let (e0, e1) = pick(50.0, 2.0);
        let (p0, p1) = pick(2.0, 2.0);
        let (t0, t1) = pick(400.0, 1.0);
        let text = format!(
            "
volume:
  events_per_day: {e0:.3}M..{e1:.3}M
  event_size: 500 B
stages:
  - name: parse
    bound: cpu
    input: events
    throughput: {t0:.2} events/s..{t1:.2} events/s
streaming:
  peak_factor: {p0:.3}..{p1:.3}
  window: 10 s
  state: 1 GB
prices:
  compute_usd_per_worker_hour: 0.5
  storage_usd_per_gb_month: 0.02
"
        );
        let options = Options {
            samples: Some(300),
            seed: case,
            ..Options::default()
        };
        let u = study(&text, "t.yaml", &options, &|s| Ok(s))
            .unwrap()
            .unwrap();
        for (values, figure) in u.sampled.iter().zip(&u.figures) {
            let (Some(low), Some(high)) = (
                figure.low.as_ref().and_then(Amount::number),
                figure.high.as_ref().and_then(Amount::number),
            ) else {
                continue;
            };
            let slack = 1e-9 * high.abs().max(1.0);
            for v in values {
                assert!(
                    *v >= low - slack && *v <= high + slack,
                    "case {case}: {} {v} not in {low}..{high}",
                    figure.key
                );
            }
        }
    }
}

/// Past the inputs every corner is tried for, the searched bounds
/// still hold every corner: 3,000 corners drawn at random, each figure
/// within its low and high.
#[test]
fn searched_bounds_hold_every_corner() {
    let text = "
volume: { events_per_day: 8M..12M, event_size: 400 B..600 B }
workers: 4
deadline: 1 h
memory_per_worker: 8 GB
stages:
  - { name: a, bound: io, input: bytes, throughput: 10 MB/s..30 MB/s }
  - { name: b, bound: cpu, input: events, throughput: 5k events/s..20k events/s, output: { keep: 60%..90%, row_size: 200 B..300 B }, working_set: output }
  - { name: c, bound: cpu, input: events, duration: 5 min..20 min, output: { rows: 40K..60K, row_size: 80 B..120 B } }
  - { name: d, bound: io, input: bytes, throughput: 1 MB/s..3 MB/s }
storage:
  - { name: raw, of: a.output, retention: 90 days, compression_ratio: 3..6 }
network:
  bandwidth: 500 Mbps..2 Gbps
  transfers:
    - { name: out, of: a.input, direction: egress }
prices:
  compute_usd_per_worker_hour: 0.3..0.7
  billing_increment: 1 h
  storage_usd_per_gb_month: 0.02..0.03
  egress_usd_per_gb: 0.05..0.12
";
    let u = study(text, "t.yaml", &Options::default(), &|s| Ok(s))
        .unwrap()
        .unwrap();
    assert!(u.inputs.len() > CORNER_INPUTS, "{}", u.inputs.len());
    assert!(matches!(u.method, Method::Search(_)));
    let read = |end: End| {
        parse_with(
            text,
            "t.yaml",
            &Pick {
                default: end,
                ..Pick::default()
            },
        )
        .unwrap()
    };
    let (mut low, mut likely, mut high) = (read(End::Low), read(End::Likely), read(End::High));
    let slots: Vec<Slot> = u
        .inputs
        .iter()
        .map(|i| Slot {
            key: i.key.clone(),
            low: input_value(&mut low, &i.key).unwrap(),
            high: input_value(&mut high, &i.key).unwrap(),
        })
        .collect();
    let likely_values = u
        .inputs
        .iter()
        .map(|i| input_value(&mut likely, &i.key).unwrap())
        .collect();
    let mut cases = Cases::new(likely, slots, likely_values);
    let mut draws = SplitMix64(11);
    for _ in 0..3000 {
        let ends: Vec<f64> = (0..u.inputs.len())
            .map(|_| if draws.chance(0.5) { 1.0 } else { 0.0 })
            .collect();
        let amounts = cases.at_ends(&ends).unwrap();
        for (amount, figure) in amounts.iter().zip(&u.figures) {
            let (Some(v), Some(low), Some(high)) = (
                amount.number(),
                figure.low.as_ref().and_then(Amount::number),
                figure.high.as_ref().and_then(Amount::number),
            ) else {
                continue;
            };
            let slack = 1e-9 * high.abs().max(1.0);
            assert!(
                v >= low - slack && v <= high + slack,
                "{} {v} outside {low}..{high} at {ends:?}",
                figure.key
            );
        }
    }
}

#[test]
fn samples_are_reproducible_and_inside_the_bounds() {
    let text = scenario("400 B..600 B", "1 MB/s..2 MB/s", "5 min..15 min");
    let options = Options {
        samples: Some(200),
        seed: 7,
        ..Options::default()
    };
    let a = study(&text, "t.yaml", &options, &|s| Ok(s))
        .unwrap()
        .unwrap();
    let b = study(&text, "t.yaml", &options, &|s| Ok(s))
        .unwrap()
        .unwrap();
    assert_eq!(a.sampled, b.sampled);
    for (values, figure) in a.sampled.iter().zip(&a.figures) {
        let (Some(low), Some(high)) = (
            figure.low.as_ref().and_then(Amount::number),
            figure.high.as_ref().and_then(Amount::number),
        ) else {
            continue;
        };
        assert_eq!(values.len(), 200, "{}", figure.key);
        for v in values {
            assert!(
                *v >= low - 1e-9 * low.abs() && *v <= high + 1e-9 * high.abs(),
                "{}",
                figure.key
            );
        }
    }
}
