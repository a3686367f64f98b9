//! The HTML report's charts are right: read back from the SVG, the
//! lecture's timeline has its bars in proportion 10:20:10:5 and its
//! deadline line at 60 minutes, and every chart has its table beside it.

use std::path::Path;

use pipecalc::commands::{self, Output, WhatIf};
use pipecalc::report::{Format, Style, Width};

fn html(args: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(args);
    commands::estimate(
        &path,
        &WhatIf::default(),
        &Output::new(
            Format::Html,
            Style {
                explain: false,
                width: Width::Fixed(120),
            },
        ),
    )
    .unwrap()
}

/// The value of `attribute` in every element that starts with `element`.
fn attributes(html: &str, element: &str, attribute: &str) -> Vec<f64> {
    html.split(element)
        .skip(1)
        .filter_map(|rest| {
            let tag = &rest[..rest.find('>')?];
            let start = tag.find(&format!(" {attribute}=\""))? + attribute.len() + 3;
            let end = start + tag[start..].find('"')?;
            tag[start..end].parse().ok()
        })
        .collect()
}

#[test]
fn the_lecture_timeline_is_drawn_in_proportion_with_the_deadline_at_an_hour() {
    let page = html("scenarios/clickstream.yaml");
    let seconds = attributes(&page, "<rect class=\"stage\"", "data-seconds");
    assert_eq!(seconds, vec![600.0, 1200.0, 600.0, 300.0]);
    let widths = attributes(&page, "<rect class=\"stage\"", "width");
    let xs = attributes(&page, "<rect class=\"stage\"", "x");
    assert_eq!(widths.len(), 4);
    // Drawn widths in proportion 10:20:10:5, one after another.
    for (width, minutes) in widths.iter().zip([10.0, 20.0, 10.0, 5.0]) {
        let per_minute = widths[0] / 10.0;
        assert!(
            (width / per_minute - minutes).abs() < 0.01 * minutes,
            "{widths:?}"
        );
    }
    for index in 1..4 {
        assert!((xs[index] - (xs[index - 1] + widths[index - 1])).abs() < 0.1);
    }
    // The deadline line at 60 minutes on the same scale.
    let deadline = attributes(&page, "<line class=\"deadline\"", "x1")[0];
    let per_minute = widths[0] / 10.0;
    assert!(
        (deadline - (xs[0] + 60.0 * per_minute)).abs() < 0.1,
        "{deadline}"
    );
}

#[test]
fn the_page_stands_alone_and_every_chart_has_a_title_and_its_table() {
    let page = html("scenarios/clickstream.yaml");
    assert!(page.starts_with("<!DOCTYPE html>"));
    for forbidden in ["<link", "src=\"http", "@import", "url(http"] {
        assert!(!page.contains(forbidden), "fetches something: {forbidden}");
    }
    let figures = page.matches("<figure>").count();
    assert_eq!(figures, page.matches("<figcaption>").count());
    assert_eq!(figures, page.matches("<svg ").count());
    assert!(figures >= 3, "timeline, storage and cost shares");
    // Each chart's text alternative names the table it was drawn from.
    assert!(page.contains("aria-label=\"One run with 1 worker(s): 45 min in all; the figures are in the table Time (one run)\""));
}
