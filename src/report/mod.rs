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

impl Document {
    /// The document with every text from outside made printable
    /// ([`crate::text::printable`]): what a scenario, a log or a file name
    /// holds is shown, never obeyed by the terminal or the page.
    pub fn printable(&self) -> Document {
        let line = |text: &String| crate::text::printable(text).into_owned();
        let lines = |texts: &Vec<String>| texts.iter().map(line).collect::<Vec<_>>();
        let mark = |m: &Option<chart::Mark>| {
            m.as_ref().map(|m| chart::Mark {
                label: line(&m.label),
                value: m.value,
            })
        };
        let named = |pairs: &Vec<(String, f64)>| {
            pairs.iter().map(|(n, v)| (line(n), *v)).collect::<Vec<_>>()
        };
        let chart = |chart: &chart::Chart| -> chart::Chart {
            use chart::Chart;
            match chart {
                Chart::Timeline {
                    title,
                    bars,
                    deadline,
                } => Chart::Timeline {
                    title: line(title),
                    bars: bars
                        .iter()
                        .map(|b| chart::Bar {
                            label: line(&b.label),
                            ..b.clone()
                        })
                        .collect(),
                    deadline: mark(deadline),
                },
                Chart::Shares { title, axis, parts } => Chart::Shares {
                    title: line(title),
                    axis: *axis,
                    parts: named(parts),
                },
                Chart::Columns {
                    title,
                    axis,
                    columns,
                } => Chart::Columns {
                    title: line(title),
                    axis: *axis,
                    columns: named(columns),
                },
                Chart::Lines {
                    title,
                    x,
                    y,
                    x_title,
                    y_title,
                    series,
                    x_mark,
                    y_mark,
                } => Chart::Lines {
                    title: line(title),
                    x: *x,
                    y: *y,
                    x_title: line(x_title),
                    y_title: line(y_title),
                    series: series
                        .iter()
                        .map(|s| chart::Series {
                            name: line(&s.name),
                            ..s.clone()
                        })
                        .collect(),
                    x_mark: mark(x_mark),
                    y_mark: mark(y_mark),
                },
                Chart::Scatter {
                    title,
                    x,
                    y,
                    x_title,
                    y_title,
                    points,
                } => Chart::Scatter {
                    title: line(title),
                    x: *x,
                    y: *y,
                    x_title: line(x_title),
                    y_title: line(y_title),
                    points: points.iter().map(|(n, a, b)| (line(n), *a, *b)).collect(),
                },
            }
        };
        Document {
            title: line(&self.title),
            intro: lines(&self.intro),
            conventions: lines(&self.conventions),
            sections: self
                .sections
                .iter()
                .map(|section| Section {
                    title: line(&section.title),
                    columns: lines(&section.columns),
                    rows: section.rows.iter().map(lines).collect(),
                    // A note is one line: a name holding a newline must
                    // not open a line (a heading, a code fence, an `ok:`).
                    notes: lines(&section.notes),
                    working: section
                        .working
                        .iter()
                        .map(|w| Working {
                            symbol: line(&w.symbol),
                            formula: w.formula.as_ref().map(line),
                            working: w.working.as_ref().map(line),
                            result: line(&w.result),
                            source: line(&w.source),
                        })
                        .collect(),
                    charts: section.charts.iter().map(chart).collect(),
                })
                .collect(),
        }
    }
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
    let document = &document.printable();
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
