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
            // The caret underlines the key or the value at the column: up
            // to the end of a flow item, a comment or the line, and a key
            // up to its colon.
            let start = self.column.saturating_sub(1).min(source.len());
            let rest = &source[start..];
            let item = rest
                .find([',', '}', ']', '#'])
                .map_or(rest, |end| &rest[..end]);
            let item = match item.find(':') {
                Some(colon)
                    if item[colon + 1..].is_empty() || item[colon + 1..].starts_with(' ') =>
                {
                    &item[..colon]
                }
                _ => item,
            };
            let token = item.trim_end().chars().count().max(1);
            let indent: String = source[..start]
                .chars()
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(
                f,
                "\n{gutter} |\n{number} | {source}\n{gutter} | {indent}{}",
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
