//! Text from outside (a scenario's names, a log's keys, file names, Spark's
//! tags) made safe to show: no control character reaches a terminal, a
//! YAML comment or a report as itself.
//!
//! An escape sequence in a stage name would otherwise drive the terminal
//! (`\e]52;…` writes the clipboard), and a carriage return in a path would
//! start a new line of YAML inside a comment.

use std::borrow::Cow;

/// Whether `c` changes how text around it is shown or parsed: the C0 and
/// C1 controls (ESC, CR, BEL…), and the Unicode line and paragraph
/// separators and bidirectional overrides.
fn hazardous(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn escaped(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    // A CR that ends a line (`\r\n`, CSV's line end) is a line end too.
    let line_end = |rest: &str| rest.starts_with('\n');
    let kept = |c: char, rest: &str| {
        keep_newlines && (matches!(c, '\n' | '\t') || (c == '\r' && line_end(rest)))
    };
    if !text
        .char_indices()
        .any(|(i, c)| hazardous(c) && !kept(c, &text[i + c.len_utf8()..]))
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for (i, c) in text.char_indices() {
        match c {
            c if kept(c, &text[i + c.len_utf8()..]) => out.push(c),
            '\t' => out.push(' '),
            c if hazardous(c) => out.push_str(&c.escape_unicode().to_string()),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// One line of text with every control character shown as its escape
/// (`\u{1b}`), a tab as a space: for a table cell, a title, a comment line.
pub fn printable(text: &str) -> Cow<'_, str> {
    escaped(text, false)
}

/// [`printable`], keeping line breaks and tabs: for a message or a
/// report of several lines.
pub fn printable_lines(text: &str) -> Cow<'_, str> {
    escaped(text, true)
}

/// Levenshtein distance: how many characters to insert, delete or change
/// to turn one word into the other, for "did you mean" suggestions.
pub fn edit_distance(a: &str, b: &str) -> usize {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_shown_not_obeyed() {
        assert_eq!(printable("ingest"), "ingest");
        assert_eq!(
            printable("\u{1b}]52;c;aGk=\u{7}x"),
            "\\u{1b}]52;c;aGk=\\u{7}x"
        );
        assert_eq!(printable("a\rkeep: 0\nb"), "a\\u{d}keep: 0\\u{a}b");
        assert_eq!(printable_lines("a\nb\u{9b}\tc"), "a\nb\\u{9b}\tc");
        // CSV's line end stays; a lone CR does not.
        assert_eq!(printable_lines("a,b\r\nc\rd\r\n"), "a,b\r\nc\\u{d}d\r\n");
        assert_eq!(printable("right\u{202e}txt.exe"), "right\\u{202e}txt.exe");
        assert_eq!(printable("tab\there"), "tab here");
        assert_eq!(printable("café ✓"), "café ✓");
    }
}
