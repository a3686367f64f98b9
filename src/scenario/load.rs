//! Reading a scenario file: YAML syntax and structure errors worded for a
//! person, with the key path, line and column first.

use std::path::Path;

use anyhow::{Context, Result};

use super::check::Validator;
use super::raw::RawScenario;
use super::{End, Pick, Scenario, ScenarioError};

/// The largest scenario pipecalc reads: far above any hand-written file,
/// far below what would exhaust memory.
pub const MAX_SCENARIO_BYTES: u64 = 4 << 20;

/// Reads and validates a scenario file; `-` reads standard input.
pub fn load(path: &Path) -> Result<Scenario> {
    let (text, file) = read(path)?;
    parse(&text, &file)
}

/// A scenario's text and the name errors give it. Only regular files (and
/// standard input) are read, never more than `MAX_SCENARIO_BYTES`, so a
/// FIFO, `/dev/zero` or a 2 GB file is refused at once.
pub fn read(path: &Path) -> Result<(String, String)> {
    use std::io::Read;
    let stdin = path == Path::new("-");
    let file = if stdin {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    };
    let mut bytes = Vec::new();
    let limit = MAX_SCENARIO_BYTES + 1;
    if stdin {
        std::io::stdin()
            .lock()
            .take(limit)
            .read_to_end(&mut bytes)
            .context("cannot read the scenario from standard input")?;
    } else {
        let metadata =
            std::fs::metadata(path).with_context(|| format!("cannot read scenario `{file}`"))?;
        if !metadata.is_file() {
            anyhow::bail!(
                "cannot read scenario `{file}`: not a regular file (a scenario is a YAML file, or `-` for standard input)"
            );
        }
        std::fs::File::open(path)
            .and_then(|f| f.take(limit).read_to_end(&mut bytes))
            .with_context(|| format!("cannot read scenario `{file}`"))?;
    }
    if bytes.len() as u64 > MAX_SCENARIO_BYTES {
        anyhow::bail!(
            "cannot read scenario `{file}`: it is larger than {} MiB; a scenario is a short YAML file",
            MAX_SCENARIO_BYTES >> 20
        );
    }
    let text = String::from_utf8(bytes).map_err(|error| {
        let valid = error.utf8_error().valid_up_to();
        let bytes = error.as_bytes();
        let line = bytes[..valid].iter().filter(|b| **b == b'\n').count() + 1;
        let column = valid
            - bytes[..valid]
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |p| p + 1)
            + 1;
        anyhow::Error::new(ScenarioError {
            file: file.clone(),
            line,
            column,
            key: None,
            message: "not UTF-8 text".into(),
            help: Some("save the scenario as UTF-8".into()),
            source_line: None,
        })
    })?;
    Ok((text, file))
}

/// Parses and validates scenario text; `file` names it in errors and reports.
/// Ranged inputs are read at their likely values; every end of every range
/// is checked too, so a range that reaches a refused value (zero, say) is
/// refused here with its key and line.
pub fn parse(text: &str, file: &str) -> Result<Scenario> {
    let scenario = parse_with(text, file, &Pick::default())?;
    if !scenario.ranged.is_empty() {
        parse_with(text, file, &Pick::all(End::Low))?;
        parse_with(text, file, &Pick::all(End::High))?;
    }
    Ok(scenario)
}

/// Parses and validates scenario text with each range read as `pick` says.
pub fn parse_with(text: &str, file: &str, pick: &Pick) -> Result<Scenario> {
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
    let raw = raw.map_err(|e| anyhow::Error::new(describe_yaml_error(&e, &path, text, file)))?;
    check_raw(raw, text, file, pick)
}

/// Validates a scenario pipecalc built itself (a calibration), from its
/// values, never from the YAML it writes for the user: what the program
/// wrote is not read back. `file` names it in a (pipecalc's own) error.
pub fn from_raw(raw: RawScenario, file: &str) -> Result<Scenario> {
    check_raw(raw, "", file, &Pick::default())
}

fn check_raw(raw: RawScenario, text: &str, file: &str, pick: &Pick) -> Result<Scenario> {
    let written = super::raw::written_keys(&raw);
    let month_days = raw
        .month
        .as_ref()
        .and_then(|month| crate::units::parse_duration(&month.value.0).ok())
        .map_or(crate::units::MONTH_DAYS, |month| {
            crate::units::Quantity::base(&month) / crate::units::SECONDS_PER_DAY
        });
    let mut scenario = Validator {
        file,
        text,
        pick,
        ranged: Default::default(),
        warnings: Default::default(),
        month_days,
    }
    .scenario(raw)?;
    scenario.written = written;
    Ok(scenario)
}

fn describe_yaml_error(
    error: &serde_saphyr::Error,
    path: &str,
    text: &str,
    file: &str,
) -> ScenarioError {
    let message = match error {
        // The reader's limits against a hostile or broken file, named as a
        // person would ("Nodes { nodes: 250001 }" was the parser's Debug).
        serde_saphyr::Error::Budget { breach, .. } => {
            let debug = format!("{breach:?}");
            let what = debug.split_once('{').map_or(debug.as_str(), |(_, inside)| {
                inside.trim_end_matches('}').trim()
            });
            format!(
                "the file is larger or deeper than any scenario the reader accepts ({what} here, past its limits: 250,000 nodes, 64 levels of nesting, 50,000 aliases); a scenario is a short YAML file"
            )
        }
        _ => error.without_snippet().to_string(),
    };
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
    let message = misplaced(&message, path).unwrap_or(message);
    let (line, column) = error
        .location()
        .map_or((0, 0), |at| (at.line() as usize, at.column() as usize));
    ScenarioError::at(file, text, line, column, Some(path), &message)
}

/// A key of a stage's `output:` written on the stage itself, the slip
/// people make most: says where it belongs.
fn misplaced(message: &str, path: &str) -> Option<String> {
    const OUTPUT_KEYS: [&str; 7] = [
        "keep",
        "rows",
        "row_size",
        "fixed_size",
        "keys_grow",
        "keys_max",
        "key_skew",
    ];
    let key = message.strip_prefix("unknown field `")?.split('`').next()?;
    let stage = path.strip_prefix("stages[")?;
    let on_a_stage = stage
        .split_once('.')
        .is_some_and(|(index, rest)| index.ends_with(']') && rest == key);
    (on_a_stage && OUTPUT_KEYS.contains(&key)).then(|| {
        format!("unknown field `{key}` on a stage; `{key}` belongs under the stage's `output:` mapping, e.g. `output: {{ {key}: … }}`")
    })
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
        .map(|c| (crate::text::edit_distance(wrong, c), *c))
        .min();
    match best {
        Some((distance, candidate)) if distance <= wrong.len().max(3) / 2 + 1 => {
            format!("{message}; did you mean `{candidate}`?")
        }
        _ => message.to_string(),
    }
}
