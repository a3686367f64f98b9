//! Snapshots of every bundled scenario in every format, and of the error
//! every bad scenario gets.

use std::path::Path;

use pipecalc::report::{self, Format, Style};

/// The path as a user would type it from the project root, so snapshots do
/// not depend on where the project is checked out.
fn relative(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    path.strip_prefix(root)
        .expect("inside the project")
        .display()
        .to_string()
}

const FIXED: Style = Style {
    explain: false,
    width: Some(120),
};
const EXPLAINED: Style = Style {
    explain: true,
    width: Some(120),
};

#[test]
fn bundled_scenarios_in_every_format() {
    insta::glob!("../scenarios", "*.yaml", |path| {
        let scenario = pipecalc::load(Path::new(&relative(path))).expect("bundled scenarios load");
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let name = |format: &str| format!("{stem}.{format}");
        let estimate = pipecalc::estimate(&scenario);
        let plain = report::estimate::document(&scenario, &estimate, false);
        let explained = report::estimate::document(&scenario, &estimate, true);
        insta::assert_snapshot!(name("table"), report::render(&plain, Format::Table, FIXED));
        insta::assert_snapshot!(
            name("markdown"),
            report::render(&plain, Format::Markdown, FIXED)
        );
        insta::assert_snapshot!(
            name("explain"),
            report::render(&explained, Format::Table, EXPLAINED)
        );
        insta::assert_snapshot!(
            name("markdown_explain"),
            report::render(&explained, Format::Markdown, EXPLAINED)
        );
        insta::assert_snapshot!(
            name("json"),
            report::to_json(&report::json::estimate(&scenario, &estimate, false))
        );
        insta::assert_snapshot!(
            name("json_explain"),
            report::to_json(&report::json::estimate(&scenario, &estimate, true))
        );
    });
}

#[test]
fn bad_scenarios_get_one_clear_error() {
    insta::glob!("bad", "*.yaml", |path| {
        let error = pipecalc::load(Path::new(&relative(path)))
            .expect_err("every file under tests/bad is invalid");
        let chain: Vec<String> = error.chain().map(|cause| cause.to_string()).collect();
        // The file is named first; the field and its line follow.
        assert!(chain[0].contains(&relative(path)), "{chain:?}");
        insta::assert_snapshot!(chain.join("\ncaused by: "));
    });
}
