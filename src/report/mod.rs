//! Renderers: a [`Document`] of sections as a terminal table or Markdown,
//! and the data formats (JSON, CSV) from a command's serialized results.
//! They know nothing of models or commands; the views in [`crate::views`]
//! build what they render.

pub mod chart;
pub mod csv;
pub mod html;
pub mod markdown;
pub mod table;

use serde::Serialize;

use crate::figure::Working;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Tables for a terminal.
    Table,
    /// Base units, for scripts; the serialization of the results.
    Json,
    /// Markdown, for homework and pull requests, with Mermaid charts.
    Markdown,
    /// One self-contained HTML page with charts (inline SVG, no fetches).
    Html,
    /// One row per figure or per table row, for spreadsheets.
    Csv,
}

/// One table of a report, with the notes and working that go under it.
#[derive(Clone, Debug, Default)]
pub struct Section {
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub notes: Vec<String>,
    pub working: Vec<Working>,
    /// Pictures of the section's figures, for the formats that draw.
    pub charts: Vec<chart::Chart>,
}

impl Section {
    pub fn new(title: impl Into<String>, columns: &[&str]) -> Self {
        Section {
            title: title.into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            ..Section::default()
        }
    }

    pub fn row(&mut self, cells: impl IntoIterator<Item = impl Into<String>>) -> &mut Self {
        self.rows.push(cells.into_iter().map(Into::into).collect());
        self
    }

    /// Adds a note under the table; an empty one is no note.
    pub fn note(&mut self, note: impl Into<String>) -> &mut Self {
        let note = note.into();
        if !note.is_empty() {
            self.notes.push(note);
        }
        self
    }
}

/// A whole report: a heading, its sections, and the conventions it used.
#[derive(Clone, Debug, Default)]
pub struct Document {
    pub title: String,
    pub intro: Vec<String>,
    pub sections: Vec<Section>,
    pub conventions: Vec<String>,
}

/// How wide tables may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    /// Output that is not a terminal: tables as wide as their content, laid
    /// out the same wherever they are piped, so the bytes are stable.
    Fixed(u16),
    /// A terminal this many columns wide: cells wrap at word boundaries, and
    /// a table that cannot fit even so is shown one row at a time.
    Fit(u16),
}

impl Width {
    /// The terminal's width from `COLUMNS` or the terminal itself; 100 when
    /// it cannot be told (or reports 0), never a width tables cannot use.
    pub fn of_terminal(columns: Option<&str>, detected: Option<u16>) -> Width {
        let from_env = columns.and_then(|c| c.trim().parse::<u16>().ok());
        let width = from_env.or(detected).filter(|w| *w >= 20).unwrap_or(100);
        Width::Fit(width)
    }
}

/// Options every report command shares.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub explain: bool,
    pub width: Width,
}

/// A document in a format for people; `None` for the data formats (JSON,
/// CSV), which are built from the results rather than from the document.
pub fn render(document: &Document, format: Format, style: Style) -> Option<String> {
    match format {
        Format::Table => Some(table::render(document, style)),
        Format::Markdown => Some(markdown::render(document, style)),
        Format::Html => Some(html::render(document, style)),
        Format::Json | Format::Csv => None,
    }
}

/// Serialises a value as pretty JSON with a trailing newline.
pub fn to_json<T: Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("reports serialise");
    text.push('\n');
    text
}
