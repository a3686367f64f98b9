//! Terminal tables (comfy-table).

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, ContentArrangement, Table};

use super::{Document, Section, Style};

pub fn table(section: &Section, style: Style, preset: comfy_table::TableStyle) -> Table {
    let mut table = Table::new();
    table.load_style(preset);
    match style.width {
        // Not a terminal: a fixed width and no wrapping, so the same report
        // prints the same bytes wherever it is piped.
        Some(width) => {
            table
                .force_no_tty()
                .set_width(width)
                .set_content_arrangement(ContentArrangement::Disabled);
        }
        None => {
            table.set_content_arrangement(ContentArrangement::Dynamic);
        }
    }
    table.set_header(section.columns.clone());
    for row in &section.rows {
        table.add_row(row.clone());
    }
    for index in 1..section.columns.len() {
        if let Some(column) = table.column_mut(index) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    table
}

pub fn render(document: &Document, style: Style) -> String {
    let mut out = String::new();
    out.push_str(&document.title);
    out.push('\n');
    for line in &document.intro {
        out.push_str(line);
        out.push('\n');
    }
    for section in &document.sections {
        out.push('\n');
        out.push_str(&section.title);
        out.push('\n');
        if !section.columns.is_empty() {
            out.push_str(&table(section, style, UTF8_FULL_CONDENSED).to_string());
            out.push('\n');
        }
        for note in &section.notes {
            out.push_str(&format!("  {note}\n"));
        }
        if style.explain && !section.working.is_empty() {
            out.push_str("  Working:\n");
            for line in &section.working {
                out.push_str(&format!("    {line}\n"));
            }
        }
    }
    if !document.conventions.is_empty() {
        out.push_str("\nConventions:\n");
        for line in &document.conventions {
            out.push_str(&format!("  - {line}\n"));
        }
    }
    out
}
