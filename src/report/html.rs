//! One self-contained HTML page: the report's tables, its charts as inline
//! SVG, and its CSS, with no fetch of anything. It reads with JavaScript
//! off; a few lines of it only check, for the browser test, that every
//! chart was laid out.
//!
//! The SVG is written by hand rather than with a plotting crate: the charts
//! are bars, lines and ticks; hand-written SVG needs no fonts at build time,
//! stays a few kilobytes, and carries `data-` attributes that let a test
//! read each bar's value back.

use std::fmt::Write;

use super::chart::{Axis, Chart, Mark};
use super::{Document, Section, Style};

const WIDTH: f64 = 760.0;
const LEFT: f64 = 150.0;
const RIGHT: f64 = 30.0;
const PALETTE: [&str; 6] = [
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1",
];

/// Text safe inside HTML and SVG.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn number(value: f64) -> String {
    let rounded = (value * 100.0).round() / 100.0;
    if rounded == rounded.trunc() {
        format!("{}", rounded as i64)
    } else {
        format!("{rounded}")
    }
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222;line-height:1.4}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.25rem .6rem}th{background:#f4f4f4;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
ul.notes{color:#444;font-size:.9rem}pre{background:#f7f7f7;padding:.6rem;overflow-x:auto;font-size:.8rem}
figure{margin:1rem 0}figcaption{font-weight:600;font-size:.95rem}
svg text{font-family:system-ui,sans-serif;font-size:12px;fill:#333}
svg .axis{stroke:#999;stroke-width:1}svg .grid{stroke:#eee;stroke-width:1}
svg .deadline{stroke:#c00;stroke-width:2;stroke-dasharray:6 4}svg .mark{stroke:#555;stroke-width:1.5;stroke-dasharray:4 4}
details{margin:.3rem 0 1rem}summary{cursor:pointer;color:#555;font-size:.85rem}";

/// Checks, once the page is laid out, that every chart has a size and that
/// no label is drawn past its chart's edges (as the browser measures the
/// glyphs, not as pipecalc guessed them); the browser test reads the
/// verdict from `<body data-charts>`: `ok`, `empty` or `clipped`.
const CHECK: &str = "<script>addEventListener('load',function(){var s=document.querySelectorAll('svg'),ok=s.length>0||!document.querySelector('figure'),clipped=false;for(var i=0;i<s.length;i++){var r=s[i].getBoundingClientRect();if(!(r.width>0&&r.height>0))ok=false;var t=s[i].querySelectorAll('text');for(var j=0;j<t.length;j++){var b=t[j].getBoundingClientRect();if(b.width>0&&(b.left<r.left-1||b.right>r.right+1))clipped=true;}}document.body.setAttribute('data-charts',(!ok?'empty ':clipped?'clipped ':'ok ')+s.length);});</script>";

pub fn render(document: &Document, style: Style) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>\n{STYLE}\n</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(&document.title),
        escape(&document.title)
    );
    for line in &document.intro {
        let _ = writeln!(out, "<p>{}</p>", escape(line));
    }
    for section in &document.sections {
        section_html(&mut out, section, style);
    }
    if !document.conventions.is_empty() {
        out.push_str("<h2>Conventions</h2>\n<ul class=\"notes\">\n");
        for line in &document.conventions {
            let _ = writeln!(out, "<li>{}</li>", escape(line));
        }
        out.push_str("</ul>\n");
    }
    out.push_str(CHECK);
    out.push_str("\n</body>\n</html>\n");
    out
}

fn looks_numeric(cell: &str) -> bool {
    cell.chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || c == '$' || c == '-' || c == '+')
}

fn section_html(out: &mut String, section: &Section, style: Style) {
    let _ = writeln!(out, "<h2>{}</h2>", escape(&section.title));
    for chart in &section.charts {
        figure(out, chart, section);
    }
    if !section.columns.is_empty() {
        out.push_str("<table>\n<thead><tr>");
        for column in &section.columns {
            let _ = write!(out, "<th>{}</th>", escape(column));
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for row in &section.rows {
            out.push_str("<tr>");
            for (index, cell) in row.iter().enumerate() {
                let class = if index > 0 && looks_numeric(cell) {
                    " class=\"n\""
                } else {
                    ""
                };
                let _ = write!(out, "<td{class}>{}</td>", escape(cell));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n</table>\n");
    }
    if !section.notes.is_empty() {
        out.push_str("<ul class=\"notes\">\n");
        for note in &section.notes {
            let _ = writeln!(out, "<li>{}</li>", escape(note));
        }
        out.push_str("</ul>\n");
    }
    if style.explain && !section.working.is_empty() {
        out.push_str("<details open><summary>Working</summary>\n<pre>");
        for line in &section.working {
            let _ = writeln!(out, "{}", escape(&line.to_string()));
        }
        out.push_str("</pre></details>\n");
    }
}

/// A chart, with its title as the caption and the section's table as its
/// text alternative.
fn figure(out: &mut String, chart: &Chart, section: &Section) {
    let title = escape(chart.title());
    let _ = writeln!(out, "<figure>\n<figcaption>{title}</figcaption>");
    let svg = match chart {
        Chart::Timeline { bars, deadline, .. } => timeline(bars, deadline.as_ref()),
        Chart::Shares { axis, parts, .. }
        | Chart::Columns {
            axis,
            columns: parts,
            ..
        } => horizontal_bars(*axis, parts, matches!(chart, Chart::Shares { .. })),
        Chart::Lines {
            x,
            y,
            x_title,
            y_title,
            series,
            x_mark,
            y_mark,
            ..
        } => lines(
            (*x, x_title),
            (*y, y_title),
            series,
            x_mark.as_ref(),
            y_mark.as_ref(),
        ),
        Chart::Scatter {
            x,
            y,
            x_title,
            y_title,
            points,
            ..
        } => scatter((*x, x_title), (*y, y_title), points),
    };
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"{title}; the figures are in the table {}\" {svg}</svg>\n</figure>\n",
        escape(&section.title),
    );
}

/// An x axis from 0 (from `from` on an axis of years) to `max` at the
/// bottom of a plot `top`..`bottom`, with grid lines: the scale maps a
/// value to its x.
fn x_axis(svg: &mut String, axis: Axis, max: f64, top: f64, bottom: f64) -> impl Fn(f64) -> f64 {
    x_axis_from(svg, axis, 0.0, max, top, bottom)
}

fn x_axis_from(
    svg: &mut String,
    axis: Axis,
    from: f64,
    max: f64,
    top: f64,
    bottom: f64,
) -> impl Fn(f64) -> f64 {
    let ticks: Vec<f64> = axis
        .ticks(max - from, 6)
        .into_iter()
        .map(|t| t + from)
        .collect();
    let end = (ticks.last().copied().unwrap_or(from + 1.0) - from).max(f64::MIN_POSITIVE);
    let scale = move |v: f64| LEFT + (WIDTH - LEFT - RIGHT) * ((v - from) / end);
    for tick in &ticks {
        let x = scale(*tick);
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{x:.1}\" y1=\"{top:.1}\" x2=\"{x:.1}\" y2=\"{bottom:.1}\"/><text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            bottom + 16.0,
            escape(&axis.label(*tick))
        );
    }
    let _ = write!(
        svg,
        "<line class=\"axis\" x1=\"{LEFT}\" y1=\"{bottom:.1}\" x2=\"{:.1}\" y2=\"{bottom:.1}\"/>",
        WIDTH - RIGHT
    );
    scale
}

fn timeline(bars: &[super::chart::Bar], deadline: Option<&Mark>) -> String {
    let row = 28.0;
    let top = 10.0;
    let bottom = top + row * bars.len() as f64 + 6.0;
    let height = bottom + 30.0;
    let end = bars
        .iter()
        .map(|b| b.start + b.length)
        .chain(deadline.map(|d| d.value))
        .fold(0.0, f64::max);
    let mut svg =
        format!("width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\">");
    let scale = x_axis(&mut svg, Axis::Seconds, end, top, bottom);
    for (index, bar) in bars.iter().enumerate() {
        let y = top + row * index as f64 + 4.0;
        let x = scale(bar.start);
        let width = (scale(bar.start + bar.length) - x).max(1.0);
        let colour = if bar.highlight { "#e15759" } else { "#4e79a7" };
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text><rect class=\"stage\" data-stage=\"{}\" data-start-s=\"{}\" data-seconds=\"{}\" x=\"{x:.2}\" y=\"{y:.1}\" width=\"{width:.2}\" height=\"{:.1}\" fill=\"{colour}\"><title>{}: {}</title></rect>",
            LEFT - 8.0,
            y + row / 2.0,
            escape(&left_label(&format!(
                "{}{}",
                bar.label,
                if bar.highlight { " (bottleneck)" } else { "" }
            ))),
            escape(&bar.label),
            number(bar.start),
            number(bar.length),
            row - 8.0,
            escape(&bar.label),
            escape(&Axis::Seconds.label(bar.length))
        );
    }
    if let Some(mark) = deadline {
        let x = scale(mark.value);
        let _ = write!(
            svg,
            "<line class=\"deadline\" data-seconds=\"{}\" x1=\"{x:.2}\" y1=\"{:.1}\" x2=\"{x:.2}\" y2=\"{bottom:.1}\"/><text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#c00\">{}</text>",
            number(mark.value),
            top - 4.0,
            top + 8.0,
            escape(&mark.label)
        );
    }
    svg
}

fn horizontal_bars(axis: Axis, parts: &[(String, f64)], shares: bool) -> String {
    let row = 26.0;
    let top = 10.0;
    let bottom = top + row * parts.len() as f64 + 6.0;
    let height = bottom + 30.0;
    let max = parts.iter().map(|p| p.1).fold(0.0, f64::max);
    let total: f64 = parts.iter().map(|p| p.1).sum();
    let mut svg =
        format!("width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\">");
    let scale = x_axis(&mut svg, axis, max, top, bottom);
    for (index, (label, value)) in parts.iter().enumerate() {
        let y = top + row * index as f64 + 4.0;
        let width = (scale(*value) - LEFT).max(0.0);
        let share = if shares && total > 0.0 {
            format!(" ({}%)", significant(value / total * 100.0))
        } else {
            String::new()
        };
        // The value after the bar, or inside its end when it would run
        // past the chart's edge.
        let text = format!("{}{share}", axis.label(*value));
        let fits_after = LEFT + width + 4.0 + text_width(&text) <= WIDTH;
        let value_text = if fits_after {
            format!(
                "<text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                LEFT + width + 4.0,
                y + row / 2.0,
                escape(&text)
            )
        } else {
            format!(
                "<text class=\"inside\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#fff\">{}</text>",
                LEFT + width - 4.0,
                y + row / 2.0,
                escape(&text)
            )
        };
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text><rect class=\"bar\" data-value=\"{}\" x=\"{LEFT}\" y=\"{y:.1}\" width=\"{width:.2}\" height=\"{:.1}\" fill=\"{}\"><title>{}: {}{share}</title></rect>{value_text}",
            LEFT - 8.0,
            y + row / 2.0,
            escape(&left_label(label)),
            number(*value),
            row - 8.0,
            PALETTE[index % PALETTE.len()],
            escape(label),
            escape(&axis.label(*value)),
        );
    }
    svg
}

fn significant(value: f64) -> String {
    crate::units::significant(value, 3)
}

/// A label left of a chart's plot, cut to the margin it has (with `…`): the
/// whole of it is in the bar's tooltip and in the table under the chart.
fn left_label(label: &str) -> String {
    let room = ((LEFT - 12.0) / 7.5) as usize;
    if label.chars().count() <= room {
        return label.to_string();
    }
    let mut cut: String = label.chars().take(room.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// About how wide a label is drawn at the charts' 12 px sans-serif: wide
/// enough never to be under, so a label judged to fit does.
pub(crate) fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * 7.5
}

/// The value axis from 0: its ticks and grid lines, the axis line, and
/// both axes' titles; returns where a value sits on it.
fn y_axis(
    svg: &mut String,
    kind: Axis,
    y_max: f64,
    (top, bottom): (f64, f64),
    (x_title, y_title): (&str, &str),
) -> impl Fn(f64) -> f64 {
    let y_ticks = kind.ticks(y_max, 5);
    let y_end = y_ticks
        .last()
        .copied()
        .unwrap_or(1.0)
        .max(f64::MIN_POSITIVE);
    let y = move |v: f64| bottom - (bottom - top) * (v / y_end);
    for tick in &y_ticks {
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{LEFT}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            y(*tick),
            WIDTH - RIGHT,
            y(*tick),
            LEFT - 6.0,
            y(*tick) + 4.0,
            escape(&kind.label(*tick))
        );
    }
    let _ = write!(
        svg,
        "<line class=\"axis\" x1=\"{LEFT}\" y1=\"{top}\" x2=\"{LEFT}\" y2=\"{bottom}\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text><text transform=\"translate(14 {:.1}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
        (LEFT + WIDTH - RIGHT) / 2.0,
        bottom + 36.0,
        escape(x_title),
        (top + bottom) / 2.0,
        escape(y_title)
    );
    y
}

/// Labelled points on two axes from 0.
fn scatter(
    (x_kind, x_title): (Axis, &String),
    (y_kind, y_title): (Axis, &String),
    points: &[(String, f64, f64)],
) -> String {
    let height = 300.0;
    let (top, bottom) = (16.0, height - 48.0);
    let x_max = points.iter().map(|p| p.1).fold(0.0, f64::max);
    let y_max = points.iter().map(|p| p.2).fold(0.0, f64::max);
    let mut svg = format!(
        "width=\"{WIDTH}\" height=\"{}\" viewBox=\"0 0 {WIDTH} {}\">",
        height + 20.0,
        height + 20.0
    );
    let x = x_axis(&mut svg, x_kind, x_max, top, bottom);
    let y = y_axis(&mut svg, y_kind, y_max, (top, bottom), (x_title, y_title));
    for (index, (label, px, py)) in points.iter().enumerate() {
        let _ = write!(
            svg,
            "<circle class=\"point\" data-name=\"{}\" data-x=\"{}\" data-y=\"{}\" cx=\"{:.2}\" cy=\"{:.2}\" r=\"5\" fill=\"{}\"><title>{}: {}, {}</title></circle><text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            escape(label),
            number(*px),
            number(*py),
            x(*px),
            y(*py),
            PALETTE[index % PALETTE.len()],
            escape(label),
            escape(&x_kind.label(*px)),
            escape(&y_kind.label(*py)),
            x(*px) + 8.0,
            y(*py) - 6.0,
            escape(label)
        );
    }
    svg
}

fn lines(
    (x_axis_kind, x_title): (Axis, &String),
    (y_axis_kind, y_title): (Axis, &String),
    series: &[super::chart::Series],
    x_mark: Option<&Mark>,
    y_mark: Option<&Mark>,
) -> String {
    let height = 300.0;
    let (top, bottom) = (16.0, height - 48.0);
    let x_max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .fold(0.0, f64::max);
    // Calendar years start where the data does, not at year 0.
    let x_min = match x_axis_kind {
        Axis::Year => series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .fold(f64::INFINITY, f64::min),
        _ => 0.0,
    };
    let x_min = if x_min.is_finite() { x_min } else { 0.0 };
    let y_max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .chain(y_mark.map(|m| m.value))
        .fold(0.0, f64::max);
    let mut svg = format!(
        "width=\"{WIDTH}\" height=\"{}\" viewBox=\"0 0 {WIDTH} {}\">",
        height + 20.0,
        height + 20.0
    );
    let x = x_axis_from(&mut svg, x_axis_kind, x_min, x_max, top, bottom);
    let y = y_axis(
        &mut svg,
        y_axis_kind,
        y_max,
        (top, bottom),
        (x_title, y_title),
    );
    for (index, line) in series.iter().enumerate() {
        let points: Vec<String> = line
            .points
            .iter()
            .map(|(px, py)| format!("{:.2},{:.2}", x(*px), y(*py)))
            .collect();
        let colour = PALETTE[index % PALETTE.len()];
        let dash = if line.dashed {
            " stroke-dasharray=\"5 4\""
        } else {
            ""
        };
        let _ = write!(
            svg,
            "<polyline class=\"series\" data-name=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"{dash} points=\"{}\"/>",
            escape(&line.name),
            points.join(" ")
        );
        let legend_y = top + 14.0 * index as f64 + 24.0;
        let _ = write!(
            svg,
            "<line x1=\"{:.1}\" y1=\"{legend_y:.1}\" x2=\"{:.1}\" y2=\"{legend_y:.1}\" stroke=\"{colour}\" stroke-width=\"2\"{dash}/><text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            WIDTH - RIGHT - 200.0,
            WIDTH - RIGHT - 180.0,
            WIDTH - RIGHT - 174.0,
            legend_y + 4.0,
            escape(&line.name)
        );
    }
    if let Some(mark) = y_mark {
        let at = y(mark.value);
        let _ = write!(
            svg,
            "<line class=\"deadline\" data-value=\"{}\" x1=\"{LEFT}\" y1=\"{at:.2}\" x2=\"{:.1}\" y2=\"{at:.2}\"/><text x=\"{:.1}\" y=\"{:.1}\" fill=\"#c00\">{}</text>",
            number(mark.value),
            WIDTH - RIGHT,
            LEFT + 6.0,
            at - 4.0,
            escape(&mark.label)
        );
    }
    if let Some(mark) = x_mark {
        let at = x(mark.value);
        let _ = write!(
            svg,
            "<line class=\"mark\" data-value=\"{}\" x1=\"{at:.2}\" y1=\"{top}\" x2=\"{at:.2}\" y2=\"{bottom}\"/><text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            number(mark.value),
            at + 4.0,
            bottom - 6.0,
            escape(&mark.label)
        );
    }
    svg
}
