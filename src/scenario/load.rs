//! Reading a scenario file: YAML syntax and structure errors worded for a
//! person, with the key path, line and column first.

use std::path::Path;

use anyhow::{anyhow, Context, Result};

use super::raw::RawScenario;
use super::validate::Validator;
use super::Scenario;

/// Reads and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario> {
    let file = path.display().to_string();
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read scenario `{file}`"))?;
    parse(&text, &file).with_context(|| format!("invalid scenario `{file}`"))
}

/// Parses and validates scenario text; `file` names it in errors and reports.
pub fn parse(text: &str, file: &str) -> Result<Scenario> {
    let mut path = String::new();
    let raw = serde_saphyr::with_deserializer_from_str_with_options(
        text,
        serde_saphyr::options! { with_snippet: false },
        |deserializer| {
            serde_path_to_error::deserialize::<_, RawScenario>(deserializer).map_err(|e| {
                path = e.path().to_string();
                e.into_inner()
            })
        },
    );
    let raw = raw.map_err(|e| anyhow!(describe_yaml_error(&e, &path)))?;
    Validator { file }.scenario(raw)
}

fn describe_yaml_error(error: &serde_saphyr::Error, path: &str) -> String {
    let message = error.without_snippet().to_string();
    // The parser appends " at line L, column C"; pipecalc puts the place first.
    let message = match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_string(),
        None => message,
    };
    // The parser's hint is for programmers configuring it, not for users.
    let message = message.replace(
        ", set DuplicateKeyPolicy in Options if acceptable",
        "; each key may appear once in a mapping",
    );
    let message = with_suggestion(&message);
    // `Spanned` wrappers add a `.value` segment that is not in the file.
    // `Spanned` wrappers add a `.value` segment that is not in the file, and
    // a key the parser could not name shows as `?`.
    let path = path
        .replace(".value", "")
        .replace(".?", "")
        .replace('?', "");
    let path = path.trim_end_matches('.');
    let place = match error.location() {
        Some(at) => format!("line {}, column {}", at.line(), at.column()),
        None => "somewhere in the file".to_string(),
    };
    if path.is_empty() {
        format!("{place}: {message}")
    } else {
        format!("`{path}` ({place}): {message}")
    }
}

/// Adds "did you mean `keep`?" to serde's unknown-field and unknown-variant
/// messages when one valid name is close to the misspelt one.
fn with_suggestion(message: &str) -> String {
    let Some(rest) = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))
    else {
        return message.to_string();
    };
    let Some((wrong, expected)) = rest.split_once('`') else {
        return message.to_string();
    };
    let candidates: Vec<&str> = expected
        .trim_start_matches(", expected one of ")
        .trim_start_matches(", expected ")
        .split(", ")
        .map(|c| c.trim_matches('`'))
        .filter(|c| !c.is_empty())
        .collect();
    let best = candidates
        .iter()
        .map(|c| (edit_distance(wrong, c), *c))
        .min();
    match best {
        Some((distance, candidate)) if distance <= wrong.len().max(3) / 2 + 1 => {
            format!("{message}; did you mean `{candidate}`?")
        }
        _ => message.to_string(),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}
