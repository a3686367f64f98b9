//! One log line: parsed, validated, or refused with a reason.
//!
//! The parser is a hand-written serde visitor so that it can note fields it
//! does not know (schema drift) without buffering the line into a generic
//! map, which would halve ingest throughput.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

use super::calendar::parse_timestamp;

/// A log line's fields, as written.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RawEvent {
    pub event_id: Option<String>,
    pub user_id: Option<String>,
    pub session_id: Option<String>,
    pub page: Option<String>,
    pub timestamp: Option<String>,
    pub action: Option<String>,
    pub user_agent: Option<String>,
    pub referrer: Option<String>,
    pub ip: Option<String>,
    pub locale: Option<String>,
    pub screen: Option<String>,
    /// Fields the pipeline does not know, kept as JSON text.
    pub extra: BTreeMap<String, String>,
}

impl<'de> Deserialize<'de> for RawEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EventVisitor;
        impl<'de> Visitor<'de> for EventVisitor {
            type Value = RawEvent;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawEvent, A::Error> {
                let mut event = RawEvent::default();
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    let slot = match key.as_ref() {
                        "event_id" => &mut event.event_id,
                        "user_id" => &mut event.user_id,
                        "session_id" => &mut event.session_id,
                        "page" => &mut event.page,
                        "timestamp" => &mut event.timestamp,
                        "action" => &mut event.action,
                        "user_agent" => &mut event.user_agent,
                        "referrer" => &mut event.referrer,
                        "ip" => &mut event.ip,
                        "locale" => &mut event.locale,
                        "screen" => &mut event.screen,
                        other => {
                            let value: serde_json::Value = map.next_value()?;
                            event.extra.insert(other.to_string(), value.to_string());
                            continue;
                        }
                    };
                    *slot = map.next_value::<Option<TextOrOther>>()?.and_then(|v| v.0);
                }
                Ok(event)
            }
        }
        deserializer.deserialize_map(EventVisitor)
    }
}

/// A string field; a number or other value where a string belongs is kept
/// as `None` rather than failing the whole line.
struct TextOrOther(Option<String>);

