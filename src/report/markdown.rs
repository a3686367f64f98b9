//! Markdown, for pasting into homework: the same sections as the terminal
//! tables, as pipe tables.

use comfy_table::presets::ASCII_MARKDOWN;

use super::chart::{Axis, Chart};
use super::{Document, Section, Style, Width};

/// A cell's text with `|` escaped, so it stays one cell.
fn escape(cell: &str) -> String {
    cell.replace('|', "\\|")
}

pub fn render(document: &Document, style: Style) -> String {
    // Markdown never wraps cells, terminal or not, and a `|` inside a cell
    // would end it.
    let style = Style {
        width: Width::Fixed(200),
        ..style
    };
    let mut out = format!("# {}\n", document.title);
    if !document.intro.is_empty() {
        out.push('\n');
        for line in &document.intro {
            out.push_str(line);
            out.push_str("  \n");
        }
    }
    for section in &document.sections {
        out.push_str(&format!("\n## {}\n\n", section.title));
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
                out.push_str(&format!("- {note}\n"));
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
            out.push_str(&format!("- {line}\n"));
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
        Axis::Count | Axis::Plain => (1.0, ""),
    }
}

fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "'"))
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
            // Seconds since the epoch as the date format: a run starts at 0.
            out.push_str(&format!(
                "gantt\n    title {}\n    dateFormat X\n    axisFormat %H:%M\n    section Stages\n",
                title.replace(':', " -")
            ));
            for bar in bars {
                let tag = if bar.highlight { "crit, " } else { "" };
                out.push_str(&format!(
                    "    {} :{tag}{}, {}\n",
                    bar.label.replace(':', " "),
                    bar.start.round() as i64,
                    (bar.start + bar.length).round() as i64
                ));
            }
            if let Some(mark) = deadline {
                out.push_str(&format!(
                    "    {} :milestone, {}, {}\n",
                    mark.label.replace(':', " "),
                    mark.value.round() as i64,
                    mark.value.round() as i64
                ));
            }
        }
        Chart::Shares { title, parts, .. } => {
            out.push_str(&format!("pie title {}\n", title.replace(':', " -")));
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
            // Mermaid's x axis is categories: the first series' x values.
            let xs: Vec<f64> = series
                .first()
                .map(|s| s.points.iter().map(|p| p.0).collect())
                .unwrap_or_default();
            out.push_str(&format!(
                "xychart-beta\n    title {}\n    x-axis {} {}\n    y-axis {}\n",
                quoted(title),
                quoted(x_title),
                list(xs.iter().map(|v| quoted(&x.label(*v)))),
                quoted(unit)
            ));
            for line in series.iter().filter(|s| s.points.len() == xs.len()) {
                out.push_str(&format!(
                    "    line {}\n",
                    list(line.points.iter().map(|p| plain(p.1 / scale)))
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
