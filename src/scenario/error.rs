//! A scenario error in the form people click on, as rustc and cargo print
//! theirs: `file:line:column: error: what was wrong` first, then the key,
//! the line of the file with a caret under the place, and `help:` with
//! what is accepted.

use std::fmt;

/// One error in one scenario file, with its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    pub file: String,
    /// 1-based; 0 when the error has no place in the file (a missing section).
    pub line: usize,
    pub column: usize,
    /// The key path, `stages[0].output.keep`, when there is one.
    pub key: Option<String>,
    pub message: String,
    pub help: Option<String>,
    /// The file's line at `line`, to show under the message.
    pub source_line: Option<String>,
}

impl ScenarioError {
    /// An error at `line`:`column` of `text`; a problem worded "what was
    /// wrong; what is accepted" is split into the message and its help.
    pub fn at(
        file: &str,
        text: &str,
        line: usize,
        column: usize,
        key: Option<&str>,
        problem: &str,
    ) -> ScenarioError {
        let (message, help) = match problem.split_once("; ") {
            Some((message, help)) => (message.to_string(), Some(help.to_string())),
            None => (problem.to_string(), None),
        };
        let source_line = (line > 0)
            .then(|| text.lines().nth(line - 1))
            .flatten()
            .map(|l| l.trim_end().to_string());
        ScenarioError {
            file: file.to_string(),
            line,
            column,
            key: key.filter(|k| !k.is_empty()).map(str::to_string),
            message,
            help,
            source_line,
        }
    }
}

/// The most characters of a source line an error shows.
const SHOWN_CHARS: usize = 120;

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        } else {
            write!(f, "{}: ", self.file)?;
        }
        write!(f, "error: {}", self.message)?;
        if let Some(key) = &self.key {
            write!(f, "\n  key: {key}")?;
        }
        if let Some(source) = &self.source_line {
            let number = self.line.to_string();
            let gutter = " ".repeat(number.len());
            // The column counts characters: a byte offset would put the
            // caret early after an `é`, or inside it.
            let chars: Vec<char> = source.chars().collect();
            let start = self.column.saturating_sub(1).min(chars.len());
            let rest: String = chars[start..].iter().collect();
            // The caret underlines the key or the value at the column: up
            // to the end of a flow item, a comment or the line, and a key
            // up to its colon.
            let item = rest
                .find([',', '}', ']', '#'])
                .map_or(rest.as_str(), |end| &rest[..end]);
            let item = match item.find(':') {
                Some(colon)
                    if item[colon + 1..].is_empty() || item[colon + 1..].starts_with(' ') =>
                {
                    &item[..colon]
                }
                _ => item,
            };
            let token = item.trim_end().chars().count().clamp(1, SHOWN_CHARS / 2);
            // A long line (a minified file, a 300,000-item list) is shown
            // as a window around the place, not whole.
            let from = if chars.len() > SHOWN_CHARS {
                start.saturating_sub(SHOWN_CHARS / 3)
            } else {
                0
            };
            let to = (from + SHOWN_CHARS).min(chars.len());
            let shown = format!(
                "{}{}{}",
                if from > 0 { "…" } else { "" },
                chars[from..to].iter().collect::<String>(),
                if to < chars.len() { "…" } else { "" }
            );
            let indent: String = chars[from..start]
                .iter()
                .map(|c| if *c == '\t' { '\t' } else { ' ' })
                .collect();
            let indent = if from > 0 {
                format!(" {indent}")
            } else {
                indent
            };
            write!(
                f,
                "\n{gutter} |\n{number} | {shown}\n{gutter} | {indent}{}",
                "^".repeat(token)
            )?;
        }
        if let Some(help) = &self.help {
            write!(f, "\nhelp: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 25: a caret after an `é` landed early (the column is in
    /// characters, the slicing was in bytes), and a 780 KB line was shown
    /// whole.
    #[test]
    fn the_caret_counts_characters_and_a_long_line_is_a_window() {
        let text = "{ name: \"éééé\", volume: { events_per_day: 10 bananas } }\n";
        let shown = ScenarioError::at("s.yaml", text, 1, 43, None, "bad").to_string();
        let lines: Vec<&str> = shown.lines().collect();
        let at = lines[2]
            .chars()
            .collect::<String>()
            .find("10 bananas")
            .unwrap();
        let at = lines[2][..at].chars().count();
        let caret = lines[3].chars().position(|c| c == '^').unwrap();
        assert_eq!(at, caret, "{shown}");
        let long = format!("x: [{}]\n", "1,".repeat(300_000));
        let shown = ScenarioError::at("s.yaml", &long, 1, 400_001, None, "bad").to_string();
        assert!(shown.len() < 600, "{} bytes", shown.len());
        let lines: Vec<&str> = shown.lines().collect();
        assert!(lines[2].contains('…'), "{shown}");
    }

    #[test]
    fn the_place_comes_first_then_the_line_with_a_caret_then_help() {
        let text = "volume:\n  events_per_day: 10M\n  event_size: 500 bananas\n";
        let error = ScenarioError::at(
            "my.yaml",
            text,
            3,
            15,
            Some("volume.event_size"),
            "unknown unit `bananas`; sizes are B, kB, MB, GB, KiB, MiB, GiB",
        );
        assert_eq!(
            error.to_string(),
            "my.yaml:3:15: error: unknown unit `bananas`\n  key: volume.event_size\n  |\n3 |   event_size: 500 bananas\n  |               ^^^^^^^^^^^\nhelp: sizes are B, kB, MB, GB, KiB, MiB, GiB"
        );
    }
}