impl<'de> Deserialize<'de> for TextOrOther {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = TextOrOther;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TextOrOther, E> {
                Ok(TextOrOther(Some(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<TextOrOther, E> {
                Ok(TextOrOther(Some(v)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<TextOrOther, E> {
                Ok(TextOrOther(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<TextOrOther, E> {
                Ok(TextOrOther(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<TextOrOther, E> {
                Ok(TextOrOther(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<TextOrOther, E> {
                Ok(TextOrOther(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<TextOrOther, E> {
                Ok(TextOrOther(None))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<TextOrOther, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(TextOrOther(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TextOrOther, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(TextOrOther(None))
            }
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

/// Why a line was quarantined. The category is what the report counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotUtf8,
    TooLong { bytes: usize, limit: usize },
    Malformed(String),
    MissingTimestamp,
    BadTimestamp(String),
    MissingPage,
    MissingEventId,
}

impl Refusal {
    pub fn category(&self) -> &'static str {
        match self {
            Refusal::NotUtf8 => "not_utf8",
            Refusal::TooLong { .. } => "too_long",
            Refusal::Malformed(_) => "malformed_json",
            Refusal::MissingTimestamp => "missing_timestamp",
            Refusal::BadTimestamp(_) => "bad_timestamp",
            Refusal::MissingPage => "missing_page",
            Refusal::MissingEventId => "missing_event_id",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotUtf8 => f.write_str("not UTF-8 text"),
            Refusal::TooLong { bytes, limit } => {
                write!(
                    f,
                    "line of {bytes} bytes is longer than the {limit}-byte limit"
                )
            }
            Refusal::Malformed(why) => write!(f, "malformed JSON: {why}"),
            Refusal::MissingTimestamp => f.write_str("no timestamp"),
            Refusal::BadTimestamp(text) => {
                write!(f, "timestamp `{text}` is not YYYY-MM-DDTHH:MM:SS[.mmm]Z")
            }
            Refusal::MissingPage => f.write_str("no page"),
            Refusal::MissingEventId => f.write_str("no event_id"),
        }
    }
}

/// A line that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidEvent {
    pub raw: RawEvent,
    pub timestamp_ms: i64,
}

/// Parses and validates one line (without its newline).
pub fn validate(line: &[u8], limit: usize) -> Result<ValidEvent, Refusal> {
    if line.len() > limit {
        return Err(Refusal::TooLong {
            bytes: line.len(),
            limit,
        });
    }
    let text = std::str::from_utf8(line).map_err(|_| Refusal::NotUtf8)?;
    let raw: RawEvent =
        serde_json::from_str(text).map_err(|e| Refusal::Malformed(e.to_string()))?;
    let timestamp = raw.timestamp.as_deref().ok_or(Refusal::MissingTimestamp)?;
    let timestamp_ms =
        parse_timestamp(timestamp).ok_or_else(|| Refusal::BadTimestamp(timestamp.to_string()))?;
    if raw.page.as_deref().is_none_or(str::is_empty) {
        return Err(Refusal::MissingPage);
    }
    if raw.event_id.as_deref().is_none_or(str::is_empty) {
        return Err(Refusal::MissingEventId);
    }
    Ok(ValidEvent { raw, timestamp_ms })
}

/// The product id of a product page: `/product/p` and six digits.
pub fn product_id(page: &str) -> Result<&str, ProductError> {
    let Some(id) = page.strip_prefix("/product/") else {
        return Err(ProductError::NotAProductPage);
    };
    let id = id.split(['?', '#']).next().unwrap_or("");
    let well_formed =
        id.len() == 7 && id.starts_with('p') && id[1..].bytes().all(|b| b.is_ascii_digit());
    if well_formed {
        Ok(id)
    } else {
        Err(ProductError::Invalid)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductError {
    NotAProductPage,
    Invalid,
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"event_id":"e1","user_id":null,"session_id":"s1","page":"/product/p000123","timestamp":"2024-01-15T00:00:01.000Z","action":"page_view","experiment":"x","n":3}"#;

    #[test]
    fn a_good_line_with_new_fields() {
        let event = validate(LINE.as_bytes(), 1 << 20).unwrap();
        assert_eq!(event.raw.user_id, None);
        assert_eq!(event.raw.extra["experiment"], "\"x\"");
        assert_eq!(event.raw.extra["n"], "3");
        assert_eq!(
            product_id(event.raw.page.as_deref().unwrap()),
            Ok("p000123")
        );
    }

    #[test]
    fn bad_lines_are_refused_with_a_reason() {
        let refuse = |line: &[u8]| validate(line, 200).unwrap_err().category();
        assert_eq!(refuse(&LINE.as_bytes()[..40]), "malformed_json");
        assert_eq!(refuse(b"\xff\xfe binary"), "not_utf8");
        assert_eq!(
            refuse(
                LINE.replace("\"timestamp\":\"2024-01-15T00:00:01.000Z\",", "")
                    .as_bytes()
            ),
            "missing_timestamp"
        );
        assert_eq!(
            refuse(LINE.replace("2024-01-15T00", "2024-01-15 00").as_bytes()),
            "bad_timestamp"
        );
        assert_eq!(refuse(&[b'x'; 300]), "too_long");
        assert_eq!(refuse(b"[1,2]"), "malformed_json");
    }

    #[test]
    fn product_ids_are_p_and_six_digits() {
        assert_eq!(product_id("/product/p012345?ref=x"), Ok("p012345"));
        assert_eq!(product_id("/product/p-1"), Err(ProductError::Invalid));
        assert_eq!(product_id("/product/p1234567"), Err(ProductError::Invalid));
        assert_eq!(product_id("/product/"), Err(ProductError::Invalid));
        assert_eq!(product_id("/cart"), Err(ProductError::NotAProductPage));
    }
}
