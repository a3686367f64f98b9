//! The documentation is run (issue 27): every fenced `sh` block of the
//! README and `docs/*.md` runs against the built binary, each command
//! exiting 0 (or the code its `# exits N` comment says), and a `text` block
//! right after it must appear in what the block's last command printed.
//!
//! A block that cannot run here (it needs Spark, Java or a benchmark's
//! minutes) is fenced `sh no-run` and its first line says why:
//! `# not run by the tests: …`. `cargo run --release -- ARGS` runs the
//! binary with ARGS; the other cargo set-up commands are what CI itself runs.
//! Shown output may write `[time]` where a timing stands: it matches any
//! one word there. A table's padding is compared as one space, since any
//! other row can widen a column. `PIPECALC_DOCS_BINARY=PATH` runs the docs
//! against another build.

mod common;

use std::path::{Path, PathBuf};

/// A fenced block: its info string, its text, and where it starts and ends.
struct Block {
    info: String,
    text: String,
    line: usize,
    end: usize,
}

fn blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, usize, Vec<&str>)> = None;
    for (index, line) in markdown.lines().enumerate() {
        match &mut open {
            None => {
                if let Some(info) = line.strip_prefix("```") {
                    open = Some((info.trim().to_string(), index + 1, Vec::new()));
                }
            }
            Some((_, _, lines)) if line.trim_start() != "```" => lines.push(line),
            Some(_) => {
                let (info, start, lines) = open.take().expect("open");
                blocks.push(Block {
                    info,
                    text: lines.join("\n"),
                    line: start,
                    end: index + 1,
                });
            }
        }
    }
    blocks
}

/// The commands of a block: lines joined at a trailing `\`, a loop or an
/// `if` to its end, a heredoc kept with its command, comments and blank
/// lines dropped.
fn commands(text: &str) -> Vec<String> {
    let mut commands = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut command = line.to_string();
        while command.trim_end().ends_with('\\') {
            match lines.next() {
                Some(next) => {
                    command.push('\n');
                    command.push_str(next);
                }
                None => break,
            }
        }
        // A loop or a condition is one command, to its `done` or `fi`.
        let opens = |line: &str| {
            let first = line.split_whitespace().next().unwrap_or("");
            matches!(first, "for" | "while" | "until" | "if") as i32
                - matches!(first, "done" | "fi") as i32
        };
        let mut depth = opens(&command);
        while depth > 0 {
            match lines.next() {
                Some(next) => {
                    depth += opens(next);
                    command.push('\n');
                    command.push_str(next);
                }
                None => break,
            }
        }
        if let Some(at) = command.find("<<'") {
            let marker: String = command[at + 3..]
                .chars()
                .take_while(|c| *c != '\'')
                .collect();
            for next in lines.by_ref() {
                command.push('\n');
                command.push_str(next);
                if next.trim() == marker {
                    break;
                }
            }
        }
        commands.push(command);
    }
    commands
}

/// The exit codes a command's `# exits N` (or `# exits 0 or 3`) comment
/// allows, else 0.
fn expected_exit(command: &str) -> Vec<i32> {
    let Some((_, rest)) = command.rsplit_once("# exits ") else {
        return vec![0];
    };
    let mut codes = Vec::new();
    let mut words = rest.split_whitespace();
    while let Some(code) = words
        .next()
        .and_then(|w| w.trim_end_matches([':', ';', ',']).parse().ok())
    {
        codes.push(code);
        if words.next() != Some("or") {
            break;
        }
    }
    if codes.is_empty() {
        vec![0]
    } else {
        codes
    }
}

/// A folder to run in, holding links to what the docs read (scenarios,
/// fixtures, scripts) and a `pipecalc` and `cargo` on its PATH.
fn sandbox(scratch: &common::Scratch) -> (PathBuf, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = scratch.path("work");
    let bin = scratch.path("bin");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::create_dir_all(&bin).unwrap();
    for linked in ["scenarios", "tests", "spark", "bench", "docs"] {
        std::os::unix::fs::symlink(root.join(linked), work.join(linked)).unwrap();
    }
    // PIPECALC_DOCS_BINARY: the docs against another build (an installed
    // pipecalc, or an older commit's, to see what they would have caught).
    let binary = std::env::var_os("PIPECALC_DOCS_BINARY").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_pipecalc")),
        PathBuf::from,
    );
    std::os::unix::fs::symlink(binary, bin.join("pipecalc")).unwrap();
    // `cargo run --release -- ARGS` is pipecalc ARGS; building and testing
    // are what CI itself does around this test.
    let cargo = bin.join("cargo");
    std::fs::write(
        &cargo,
        "#!/bin/sh\nif [ \"$1\" = run ]; then\n  while [ \"$1\" != -- ]; do shift; done; shift\n  exec pipecalc \"$@\"\nfi\nexit 0\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.display());
    (work, path)
}

