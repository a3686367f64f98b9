//! "How sure is this?" and "What drives the answer": each summary figure
//! across the ranges, the ranged inputs, the tornado and the Monte Carlo.

use crate::report::Section;
use crate::study::uncertainty::{CasesHeld, Drivers, FigureRange, Method, Uncertainty};
use crate::units::significant;

use super::percent;

fn range_cell(figure: &FigureRange) -> String {
    if let Some(cases) = figure.cases {
        return match cases {
            CasesHeld::All => "yes in every case".into(),
            CasesHeld::None => "no in every case".into(),
            CasesHeld::Some => format!(
                "{} when likely; yes in some cases, no in others",
                figure.likely.human()
            ),
        };
    }
    if !figure.names.is_empty() {
        return figure.names.join(" or ");
    }
    match (&figure.low, &figure.high) {
        (Some(low), Some(high)) if low.number() == high.number() => figure.likely.human(),
        (Some(low), Some(high)) => format!(
            "{} ({} – {})",
            figure.likely.human(),
            low.human(),
            high.human()
        ),
        _ => figure.likely.human(),
    }
}

fn parsed_human(value: &crate::units::Parsed) -> String {
    use crate::units::{human_byte_rate, human_bytes, human_duration, human_usd, Parsed};
    match value {
        Parsed::Size(_) => human_bytes(value.base()),
        Parsed::Duration(_) => human_duration(value.base()),
        Parsed::ByteRate(_) => human_byte_rate(value.base()),
        Parsed::EventRate(_) => format!("{} events/s", significant(value.base(), 4)),
        Parsed::Number(_) => crate::units::human_count(value.base()),
        Parsed::Percent(_) => percent(value.base()),
        Parsed::Money(_) => human_usd(value.base()),
        Parsed::MoneyPerSize(_) => format!("{}/GB", human_usd(value.base() * 1e9)),
    }
}

/// "How sure is this?" and "What drives the answer": each figure as
/// `likely (low – high)`, the ranged inputs, and the tornado.
pub fn sections(study: &Uncertainty) -> Vec<Section> {
    let mut sure = Section::new("How sure is this?", &["Figure", "Likely (low – high)"]);
    for figure in study.figures.iter().filter(|f| !f.absent) {
        sure.row([figure.label.to_string(), range_cell(figure)]);
    }
    sure.note(match study.method {
        Method::Corners(n) => format!(
            "low and high: every figure at all {n} corners of the ranges (each input at its low or high end); exact, since every figure is monotone in each input"
        ),
        Method::Split(n) => format!(
            "low and high: every figure at every corner of the ranges, and where the stream's fleet gains a whole worker inside them (its latency, freshness and memory then fall), the ranges split around the step ({n} cases): every value the model takes lies within, and near a step the bounds may reach a little past it"
        ),
        Method::Search(n) => format!(
            "low and high: too many ranges for every corner, so each figure's extreme corners were searched for ({n} cases): each input at the end that moves the figure its way, then (up to {} ranges) single inputs flipped while that moves it further; exact for figures monotone in each input",
            crate::study::uncertainty::FLIP_INPUTS
        ),
    });
    for input in &study.inputs {
        sure.note(format!(
            "{} = {} (line {}): {} – {}, likely {}",
            input.key,
            input.text,
            input.line,
            parsed_human(&input.low),
            parsed_human(&input.high),
            parsed_human(&input.likely)
        ));
    }
    let mut sections = vec![sure];

    let headlines: Vec<&Drivers> = study.drivers.iter().collect();
    let mut columns = vec!["Input".to_string(), "Range".to_string()];
    columns.extend(headlines.iter().map(|d| {
        let label = d.headline.label();
        let mut chars = label.chars();
        chars
            .next()
            .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
            .unwrap_or_default()
    }));
    let column_refs: Vec<&str> = columns.iter().map(String::as_str).collect();
    let mut tornado = Section::new("What drives the answer", &column_refs);
    for input in &study.inputs {
        let mut row = vec![
            input.key.clone(),
            format!(
                "{} – {}",
                parsed_human(&input.low),
                parsed_human(&input.high)
            ),
        ];
        for drivers in &headlines {
            let cell = drivers
                .swings
                .iter()
                .find(|s| s.input == input.key)
                .map(|s| {
                    format!(
                        "{} → {} ({})",
                        drivers.headline.amount(s.at_low).human(),
                        drivers.headline.amount(s.at_high).human(),
                        percent(s.share)
                    )
                })
                .unwrap_or_else(|| "—".into());
            row.push(cell);
        }
        tornado.row(row);
    }
    for drivers in &headlines {
        if let Some(top) = drivers.swings.first().filter(|s| s.share > 0.0) {
            // Inputs that pull exactly as hard are named together.
            let tied: Vec<String> = drivers
                .swings
                .iter()
                .filter(|s| (s.share - top.share).abs() < 1e-9)
                .map(|s| format!("`{}`", s.input))
                .collect();
            let each = if tied.len() > 1 { " each" } else { "" };
            tornado.note(format!(
                "the {} range is driven by {} ({}{each})",
                drivers.headline.label(),
                tied.join(" and "),
                percent(top.share)
            ));
        }
    }
    tornado.note("each cell: the figure with that input at its low end → at its high end, the others likely; in brackets, its share of all the inputs' swings");
    sections.push(tornado);

    if let Some((count, percentiles)) = &study.samples {
        let mut columns = vec!["Figure".to_string()];
        if let Some(first) = percentiles.first() {
            columns.extend(
                first
                    .shown
                    .iter()
                    .map(|(p, _)| format!("p{}", crate::units::significant(*p, 6))),
            );
        }
        let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
        let mut sampled = Section::new(format!("Monte Carlo ({count} samples)"), &columns);
        for p in percentiles {
            let Some(figure) = study.figures.iter().find(|f| f.key == p.key) else {
                continue;
            };
            if figure.cases.is_some() {
                continue;
            }
            let mut row = vec![figure.label.to_string()];
            row.extend(p.shown.iter().map(|(_, v)| figure.likely.like(*v).human()));
            sampled.row(row);
        }
        sampled.note("each ranged input drawn uniformly between its ends, from a seeded generator (--seed): the same scenario gives the same percentiles");
        sections.push(sampled);
    }
    sections
}
