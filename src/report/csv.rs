//! CSV for spreadsheets: one row per figure or per table row, taken from
//! the command's JSON so the header names are the JSON's keys, in base
//! units (`sequential_s`, `raw_bytes_per_day`). Nested objects flatten to
//! `parent_child`; a list of plain values becomes numbered columns
//! (`values_1`, `values_2`, …); lists of objects are nested tables and are
//! left to the JSON. Quoting is RFC 4180: a field with a comma, a quote or
//! a line break is quoted, quotes doubled; lines end in CRLF.

use serde_json::{Map, Value};

/// The rows under `pointer` (a JSON pointer to an array of objects, or to
/// one object for a one-row table) as CSV. A one-row table may name more
/// pointers after `|`: each one present adds its figures to the row under
/// its last segment's name (`/reliability` → `reliability_run_success`).
pub fn render(json: &Value, pointer: &str) -> String {
    let mut pointers = pointer.split('|');
    let first = pointers.next().unwrap_or("");
    let mut rows: Vec<Map<String, Value>> = match json.pointer(first) {
        Some(Value::Array(items)) => items.iter().map(flatten).collect(),
        Some(value @ Value::Object(_)) => vec![flatten(value)],
        _ => Vec::new(),
    };
    if let [row] = rows.as_mut_slice() {
        for extra in pointers {
            let name = extra.rsplit('/').next().unwrap_or(extra);
            match json.pointer(extra) {
                None | Some(Value::Null) => {}
                Some(value) => flatten_into(row, name, value),
            }
        }
    }
    let mut header: Vec<String> = Vec::new();
    for row in &rows {
        for key in row.keys() {
            if !header.contains(key) {
                header.push(key.clone());
            }
        }
    }
    let mut out = line(header.iter().map(String::as_str));
    for row in &rows {
        let cells: Vec<String> = header
            .iter()
            .map(|key| row.get(key).map_or_else(String::new, cell))
            .collect();
        out.push_str(&line(cells.iter().map(String::as_str)));
    }
    out
}

/// A table as CSV: its header, then each row.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = line(header.iter().copied());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str)));
    }
    out
}

fn flatten(value: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    if let Value::Object(object) = value {
        for (key, value) in object {
            flatten_into(&mut out, key, value);
        }
    } else {
        out.insert("value".into(), value.clone());
    }
    out
}

fn flatten_into(out: &mut Map<String, Value>, key: &str, value: &Value) {
    match value {
        Value::Object(object) => {
            for (child, value) in object {
                flatten_into(out, &format!("{key}_{child}"), value);
            }
        }
        Value::Array(items) if items.iter().all(|v| !v.is_object() && !v.is_array()) => {
            for (index, item) in items.iter().enumerate() {
                out.insert(format!("{key}_{}", index + 1), item.clone());
            }
        }
        Value::Array(_) => {}
        scalar => {
            out.insert(key.to_string(), scalar.clone());
        }
    }
}

fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn line<'a>(cells: impl Iterator<Item = &'a str>) -> String {
    let mut text = cells
        .map(|cell| quote(&inert(cell)))
        .collect::<Vec<_>>()
        .join(",");
    text.push_str("\r\n");
    text
}

/// A cell a spreadsheet shows and never runs: text beginning with `=`,
/// `+`, `-`, `@`, a tab or a carriage return is a formula to Excel and
/// LibreOffice (`=HYPERLINK(…)` from a Spark tag), so it gets a leading `'`
/// as OWASP advises; a number (`-0.5`) stays a number. Control characters
/// are shown as escapes.
fn inert(cell: &str) -> String {
    // A negative quantity as a report writes it (`-3.639 h`, `-68 GB`) is
    // a minus, digits, and a unit: no operator, no call, nothing to run.
    let negative_quantity = cell.strip_prefix('-').is_some_and(|rest| {
        rest.starts_with(|c: char| c.is_ascii_digit())
            && rest
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '.' | ',' | ' ' | '%' | '/'))
    });
    let formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
        && cell.parse::<f64>().is_err()
        && !negative_quantity;
    let cell = crate::text::printable(cell);
    if formula {
        format!("'{cell}")
    } else {
        cell.into_owned()
    }
}

fn quote(field: &str) -> String {
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_one_row_table_takes_the_extra_blocks_that_are_there() {
        let json = serde_json::json!({
            "summary": { "total_usd_per_month": 38.89 },
            "reliability": { "run_success": 0.9995 },
            "cost": { "warehouse_usd_per_day": 0.95 },
        });
        let csv = render(
            &json,
            "/summary|/reliability|/streaming|/cost/warehouse_usd_per_day",
        );
        assert_eq!(
            csv,
            "total_usd_per_month,reliability_run_success,warehouse_usd_per_day\r\n38.89,0.9995,0.95\r\n"
        );
    }
    use serde_json::json;

    #[test]
    fn rows_flatten_and_quote_as_rfc_4180_says() {
        let json = json!({ "rows": [
            { "name": "a, b", "time_s": 1.5, "nested": { "x_bytes": 3 }, "values": [1, 2], "skip": [{}] },
            { "name": "say \"hi\"", "time_s": null, "extra": true },
        ]});
        assert_eq!(
            render(&json, "/rows"),
            "name,time_s,nested_x_bytes,values_1,values_2,extra\r\n\
             \"a, b\",1.5,3,1,2,\r\n\
             \"say \"\"hi\"\"\",,,,,true\r\n"
        );
    }

    /// Issue 25: a Spark tag `=HYPERLINK(…)` reached a cell as a formula.
    #[test]
    fn a_cell_that_would_be_a_formula_is_inert() {
        let json = json!({ "rows": [
            { "stage": "=HYPERLINK(\"http://x\",\"y\")", "delta": "-0.5", "note": "@SUM(A1)" },
            { "stage": "+1+1", "delta": -2, "note": "\u{1b}[31mred" },
            { "stage": "-1+cmd|' /C calc'!A0", "delta": "-3.639 h", "note": "-68 GB" },
        ]});
        assert_eq!(
            render(&json, "/rows"),
            "stage,delta,note\r\n\
             \"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",-0.5,'@SUM(A1)\r\n\
             '+1+1,-2,\\u{1b}[31mred\r\n\
             '-1+cmd|' /C calc'!A0,-3.639 h,-68 GB\r\n"
        );
    }

    #[test]
    fn one_object_is_one_row() {
        let json =
            json!({ "summary": { "sequential_s": 2700.0, "raw_bytes_per_day": 5000000000u64 } });
        assert_eq!(
            render(&json, "/summary"),
            "sequential_s,raw_bytes_per_day\r\n2700.0,5000000000\r\n"
        );
    }
}