/// Output as it is compared: a table's padding is the width of its widest
/// cell, which any other row can change, so runs of spaces and of the
/// box-drawing rules are one; a timing written `[time]` in the shown
/// output matches any value where it stands.
fn redact(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let mut previous = None;
        for c in line.trim_end().chars() {
            let fill = matches!(c, ' ' | '─' | '═' | '-');
            if !(fill && previous == Some(c)) {
                out.push(c);
            }
            previous = Some(c);
        }
        out.push('\n');
    }
    out
}

/// Whether `printed` holds `shown` line for line, a `[time]` in `shown`
/// standing for any one word of `printed`.
fn shows(printed: &str, shown: &str) -> bool {
    let printed: Vec<&str> = printed.lines().collect();
    let shown: Vec<&str> = shown.lines().collect();
    if shown.is_empty() {
        return true;
    }
    let line_matches = |printed: &str, shown: &str| {
        if !shown.contains("[time]") {
            return printed == shown;
        }
        let mut rest = printed;
        let parts: Vec<&str> = shown.split("[time]").collect();
        for (index, part) in parts.iter().enumerate() {
            match rest.find(part) {
                Some(0) => rest = &rest[part.len()..],
                Some(at) if index > 0 && !rest[..at].contains(' ') => {
                    rest = &rest[at + part.len()..]
                }
                _ => return false,
            }
        }
        rest.is_empty() || parts.last().is_some_and(|p| p.is_empty())
    };
    printed.windows(shown.len()).any(|window| {
        window
            .iter()
            .zip(&shown)
            .all(|(printed, shown)| line_matches(printed, shown))
    })
}

fn documents() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

