//! Markdown, for pasting into homework: the same sections as the terminal
//! tables, as pipe tables.

use comfy_table::presets::ASCII_MARKDOWN;

use super::chart::{Axis, Chart};
use super::{Document, Section, Style, Width};
use crate::units::SECONDS_PER_DAY;

/// A cell's text with `|` escaped, so it stays one cell, and HTML's
/// characters as entities, so a name like `<img onerror=…>` is text on
/// GitHub, not markup.
fn escape(cell: &str) -> String {
    html(cell).replace('|', "\\|")
}

/// Text with `&`, `<` and `>` as entities (Markdown passes inline HTML
/// on), and `[` and `]` escaped outside code spans, so a name like
/// `[x](javascript:…)` or `![x](https://…/p.png)` is text, not a link or
/// an image. Inside a code span (between backticks) Markdown makes no
/// link and shows a backslash as itself, so there they stay as they are.
fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_code = false;
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '`' => {
                in_code = !in_code;
                out.push(c);
            }
            '[' | ']' if !in_code => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

pub fn render(document: &Document, style: Style) -> String {
    // Markdown never wraps cells, terminal or not, and a `|` inside a cell
    // would end it.
    let style = Style {
        width: Width::Fixed(200),
        ..style
    };
    let mut out = format!("# {}\n", html(&document.title));
    if !document.intro.is_empty() {
        out.push('\n');
        for line in &document.intro {
            out.push_str(&html(line));
            out.push_str("  \n");
        }
    }
    for section in &document.sections {
        out.push_str(&format!("\n## {}\n\n", html(&section.title)));
        if !section.columns.is_empty() {
            let escaped = Section {
                columns: section.columns.iter().map(|c| escape(c)).collect(),
                rows: section
                    .rows
                    .iter()
                    .map(|row| row.iter().map(|c| escape(c)).collect())
                    .collect(),
                ..section.clone()
            };
            let table = super::table::table(&escaped, style, ASCII_MARKDOWN).to_string();
            out.push_str(&right_align_markers(&table));
            out.push('\n');
        }
        if !section.notes.is_empty() {
            out.push('\n');
            for note in &section.notes {
                out.push_str(&format!("- {}\n", html(note)));
            }
        }
        for chart in &section.charts {
            out.push_str(&mermaid(chart));
        }
        if style.explain && !section.working.is_empty() {
            out.push_str("\nWorking:\n\n```text\n");
            for line in &section.working {
                out.push_str(&format!("{line}\n"));
            }
            out.push_str("```\n");
        }
    }
    if !document.conventions.is_empty() {
        out.push_str("\n## Conventions\n\n");
        for line in &document.conventions {
            out.push_str(&format!("- {}\n", html(line)));
        }
    }
    out
}

/// The number and unit a Mermaid axis shows for values up to `max`:
/// Mermaid prints plain numbers, so they are scaled to a readable unit.
fn mermaid_unit(axis: Axis, max: f64) -> (f64, &'static str) {
    match axis {
        Axis::Seconds if max >= 2.0 * 3600.0 => (3600.0, "h"),
        Axis::Seconds if max >= 120.0 => (60.0, "min"),
        Axis::Seconds => (1.0, "s"),
        Axis::Bytes if max >= 1e12 => (1e12, "TB"),
        Axis::Bytes if max >= 1e9 => (1e9, "GB"),
        Axis::Bytes if max >= 1e6 => (1e6, "MB"),
        Axis::Bytes => (1.0, "B"),
        Axis::Usd => (1.0, "USD"),
        Axis::Days => (1.0, "days"),
        Axis::Count | Axis::Plain | Axis::Year => (1.0, ""),
    }
}

/// A line's colours in Mermaid's xychart, and their names for the title.
const PALETTE: [&str; 6] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
];
const PALETTE_NAMES: [&str; 6] = ["blue", "orange", "green", "red", "purple", "brown"];

