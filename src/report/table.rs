//! Terminal tables (comfy-table).

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, ColumnConstraint, ContentArrangement, Table};

use super::{Document, Section, Style, Width};

/// The longest word in a column, header included: the narrowest the column
/// can be without breaking a word.
fn longest_words(section: &Section) -> Vec<u16> {
    (0..section.columns.len())
        .map(|index| {
            std::iter::once(&section.columns[index])
                .chain(section.rows.iter().filter_map(|row| row.get(index)))
                .flat_map(|cell| cell.split_whitespace())
                .map(|word| word.chars().count())
                .max()
                .unwrap_or(1) as u16
        })
        .collect()
}

/// Whether the section's table fits `width` without breaking a word: each
/// column's longest word, its padding and its border.
pub fn fits(section: &Section, width: u16) -> bool {
    let needed: usize = longest_words(section)
        .iter()
        .map(|w| usize::from(*w) + 3)
        .sum::<usize>()
        + 1;
    needed <= usize::from(width)
}

pub fn table(section: &Section, style: Style, preset: comfy_table::TableStyle) -> Table {
    let mut table = Table::new();
    table.load_style(preset);
    table.force_no_tty().set_width(match style.width {
        Width::Fixed(width) | Width::Fit(width) => width,
    });
    table.set_header(section.columns.clone());
    for row in &section.rows {
        table.add_row(row.clone());
    }
    match style.width {
        // Not a terminal: no wrapping, so the same report prints the same
        // bytes wherever it is piped.
        Width::Fixed(_) => {
            table.set_content_arrangement(ContentArrangement::Disabled);
        }
        // Wrap at word boundaries: no column narrower than its longest word.
        Width::Fit(_) => {
            table.set_content_arrangement(ContentArrangement::Dynamic);
            for (index, longest) in longest_words(section).into_iter().enumerate() {
                if let Some(column) = table.column_mut(index) {
                    column.set_constraint(ColumnConstraint::LowerBoundary(
                        comfy_table::Width::Fixed(longest + 2),
                    ));
                }
            }
        }
    }
    for index in 1..section.columns.len() {
        if let Some(column) = table.column_mut(index) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    table
}

/// A table too wide for the terminal, one row at a time: `Header: value`
/// lines, a blank line between rows.
fn vertical(section: &Section) -> String {
    let label_width = section
        .columns
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (index, row) in section.rows.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        for (column, cell) in section.columns.iter().zip(row) {
            out.push_str(&format!("  {column:>label_width$}: {cell}\n"));
        }
    }
    out
}

/// `text` wrapped at word boundaries to `width` columns: the first line
/// after `first`, the rest after `rest`. A word longer than the width keeps
/// its own line whole.
pub fn wrap(text: &str, width: usize, first: &str, rest: &str) -> String {
    let mut out = String::new();
    let mut line = String::from(first);
    let mut empty = true;
    for word in text.split_whitespace() {
        let needed = line.chars().count() + usize::from(!empty) + word.chars().count();
        if !empty && needed > width {
            out.push_str(&line);
            out.push('\n');
            line = String::from(rest);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// A chart as unicode bars, one line per bar: the cost shares and the stage
/// timeline, where a glance says more than the column of numbers.
fn inline_bars(chart: &super::chart::Chart, width: usize) -> String {
    use super::chart::Chart;
    let (rows, axis): (Vec<(String, f64)>, super::chart::Axis) = match chart {
        Chart::Shares { parts, axis, .. } => (parts.clone(), *axis),
        Chart::Timeline { bars, .. } => (
            bars.iter().map(|b| (b.label.clone(), b.length)).collect(),
            super::chart::Axis::Seconds,
        ),
        _ => return String::new(),
    };
    let total: f64 = rows.iter().map(|r| r.1).sum();
    let max = rows.iter().map(|r| r.1).fold(0.0, f64::max);
    if total <= 0.0 || max <= 0.0 {
        return String::new();
    }
    let label_width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let room = width.saturating_sub(label_width + 24).clamp(10, 50);
    let mut out = String::new();
    for (label, value) in &rows {
        let eighths = (value / max * room as f64 * 8.0).round() as usize;
        let mut bar = "█".repeat(eighths / 8);
        if !eighths.is_multiple_of(8) {
            bar.push(['▏', '▎', '▍', '▌', '▋', '▊', '▉'][eighths % 8 - 1]);
        }
        out.push_str(&format!(
            "  {label:<label_width$} {bar} {} ({}%)\n",
            axis.label(*value),
            crate::units::significant(value / total * 100.0, 3)
        ));
    }
    out
}

pub fn render(document: &Document, style: Style) -> String {
    // Free text wraps with the tables on a terminal, and stays on its line
    // when piped.
    let text = |text: &str, first: &str, rest: &str| match style.width {
        Width::Fit(width) => wrap(text, usize::from(width), first, rest),
        Width::Fixed(_) => format!("{first}{text}\n"),
    };
    let mut out = String::new();
    out.push_str(&text(&document.title, "", "  "));
    for line in &document.intro {
        out.push_str(&text(line, "", ""));
    }
    for section in &document.sections {
        out.push('\n');
        out.push_str(&section.title);
        out.push('\n');
        if !section.columns.is_empty() {
            match style.width {
                Width::Fit(width) if !fits(section, width) => out.push_str(&vertical(section)),
                _ => {
                    out.push_str(&table(section, style, UTF8_FULL_CONDENSED).to_string());
                    out.push('\n');
                }
            }
        }
        // On a terminal (never piped, so never in a snapshot), shares and
        // timelines get a line of bars each.
        if let Width::Fit(width) = style.width {
            for chart in &section.charts {
                out.push_str(&inline_bars(chart, usize::from(width)));
            }
        }
        for note in &section.notes {
            out.push_str(&text(note, "  ", "    "));
        }
        if style.explain && !section.working.is_empty() {
            out.push_str("  Working:\n");
            for line in &section.working {
                out.push_str(&text(&line.to_string(), "    ", "        "));
            }
        }
    }
    if !document.conventions.is_empty() {
        out.push_str("\nConventions:\n");
        for line in &document.conventions {
            out.push_str(&text(line, "  - ", "    "));
        }
    }
    out
}