#[cfg(unix)]
#[test]
fn every_documented_command_runs_and_prints_what_is_shown() {
    let mut failures = Vec::new();
    let mut ran = 0;
    for file in documents() {
        let name = file
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap()
            .display()
            .to_string();
        let markdown = std::fs::read_to_string(&file).unwrap();
        let blocks = blocks(&markdown);
        // One sandbox a document: its commands build on each other.
        let scratch = common::Scratch::new(&format!("docs-{}", name.replace(['/', '.'], "-")));
        let (work, path) = sandbox(&scratch);
        let mut compared = Vec::new();
        for (index, block) in blocks.iter().enumerate() {
            if block.info == "sh no-run" {
                if !block
                    .text
                    .trim_start()
                    .starts_with("# not run by the tests:")
                {
                    failures.push(format!(
                        "{name}:{}: a `sh no-run` block must say why on its first line (`# not run by the tests: …`)",
                        block.line
                    ));
                }
                continue;
            }
            if block.info != "sh" {
                continue;
            }
            let mut last = String::new();
            for command in commands(&block.text) {
                ran += 1;
                let out = std::process::Command::new("sh")
                    .arg("-c")
                    .arg(&command)
                    .current_dir(&work)
                    .env_clear()
                    .env("PATH", &path)
                    .env("NO_COLOR", "1")
                    .env("HOME", scratch.path("home"))
                    .output()
                    .unwrap();
                let expected = expected_exit(&command);
                if !out
                    .status
                    .code()
                    .is_some_and(|code| expected.contains(&code))
                {
                    failures.push(format!(
                        "{name}:{}: `{}` exited {:?}, the docs promise {expected:?}\n{}",
                        block.line,
                        command.lines().next().unwrap_or(""),
                        out.status.code(),
                        String::from_utf8_lossy(&out.stderr)
                    ));
                }
                last = String::from_utf8_lossy(&out.stdout).into_owned();
            }
            // The `text` blocks that follow it, with prose but no heading
            // and no other block between, show its last command's output.
            let lines: Vec<&str> = markdown.lines().collect();
            let mut previous_end = block.end;
            let shown_blocks = blocks[index + 1..].iter().take_while(|b| {
                let between = &lines[previous_end..b.line.saturating_sub(1)];
                let close = b.info == "text" && !between.iter().any(|l| l.starts_with('#'));
                if close {
                    previous_end = b.end;
                }
                close
            });
            for shown in shown_blocks {
                compared.push(shown.line);
                let want = redact(&shown.text);
                if !shows(&redact(&last), &want) {
                    failures.push(format!(
                        "{name}:{}: the output shown is not what the command before it printed:\n--- shown\n{want}--- printed\n{last}",
                        shown.line
                    ));
                }
            }
        }
        // A bare `text` block is output; output no command here prints is
        // a measurement (a benchmark's, a cluster's) fenced `text measured`,
        // or it would be output that can drift. Other kinds say what they
        // are (`text layout`).
        for block in blocks.iter().filter(|b| b.info == "text") {
            if !compared.contains(&block.line) {
                failures.push(format!(
                    "{name}:{}: a `text` block no command before it prints: put the command in a `sh` block before it, or fence it `text measured` when it is a measurement this test cannot repeat",
                    block.line
                ));
            }
        }
    }
    assert!(ran >= 20, "only {ran} documented commands found");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The runner itself: a failing command and drifted output are caught.
#[cfg(unix)]
#[test]
fn the_runner_catches_a_failing_command_and_drifted_output() {
    let markdown = "```sh\npipecalc estimate scenarios/clickstream.yaml --sensitivity 20\n```\n";
    let block = &blocks(markdown)[0];
    assert_eq!(commands(&block.text).len(), 1);
    assert_eq!(
        expected_exit("pipecalc x   # exits 3: over budget"),
        vec![3]
    );
    assert_eq!(
        expected_exit("pipecalc x   # exits 0 or 3 when off"),
        vec![0, 3]
    );
    assert_eq!(expected_exit("pipecalc x   # the lecture's"), vec![0]);
    let joined = commands("pipecalc run \\\n  --input x\ncat > a <<'LOG'\n{}\nLOG\n# a comment\n");
    assert_eq!(
        commands("for n in 1 2; do\n  if true; then\n    echo $n\n  fi\ndone\necho after\n"),
        vec![
            "for n in 1 2; do\n  if true; then\n    echo $n\n  fi\ndone",
            "echo after"
        ]
    );
    // A timing shown as `[time]` matches any value, but only there.
    assert!(shows("ran in 1.23 s\n", "ran in [time] s\n"));
    assert!(!shows("ran in 1.23 min\n", "ran in [time] s\n"));
    assert!(!shows("4 workers\n", "5 workers\n"));
    assert_eq!(redact("│ a   ┆     b │"), "│ a ┆ b │\n");
    assert_eq!(
        joined,
        vec!["pipecalc run \\\n  --input x", "cat > a <<'LOG'\n{}\nLOG"]
    );
}

/// Every test docs/reliability.md names as holding a promise exists: a
/// promise whose test was renamed or removed is caught here.
#[test]
fn every_test_the_reliability_page_names_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let page = std::fs::read_to_string(root.join("docs/reliability.md")).unwrap();
    let mut sources = String::new();
    let mut pending = vec![root.join("tests"), root.join("src")];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                sources.push_str(&std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut named = 0;
    for (index, piece) in page.split('`').enumerate() {
        // A test's name is a sentence: three words at least (a report's
        // key such as `cleared_leftovers` is not one).
        let looks_like_a_test = index % 2 == 1
            && piece.matches('_').count() >= 3
            && piece
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit());
        if looks_like_a_test {
            named += 1;
            assert!(
                sources.contains(&format!("fn {piece}(")),
                "docs/reliability.md names `{piece}`, which is no test"
            );
        }
    }
    assert!(named >= 30, "only {named} tests named");
}

/// The layout docs/library.md draws names only paths that exist.
#[test]
fn every_path_the_layout_names_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let guide = std::fs::read_to_string(root.join("docs/library.md")).unwrap();
    let layout = guide.split("## Layout").nth(1).expect("a layout section");
    let block = blocks(layout).into_iter().next().expect("a layout block");
    let mut named = 0;
    for line in block.text.lines() {
        // An indented line goes on describing the path above it.
        let path = line.split_whitespace().next().unwrap_or("");
        if path.is_empty() || line.starts_with(' ') {
            continue;
        }
        named += 1;
        assert!(
            root.join(path).exists(),
            "docs/library.md names `{path}`, which does not exist"
        );
    }
    assert!(named >= 10, "only {named} paths in the layout");
}