/// A point of a Gantt chart: `seconds` after a run's start, which is a fixed
/// local midnight (2000-01-01).
fn gantt_time(seconds: f64) -> String {
    let total = seconds.max(0.0).round() as i64;
    let (days, rest) = (total / 86_400, total % 86_400);
    format!(
        "2000-01-{:02} {:02}:{:02}:{:02}",
        1 + days.min(30),
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// The most points a line is sampled at.
const MOST_STEPS: u64 = 120;

/// Evenly spaced values from `first` to `last`: whole numbers on an axis of
/// years, workers or factors when the range allows; on whole points (the
/// days a retention fills), a grid through every one of them when it takes
/// at most [`MOST_STEPS`], so a curve bends where it does; else 13 steps.
fn even_steps(first: f64, last: f64, axis: Axis, points: &[f64]) -> Vec<f64> {
    let span = last - first;
    if span <= 0.0 {
        return vec![first];
    }
    let whole =
        matches!(axis, Axis::Plain | Axis::Year) && first.fract() == 0.0 && last.fract() == 0.0;
    let grid = points
        .iter()
        .all(|x| x.fract() == 0.0 && *x >= 0.0)
        .then(|| points.iter().map(|x| (x - first).abs() as u64).fold(0, gcd))
        .filter(|step| *step > 0 && (span as u64) / step <= MOST_STEPS);
    let steps = if whole && span <= 24.0 {
        span as usize
    } else if let Some(step) = grid {
        (span as u64 / step) as usize
    } else {
        12
    };
    (0..=steps)
        .map(|i| first + span * i as f64 / steps as f64)
        .collect()
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// A piecewise-linear series read at `x` (held flat past its ends).
fn at(points: &[(f64, f64)], x: f64) -> f64 {
    match points.iter().position(|p| p.0 >= x) {
        None => points.last().map_or(0.0, |p| p.1),
        Some(0) => points[0].1,
        Some(i) => {
            let (a, b) = (points[i - 1], points[i]);
            if b.0 == a.0 {
                b.1
            } else {
                a.1 + (b.1 - a.1) * (x - a.0) / (b.0 - a.0)
            }
        }
    }
}

/// Text Mermaid shows unquoted (a Gantt task, a title): its `:` (which
/// ends a task's name) as `colon`, and markup and comment characters as
/// look-alikes.
fn bare(text: &str, colon: &str) -> String {
    text.replace(':', colon)
        .replace(';', ",")
        .replace('#', "№")
        .replace('<', "‹")
        .replace('>', "›")
}

/// A Mermaid label: its quotes and angle brackets (markup to Mermaid's
/// renderer) replaced by look-alikes.
fn quoted(text: &str) -> String {
    format!(
        "\"{}\"",
        text.replace('"', "'").replace('<', "‹").replace('>', "›")
    )
}

fn list(values: impl Iterator<Item = String>) -> String {
    format!("[{}]", values.collect::<Vec<_>>().join(", "))
}

fn plain(value: f64) -> String {
    crate::units::significant(value, 4).replace(',', "")
}

/// A chart as a Mermaid block, which GitHub and GitLab draw: `gantt` for a
/// timeline, `pie` for shares, `xychart-beta` for columns and curves.
fn mermaid(chart: &Chart) -> String {
    let mut out = String::from("\n```mermaid\n");
    match chart {
        Chart::Timeline {
            title,
            bars,
            deadline,
        } => {
            // Mermaid 11 reads neither epoch seconds (`dateFormat X`: every
            // bar drawn from 0) nor plain offsets, so a run starts at a
            // fixed local midnight and the axis shows the time since it.
            let end = bars
                .iter()
                .map(|b| b.start + b.length)
                .chain(deadline.iter().map(|d| d.value))
                .fold(0.0, f64::max);
            let axis = if end > SECONDS_PER_DAY {
                "day %-j, %H:%M"
            } else {
                "%H:%M"
            };
            out.push_str(&format!(
                "gantt\n    title {}\n    dateFormat YYYY-MM-DD HH:mm:ss\n    axisFormat {axis}\n    section Stages\n",
                bare(title, " -")
            ));
            for bar in bars {
                let tag = if bar.highlight { "crit, " } else { "" };
                out.push_str(&format!(
                    "    {} :{tag}{}, {}\n",
                    bare(&bar.label, " "),
                    gantt_time(bar.start),
                    gantt_time(bar.start + bar.length)
                ));
            }
            if let Some(mark) = deadline {
                out.push_str(&format!(
                    "    {} :milestone, {}, 0s\n",
                    bare(&mark.label, " "),
                    gantt_time(mark.value)
                ));
            }
        }
        Chart::Shares { title, parts, .. } => {
            out.push_str(&format!("pie title {}\n", bare(title, " -")));
            for (label, value) in parts {
                out.push_str(&format!("    {} : {}\n", quoted(label), plain(*value)));
            }
        }
        Chart::Columns {
            title,
            axis,
            columns,
        } => {
            let max = columns.iter().map(|c| c.1).fold(0.0, f64::max);
            let (scale, unit) = mermaid_unit(*axis, max);
            out.push_str(&format!(
                "xychart-beta\n    title {}\n    x-axis {}\n    y-axis {}\n    bar {}\n",
                quoted(title),
                list(columns.iter().map(|c| quoted(&c.0))),
                quoted(unit),
                list(columns.iter().map(|c| plain(c.1 / scale)))
            ));
        }
        Chart::Scatter {
            title,
            x,
            y,
            x_title,
            y_title,
            points,
        } => {
            // Mermaid's quadrant chart places labelled points on two axes
            // from 0 to 1: each point as a share of the largest on its axis.
            let x_max = points
                .iter()
                .map(|p| p.1)
                .fold(0.0, f64::max)
                .max(f64::MIN_POSITIVE);
            let y_max = points
                .iter()
                .map(|p| p.2)
                .fold(0.0, f64::max)
                .max(f64::MIN_POSITIVE);
            out.push_str(&format!(
                "quadrantChart\n    title {}\n    x-axis \"{x_title}: 0\" --> \"{}\"\n    y-axis \"{y_title}: 0\" --> \"{}\"\n",
                bare(title, " -"),
                x.label(x_max).replace('"', "'"),
                y.label(y_max).replace('"', "'"),
            ));
            // Kept inside the frame (Mermaid refuses a point at 1): 5% to 95%.
            let place = |v: f64, max: f64| 0.05 + 0.9 * (v / max).clamp(0.0, 1.0);
            for (label, px, py) in points {
                out.push_str(&format!(
                    "    {}: [{:.3}, {:.3}]\n",
                    quoted(label),
                    place(*px, x_max),
                    place(*py, y_max)
                ));
            }
        }
        Chart::Lines {
            title,
            x,
            y,
            x_title,
            series,
            ..
        } => {
            let y_max = series
                .iter()
                .flat_map(|s| s.points.iter().map(|p| p.1))
                .fold(0.0, f64::max);
            let (scale, unit) = mermaid_unit(*y, y_max);
            // Mermaid spreads a line's values evenly along the x axis, so
            // every series is read at evenly spaced x from the first to the
            // last, on a numeric axis, not at its own points as categories.
            let (first, last) = series
                .iter()
                .flat_map(|s| s.points.iter().map(|p| p.0))
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(v), hi.max(v))
                });
            let (first, last) = if first.is_finite() {
                (first, last)
            } else {
                (0.0, 1.0)
            };
            let bends: Vec<f64> = series
                .iter()
                .flat_map(|s| s.points.iter().map(|p| p.0))
                .collect();
            let xs = even_steps(first, last, *x, &bends);
            // Mermaid draws no legend: each line's colour is fixed here and
            // named in the title.
            let named: Vec<String> = series
                .iter()
                .zip(PALETTE_NAMES)
                .map(|(s, colour)| format!("{} ({colour})", s.name))
                .collect();
            let title = if series.len() > 1 {
                format!("{title}: {}", named.join(", "))
            } else {
                title.clone()
            };
            out.push_str(&format!(
                "%%{{init: {{\"themeVariables\": {{\"xyChart\": {{\"plotColorPalette\": \"{}\"}}}}}}}}%%\n",
                PALETTE.join(", ")
            ));
            out.push_str(&format!(
                "xychart-beta\n    title {}\n    x-axis {} {} --> {}\n    y-axis {}\n",
                quoted(&title),
                quoted(x_title),
                plain(first),
                plain(last),
                quoted(unit)
            ));
            for line in series.iter().filter(|s| !s.points.is_empty()) {
                out.push_str(&format!(
                    "    line {} {}\n",
                    quoted(&line.name),
                    list(xs.iter().map(|v| plain(at(&line.points, *v) / scale)))
                ));
            }
        }
    }
    out.push_str("```\n");
    out
}

/// comfy-table writes the header rule as `|---|---|`; figures read better
/// right-aligned (`---:`) in every column but the first.
fn right_align_markers(table: &str) -> String {
    let mut lines: Vec<String> = table.lines().map(str::to_string).collect();
    if let Some(rule) = lines.get_mut(1) {
        let cells: Vec<&str> = rule.trim_matches('|').split('|').collect();
        let aligned: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(index, cell)| {
                if index == 0 || cell.len() < 2 {
                    cell.to_string()
                } else {
                    format!("{}:", &cell[..cell.len() - 1])
                }
            })
            .collect();
        *rule = format!("|{}|", aligned.join("|"));
    }
    lines.join("\n")
}
