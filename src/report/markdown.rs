//! Markdown, for pasting into homework: the same sections as the terminal
//! tables, as pipe tables.

use comfy_table::presets::ASCII_MARKDOWN;

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
