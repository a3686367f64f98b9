//! One log line: parsed, validated, or refused with a reason; and the
//! [`LogFormat`] that says how to read a log pipecalc did not write (its
//! field names, its product pages, how late is late).
//!
//! The parser is a hand-written serde visitor so that it can note fields it
//! does not know (schema drift) without buffering the line into a generic
//! map, which would halve ingest throughput.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use anyhow::{bail, Result};
use regex::Regex;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

/// The fields pipecalc reads, under the lecture's names.
pub const FIELDS: [&str; 11] = [
    "event_id",
    "user_id",
    "session_id",
    "page",
    "timestamp",
    "action",
    "user_agent",
    "referrer",
    "ip",
    "locale",
    "screen",
];

/// The default product rule: `/product/p` and six digits, the generator's.
pub const DEFAULT_PRODUCT_PATTERN: &str = r"^/product/(p[0-9]{6})(?:[?#].*)?$";
/// Pages under this prefix are product pages; one the pattern does not
/// match has an invalid product id.
pub const DEFAULT_PRODUCT_PAGES: &str = "/product/";
/// How far behind the latest event already seen in its file an event may
/// be and still be on time: 5 minutes.
pub const DEFAULT_ALLOWED_LATENESS_MS: i64 = 5 * 60 * 1000;

/// How to read a log: the JSON key of each field, which pages are product
/// pages and where their id is, and the lateness allowed before an event
/// counts as late.
#[derive(Clone, Debug)]
pub struct LogFormat {
    /// The JSON key of each of [`FIELDS`], in that order.
    keys: [String; 11],
    product_rule: ProductRule,
    product_pages: String,
    pub allowed_lateness_ms: i64,
}

impl Default for LogFormat {
    fn default() -> Self {
        LogFormat::new(
            &[],
            DEFAULT_PRODUCT_PATTERN,
            DEFAULT_PRODUCT_PAGES,
            DEFAULT_ALLOWED_LATENESS_MS,
        )
        .expect("the default format is valid")
    }
}

impl LogFormat {
    /// `renames`: `(field, key)` pairs, `("timestamp", "ts")`; `pattern`: a
    /// regular expression with one capture group, the product id.
    pub fn new(
        renames: &[(String, String)],
        pattern: &str,
        product_pages: &str,
        allowed_lateness_ms: i64,
    ) -> Result<LogFormat> {
        let mut keys = FIELDS.map(str::to_string);
        for (index, (field, _)) in renames.iter().enumerate() {
            if renames[..index].iter().any(|(earlier, _)| earlier == field) {
                bail!(
                    "`--field {field}=…` is given twice; give each field one key (`--field {field}=KEY` once)"
                );
            }
        }
        for (field, key) in renames {
            let Some(index) = FIELDS.iter().position(|f| f == field) else {
                bail!(
                    "`--field {field}={key}`: `{field}` is not a field pipecalc reads; fields are {}",
                    FIELDS.join(", ")
                );
            };
            if key.is_empty() {
                bail!("`--field {field}=`: give the key the logs use, e.g. `--field {field}=ts`");
            }
            keys[index] = key.clone();
        }
        for (index, key) in keys.iter().enumerate() {
            if let Some(other) = keys[index + 1..].iter().position(|k| k == key) {
                bail!(
                    "`{key}` is the key of both `{}` and `{}`; each field needs its own key",
                    FIELDS[index],
                    FIELDS[index + 1 + other]
                );
            }
        }
        let product_pattern = Regex::new(pattern).map_err(|e| {
            anyhow::anyhow!("`--product-pattern {pattern}` is not a regular expression: {e}")
        })?;
        if product_pattern.captures_len() != 2 {
            bail!(
                "`--product-pattern {pattern}` has {} capture groups; it needs exactly one, around the product id, e.g. `^/product/([0-9]+)$`",
                product_pattern.captures_len() - 1
            );
        }
        // The default pattern is matched by hand: the regex's captures were
        // a third of the transform's time. Any other pattern is the regex.
        let product_rule = if pattern == DEFAULT_PRODUCT_PATTERN {
            ProductRule::Lecture
        } else {
            ProductRule::Pattern(product_pattern)
        };
        Ok(LogFormat {
            keys,
            product_rule,
            product_pages: product_pages.to_string(),
            allowed_lateness_ms,
        })
    }

    /// The product id of a page: `Ok(id)` on a product page the pattern
    /// matches, else why not.
    /// The prefix of a product page (`--product-pages`).
    pub fn product_pages(&self) -> &str {
        &self.product_pages
    }

    /// Whether product ids come from a user's `--product-pattern` (a
    /// regular expression), not the built-in rule.
    pub fn uses_pattern(&self) -> bool {
        matches!(self.product_rule, ProductRule::Pattern(_))
    }

    pub fn product_id<'a>(&self, page: &'a str) -> Result<&'a str, ProductError> {
        if !page.starts_with(&self.product_pages) {
            return Err(ProductError::NotAProductPage);
        }
        let id = match &self.product_rule {
            ProductRule::Lecture => lecture_product_id(page),
            ProductRule::Pattern(pattern) => pattern
                .captures(page)
                .and_then(|c| c.get(1))
                .map(|id| id.as_str()),
        };
        match id {
            Some(id) if !id.is_empty() => Ok(id),
            _ => Err(ProductError::Invalid),
        }
    }
}

/// What a user's `--product-pattern` costs a page, against the built-in
/// rule, measured on this machine.
#[derive(Clone, Copy, Debug)]
pub struct PatternCost {
    pub pattern_ns: f64,
    pub built_in_ns: f64,
}

impl LogFormat {
    /// Times the user's pattern and the built-in rule over the same
    /// product pages (the best of three rounds of 4,096); `None` for the
    /// built-in rule itself.
    pub fn pattern_cost(&self) -> Option<PatternCost> {
        let ProductRule::Pattern(pattern) = &self.product_rule else {
            return None;
        };
        let pages: Vec<String> = (0..4096)
            .map(|i| match i % 3 {
                0 => format!("{}p{:06}", self.product_pages, i * 7 % 1_000_000),
                1 => format!("{}p{:06}?ref=mail&utm=x", self.product_pages, i),
                _ => format!("{}{}", self.product_pages, i * 13),
            })
            .collect();
        let best = |matcher: &dyn Fn(&str) -> Option<usize>| {
            (0..3)
                .map(|_| {
                    let start = std::time::Instant::now();
                    let found: usize = pages.iter().filter_map(|p| matcher(p)).sum();
                    std::hint::black_box(found);
                    start.elapsed().as_secs_f64() * 1e9 / pages.len() as f64
                })
                .fold(f64::INFINITY, f64::min)
        };
        let pattern_ns = best(&|page| {
            pattern
                .captures(page)
                .and_then(|c| c.get(1))
                .map(|m| m.len())
        });
        let built_in_ns = best(&|page| lecture_product_id(page).map(str::len));
        Some(PatternCost {
            pattern_ns,
            built_in_ns,
        })
    }
}

/// How a product page's id is found.
#[derive(Clone, Debug)]
enum ProductRule {
    /// [`DEFAULT_PRODUCT_PATTERN`], by [`lecture_product_id`].
    Lecture,
    /// A pattern of the user's, with one capture group.
    Pattern(Regex),
}

/// [`DEFAULT_PRODUCT_PATTERN`] matched by hand: `/product/p`, six ASCII
/// digits, then the end or a `?` or `#` and anything but a newline (as the
/// regex's `.` is).
fn lecture_product_id(page: &str) -> Option<&str> {
    let rest = page.strip_prefix("/product/")?;
    let bytes = rest.as_bytes();
    let id_ok = bytes.len() >= 7 && bytes[0] == b'p' && bytes[1..7].iter().all(u8::is_ascii_digit);
    if !id_ok {
        return None;
    }
    let tail = &bytes[7..];
    let tail_ok = match tail.first() {
        None => true,
        Some(b'?' | b'#') => !tail.contains(&b'\n'),
        Some(_) => false,
    };
    tail_ok.then(|| &rest[..7])
}

/// A log line's fields, as written: borrowed from the line where the JSON
/// string has no escape, so a typical line is parsed without allocating.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RawEvent<'a> {
    pub event_id: Option<Cow<'a, str>>,
    pub user_id: Option<Cow<'a, str>>,
    pub session_id: Option<Cow<'a, str>>,
    pub page: Option<Cow<'a, str>>,
    pub timestamp: Option<Cow<'a, str>>,
    pub action: Option<Cow<'a, str>>,
    pub user_agent: Option<Cow<'a, str>>,
    pub referrer: Option<Cow<'a, str>>,
    pub ip: Option<Cow<'a, str>>,
    pub locale: Option<Cow<'a, str>>,
    pub screen: Option<Cow<'a, str>>,
    /// Fields the pipeline does not know, kept as the JSON text they were
    /// written as.
    pub extra: Extra<'a>,
}

/// A line's unknown fields: each key with its value's JSON text as written,
/// both borrowed from the line (the key unescaped where it had an escape).
/// Half the lecture's lines carry one (schema drift): they are kept without
/// a parsed `Value`, a `String` or a map node each.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Extra<'a> {
    fields: Vec<(Cow<'a, str>, &'a str)>,
}

impl<'a> Extra<'a> {
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The unknown keys, sorted, each once.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|(key, _)| key.as_ref())
    }

    /// A field's JSON text.
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    fn push(&mut self, key: Cow<'a, str>, value: &'a str) {
        self.fields.push((key, value));
    }

    /// Sorts the keys; where a key is written twice, the last value wins
    /// (as a JSON object read into a map keeps it).
    fn settle(&mut self) {
        if self.fields.len() > 1 {
            // Reversed, the stable sort puts a key's last value first, and
            // `dedup` keeps the first.
            self.fields.reverse();
            self.fields.sort_by(|a, b| a.0.cmp(&b.0));
            self.fields.dedup_by(|later, first| later.0 == first.0);
        }
    }

    /// The fields as one JSON object, `{"key":value,…}`, keys sorted, into
    /// `out` (cleared first).
    pub fn write_json(&self, out: &mut String) {
        out.clear();
        out.push('{');
        for (index, (key, value)) in self.fields.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            let plain = !key.chars().any(|c| c == '"' || c == '\\' || c.is_control());
            if plain {
                out.push('"');
                out.push_str(key);
                out.push('"');
            } else {
                out.push_str(&serde_json::Value::String(key.to_string()).to_string());
            }
            out.push(':');
            out.push_str(value);
        }
        out.push('}');
    }
}

/// The order a log writes its keys in, learned as lines are read: after
/// field `i` the next key is most likely field `next[i]` (`next[11]` is the
/// first key of a line), so a key is usually matched with one comparison.
/// Any order is read correctly; a learned one is only faster.
#[derive(Debug)]
pub struct KeyOrder {
    next: [Cell<u8>; 12],
}

impl Default for KeyOrder {
    fn default() -> Self {
        // Until a log says otherwise, the lecture's order.
        KeyOrder {
            next: std::array::from_fn(|i| Cell::new(((i + 1) % 12) as u8)),
        }
    }
}

/// Reads one event under a [`LogFormat`]'s keys, into the caller's event:
/// returned by value, the event (about 300 bytes) was copied several times
/// a line on its way out, 4% of a run in `memcpy`.
struct EventSeed<'f, 'e, 'de> {
    format: &'f LogFormat,
    order: &'f KeyOrder,
    event: &'e mut RawEvent<'de>,
}

impl<'de> DeserializeSeed<'de> for EventSeed<'_, '_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

/// The index in [`FIELDS`] of the field under `key`, trying the one the
/// learned order expects after `previous` first.
fn field_of(format: &LogFormat, order: &KeyOrder, previous: usize, key: &str) -> Option<usize> {
    let keys = &format.keys;
    let guess = usize::from(order.next[previous].get());
    let field = if keys.get(guess).is_some_and(|k| same_key(k, key)) {
        guess
    } else {
        let found = keys.iter().position(|k| k == key)?;
        order.next[previous].set(found as u8);
        found
    };
    Some(field)
}

/// Whether two keys are the same. Keys are short: a call to `memcmp`, which
/// the plain `==` makes, profiled at 3% of a run, and a byte loop at 4%;
/// a key of 4 to 16 bytes is two overlapping words, its first and its last.
fn same_key(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| u64::from_ne_bytes(s[at..at + 8].try_into().expect("8 bytes"));
    let half = |s: &[u8], at: usize| u32::from_ne_bytes(s[at..at + 4].try_into().expect("4 bytes"));
    match n {
        0..4 => a == b,
        4..8 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

impl<'de> Visitor<'de> for EventSeed<'_, '_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let event = self.event;
        // 11 stands for the start of the line in the learned order.
        let mut previous = 11;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let Some(field) = field_of(self.format, self.order, previous, &key) else {
                let value: &'de serde_json::value::RawValue = map.next_value()?;
                event.extra.push(key, value.get());
                continue;
            };
            previous = field;
            // The timestamp may be a number: epoch seconds or milliseconds.
            // Both visitors read `null` as `None` themselves: an `Option`
            // around them peeked at every value twice (4% of ingest).
            let value = if field == 4 {
                map.next_value::<TextOrNumber>()?.0
            } else {
                map.next_value::<TextOrOther>()?.0
            };
            *event.slot(field) = value;
        }
        event.extra.settle();
        Ok(())
    }
}

impl<'a> RawEvent<'a> {
    /// The field at `index` of [`FIELDS`].
    fn slot(&mut self, index: usize) -> &mut Option<Cow<'a, str>> {
        match index {
            0 => &mut self.event_id,
            1 => &mut self.user_id,
            2 => &mut self.session_id,
            3 => &mut self.page,
            4 => &mut self.timestamp,
            5 => &mut self.action,
            6 => &mut self.user_agent,
            7 => &mut self.referrer,
            8 => &mut self.ip,
            9 => &mut self.locale,
            _ => &mut self.screen,
        }
    }
}

/// A key, borrowed from the line unless it has an escape. (serde's own
/// `Cow<str>` always allocates: it was a `malloc` and a `free` per key.)
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// A timestamp as written: text, or a number kept as its text.
struct TextOrNumber<'a>(Option<Cow<'a, str>>);

impl<'de> Deserialize<'de> for TextOrNumber<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TimeVisitor;
        impl<'de> Visitor<'de> for TimeVisitor {
            type Value = TextOrNumber<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a timestamp")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(TextOrNumber(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(TextOrNumber(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(TextOrNumber(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(TextOrNumber(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(TextOrNumber(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(TextOrNumber(None))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(TextOrNumber(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(TextOrNumber(Some(Cow::Borrowed("[…]"))))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(TextOrNumber(Some(Cow::Borrowed("{…}"))))
            }
        }
        deserializer.deserialize_any(TimeVisitor)
    }
}

/// Epoch numbers below this are seconds (up to the year 5138), at or above
/// it milliseconds (from March 1973).
const EPOCH_MILLIS_FROM: f64 = 1e11;

/// The event times a log may hold, in milliseconds since 1970: 1900-01-01
/// to 9999-12-31 in UTC, so every date partition is `date=YYYY-MM-DD`.
pub const EVENT_TIME_WINDOW_MS: std::ops::RangeInclusive<i64> =
    -2_208_988_800_000..=253_402_300_799_999;

/// A timestamp in milliseconds since 1970 UTC: RFC 3339 with `Z` or any
/// offset (`2024-01-15T01:30:00.000+01:00`), or epoch seconds or
/// milliseconds as a number.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    utc_millis(text.as_bytes()).or_else(|| parse_any_timestamp(text))
}

/// [`parse_timestamp`] of any form it reads: epoch seconds or
/// milliseconds, or RFC 3339 by chrono.
fn parse_any_timestamp(text: &str) -> Option<i64> {
    if let Ok(number) = text.parse::<f64>() {
        if !number.is_finite() {
            return None;
        }
        let millis = if number.abs() < EPOCH_MILLIS_FROM {
            number * 1000.0
        } else {
            number
        };
        // Years 0 to 9999, as RFC 3339 can write them.
        return (-62_167_219_200_000.0..=253_402_300_799_999.0)
            .contains(&millis)
            .then(|| millis.floor() as i64);
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|time| time.timestamp_millis())
}

/// The form nearly every log writes, `2024-01-15T07:30:00.123Z` or
/// without its milliseconds, read by hand: chrono's RFC 3339 parser was a
/// tenth of reading a line. Any other form, and any field out of its range
/// (a 30th of February, a leap second), gives `None` and is chrono's to
/// read or refuse.
fn utc_millis(text: &[u8]) -> Option<i64> {
    let millis_part = match text.len() {
        20 => None,
        24 if text[19] == b'.' => Some(&text[20..23]),
        _ => return None,
    };
    if text[4] != b'-'
        || text[7] != b'-'
        || text[10] != b'T'
        || text[13] != b':'
        || text[16] != b':'
        || text[text.len() - 1] != b'Z'
    {
        return None;
    }
    let number = |digits: &[u8]| {
        digits.iter().try_fold(0i64, |value, &d| {
            d.is_ascii_digit().then(|| value * 10 + i64::from(d - b'0'))
        })
    };
    let (year, month, day) = (
        number(&text[0..4])?,
        number(&text[5..7])?,
        number(&text[8..10])?,
    );
    let (hour, minute, second) = (
        number(&text[11..13])?,
        number(&text[14..16])?,
        number(&text[17..19])?,
    );
    let millis = millis_part.map_or(Some(0), number)?;
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day < 1 || day > month_days || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    // Days from 1970-01-01 to the date (Howard Hinnant's days_from_civil).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis)
}

/// A string field; a number or other value where a string belongs is kept
/// as `None` rather than failing the whole line.
struct TextOrOther<'a>(Option<Cow<'a, str>>);

impl<'de> Deserialize<'de> for TextOrOther<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = TextOrOther<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(TextOrOther(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(TextOrOther(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(TextOrOther(Some(Cow::Owned(v))))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(TextOrOther(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(TextOrOther(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(TextOrOther(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(TextOrOther(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(TextOrOther(None))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(TextOrOther(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
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
    TooLong {
        bytes: usize,
        limit: usize,
    },
    Malformed(String),
    MissingTimestamp,
    BadTimestamp(String),
    /// A time that cannot be a clickstream's: before 1900 or after 9999 (in
    /// UTC), whose date partition would be nonsense (`date=10000-01-01`).
    TimestampOutOfRange(String),
    MissingPage,
    MissingEventId,
    /// A line holding carriage returns not followed by a newline: a file
    /// with classic Mac line endings reads as one line.
    LoneCarriageReturn,
}

impl Refusal {
    pub fn category(&self) -> &'static str {
        match self {
            Refusal::NotUtf8 => "not_utf8",
            Refusal::TooLong { .. } => "too_long",
            Refusal::Malformed(_) => "malformed_json",
            Refusal::MissingTimestamp => "missing_timestamp",
            Refusal::BadTimestamp(_) => "bad_timestamp",
            Refusal::TimestampOutOfRange(_) => "timestamp_out_of_range",
            Refusal::LoneCarriageReturn => "lone_carriage_return",
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
            Refusal::BadTimestamp(text) => write!(
                f,
                "timestamp `{text}` is neither RFC 3339 (2024-01-15T07:30:00Z, or with an offset) nor epoch seconds or milliseconds"
            ),
            Refusal::TimestampOutOfRange(text) => write!(
                f,
                "timestamp `{text}` is outside 1900-01-01 to 9999-12-31 (UTC), the dates a log's partition can name"
            ),
            Refusal::LoneCarriageReturn => f.write_str(
                "the line holds carriage returns not followed by a newline (classic Mac line endings), so lines ran together; pipecalc ends lines at \\n or \\r\\n: convert the file with `tr '\\r' '\\n'`",
            ),
            Refusal::MissingPage => f.write_str("no page"),
            Refusal::MissingEventId => f.write_str("no event_id"),
        }
    }
}

/// A line that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidEvent<'a> {
    pub raw: RawEvent<'a>,
    pub timestamp_ms: i64,
}

/// Reads a line with serde_json (a hand-written visitor over its tokens).
fn parse_with_serde<'a>(
    text: &'a str,
    format: &LogFormat,
    order: &KeyOrder,
    raw: &mut RawEvent<'a>,
) -> Result<(), Refusal> {
    let mut parser = serde_json::Deserializer::from_str(text);
    EventSeed {
        format,
        order,
        event: raw,
    }
    .deserialize(&mut parser)
    .and_then(|()| parser.end())
    .map_err(|e| Refusal::Malformed(e.to_string()))
}

/// The longest line [`scan_plain`] reads, in 64-byte words: 2 KiB, four
/// times the lecture's lines; a longer one goes to serde_json.
const QUOTE_WORDS: usize = 32;

/// Marks each `"` of `bytes` in `map` (bit i of word i ÷ 64), and says
/// whether the line is plain: no backslash and no control byte. Sixteen
/// bytes at a time with SSE2, which every x86-64 has; a byte at a time
/// elsewhere, to the same result.
fn quote_map(bytes: &[u8], map: &mut [u64; QUOTE_WORDS]) -> bool {
    let (done, wide_unusual) = quote_map_wide(bytes, map);
    quote_map_bytes(bytes, done, map) && !wide_unusual
}

/// [`quote_map`] over `bytes[from..]`, a byte at a time.
fn quote_map_bytes(bytes: &[u8], from: usize, map: &mut [u64; QUOTE_WORDS]) -> bool {
    let mut unusual = false;
    for (at, &b) in bytes.iter().enumerate().skip(from) {
        unusual |= b < 0x20 || b == b'\\';
        if b == b'"' {
            map[at / 64] |= 1 << (at % 64);
        }
    }
    !unusual
}

/// [`quote_map`] over whole 16-byte chunks: how many bytes it read, and
/// whether it met a backslash or a control byte.
#[cfg(target_arch = "x86_64")]
fn quote_map_wide(bytes: &[u8], map: &mut [u64; QUOTE_WORDS]) -> (usize, bool) {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8, _mm_set1_epi8,
    };
    let mut flags = 0;
    for (index, chunk) in bytes.chunks_exact(16).enumerate() {
        // SAFETY: SSE2 is part of x86-64; the load reads the 16 bytes of
        // `chunk`, and an unaligned load is allowed.
        let (quote, other) = unsafe {
            let v = _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>());
            let control = _mm_set1_epi8(0x1f);
            let quote = _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8)));
            let backslash = _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8)));
            // max(v, 0x1f) = 0x1f exactly where v ≤ 0x1f, unsigned.
            let low = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(v, control), control));
            (quote as u32 as u64, backslash | low)
        };
        flags |= other;
        let bit = index * 16;
        map[bit / 64] |= quote << (bit % 64);
    }
    (bytes.len() / 16 * 16, flags != 0)
}

#[cfg(not(target_arch = "x86_64"))]
fn quote_map_wide(_: &[u8], _: &mut [u64; QUOTE_WORDS]) -> (usize, bool) {
    (0, false)
}

/// The positions marked in a [`quote_map`], in order.
struct Quotes<'m> {
    map: &'m [u64; QUOTE_WORDS],
    word: usize,
    /// The current word's marks not yet taken.
    bits: u64,
}

impl Iterator for Quotes<'_> {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        while self.bits == 0 {
            self.word += 1;
            self.bits = *self.map.get(self.word)?;
        }
        let bit = self.bits.trailing_zeros() as usize;
        self.bits &= self.bits - 1;
        Some(self.word * 64 + bit)
    }
}

/// Reads the common line without serde_json: one flat object whose values
/// are strings or `null`, with no backslash and no control byte anywhere
/// in the line (so no escape to decode, and no whitespace but spaces).
/// Such a line reads exactly as serde_json reads it; any other line (and
/// every malformed one) gives `None` and is read by serde_json, which
/// words its error. Parsing was about a third of a run's CPU, most of it
/// serde_json's byte-at-a-time string scan; here a line is checked for
/// escapes and its quotes marked in one pass, sixteen bytes at a time,
/// and each string's ends are the next two marks. `tests` holds the two
/// readers to each other.
fn scan_plain<'a>(
    text: &'a str,
    format: &LogFormat,
    order: &KeyOrder,
    raw: &mut RawEvent<'a>,
) -> Option<()> {
    let bytes = text.as_bytes();
    let mut map = [0u64; QUOTE_WORDS];
    if bytes.len() > QUOTE_WORDS * 64 || !quote_map(bytes, &mut map) {
        return None;
    }
    let spaces = |mut at: usize| {
        while bytes.get(at) == Some(&b' ') {
            at += 1;
        }
        at
    };
    // With no backslash every quote is a string's start or end, met in
    // order.
    let mut quotes = Quotes {
        map: &map,
        word: 0,
        bits: map[0],
    };
    // The string starting at the quote at `at`: its text, and the index
    // past its closing quote.
    let mut string = |at: usize| -> Option<(&'a str, usize)> {
        if quotes.next()? != at {
            return None;
        }
        let end = quotes.next()?;
        Some((&text[at + 1..end], end + 1))
    };
    let mut at = spaces(0);
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    at = spaces(at + 1);
    if bytes.get(at) == Some(&b'}') {
        at += 1;
    } else {
        // 11 stands for the start of the line in the learned order.
        let mut previous = 11;
        loop {
            if bytes.get(at) != Some(&b'"') {
                return None;
            }
            let (key, next) = string(at)?;
            at = spaces(next);
            if bytes.get(at) != Some(&b':') {
                return None;
            }
            at = spaces(at + 1);
            let start = at;
            let value = match bytes.get(at)? {
                b'"' => {
                    let (value, next) = string(at)?;
                    at = next;
                    Some(value)
                }
                b'n' if bytes[at..].starts_with(b"null") => {
                    at += 4;
                    None
                }
                _ => return None,
            };
            match field_of(format, order, previous, key) {
                Some(field) => {
                    previous = field;
                    *raw.slot(field) = value.map(Cow::Borrowed);
                }
                None => raw.extra.push(Cow::Borrowed(key), &text[start..at]),
            }
            at = spaces(at);
            match bytes.get(at)? {
                b',' => at = spaces(at + 1),
                b'}' => {
                    at += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    if spaces(at) != bytes.len() {
        return None;
    }
    raw.extra.settle();
    Some(())
}

/// Parses and validates one line (without its newline) under the format;
/// `order` is the key order learned from the lines before it (one per file).
pub fn validate<'a>(
    line: &'a [u8],
    limit: usize,
    format: &LogFormat,
    order: &KeyOrder,
) -> Result<ValidEvent<'a>, Refusal> {
    let mut raw = RawEvent::default();
    let timestamp_ms = validate_into(line, limit, format, order, &mut raw)?;
    Ok(ValidEvent { raw, timestamp_ms })
}

/// [`validate`] into an event the caller holds (a fresh one, as
/// `RawEvent::default()`); returns the event's time in milliseconds. On a
/// refusal the event holds whatever was read before it.
pub fn validate_into<'a>(
    line: &'a [u8],
    limit: usize,
    format: &LogFormat,
    order: &KeyOrder,
    raw: &mut RawEvent<'a>,
) -> Result<i64, Refusal> {
    if line.len() > limit {
        return Err(Refusal::TooLong {
            bytes: line.len(),
            limit,
        });
    }
    let text = std::str::from_utf8(line).map_err(|_| Refusal::NotUtf8)?;
    if scan_plain(text, format, order, raw).is_none() {
        // Anything the scanner does not read whole (an escape, a number,
        // a nested value, a malformed line) is read by serde_json, from a
        // fresh event: its reading and its error are the reference.
        *raw = RawEvent::default();
        parse_with_serde(text, format, order, raw)?;
    }
    checked(raw)
}

/// What a line that parsed must hold: its time (returned, in
/// milliseconds), a page and an event id.
fn checked(raw: &RawEvent) -> Result<i64, Refusal> {
    let timestamp = raw.timestamp.as_deref().ok_or(Refusal::MissingTimestamp)?;
    let timestamp_ms =
        parse_timestamp(timestamp).ok_or_else(|| Refusal::BadTimestamp(timestamp.to_string()))?;
    if !EVENT_TIME_WINDOW_MS.contains(&timestamp_ms) {
        return Err(Refusal::TimestampOutOfRange(timestamp.to_string()));
    }
    if raw.page.as_deref().is_none_or(str::is_empty) {
        return Err(Refusal::MissingPage);
    }
    if raw.event_id.as_deref().is_none_or(str::is_empty) {
        return Err(Refusal::MissingEventId);
    }
    Ok(timestamp_ms)
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

    fn check(line: &[u8]) -> Result<ValidEvent<'_>, Refusal> {
        validate(line, 1 << 20, &LogFormat::default(), &KeyOrder::default())
    }

    #[test]
    fn a_good_line_with_new_fields() {
        let event = check(LINE.as_bytes()).unwrap();
        assert_eq!(event.raw.user_id, None);
        assert_eq!(event.raw.extra.get("experiment"), Some("\"x\""));
        assert_eq!(event.raw.extra.get("n"), Some("3"));
        assert_eq!(
            LogFormat::default().product_id(event.raw.page.as_deref().unwrap()),
            Ok("p000123")
        );
    }

    #[test]
    fn keys_are_the_same_exactly_when_their_bytes_are() {
        let keys = [
            "",
            "a",
            "ab",
            "ip",
            "abc",
            "page",
            "pagf",
            "action",
            "user_id",
            "event_id",
            "timestamp",
            "session_id",
            "user_agent",
            "sixteen_bytes_ok",
            "seventeen_bytes_x",
            "é",
        ];
        for a in keys {
            for b in keys {
                assert_eq!(same_key(a, b), a == b, "{a:?} {b:?}");
            }
            // One byte changed at each place.
            for at in 0..a.len() {
                let mut changed = a.as_bytes().to_vec();
                changed[at] ^= 1;
                if let Ok(changed) = std::str::from_utf8(&changed) {
                    assert!(!same_key(a, changed), "{a:?} {changed:?}");
                }
            }
        }
    }

    #[test]
    fn bad_lines_are_refused_with_a_reason() {
        let refuse = |line: &[u8]| {
            validate(line, 200, &LogFormat::default(), &KeyOrder::default())
                .unwrap_err()
                .category()
        };
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
            refuse(LINE.replace("2024-01-15T00", "yesterday at 00").as_bytes()),
            "bad_timestamp"
        );
        assert_eq!(refuse(&[b'x'; 300]), "too_long");
        assert_eq!(refuse(b"[1,2]"), "malformed_json");
        assert_eq!(
            refuse(format!("{LINE} trailing").as_bytes()),
            "malformed_json"
        );
    }

    #[test]
    fn product_ids_are_p_and_six_digits_by_default() {
        let format = LogFormat::default();
        assert_eq!(format.product_id("/product/p012345?ref=x"), Ok("p012345"));
        assert_eq!(
            format.product_id("/product/p-1"),
            Err(ProductError::Invalid)
        );
        assert_eq!(
            format.product_id("/product/p1234567"),
            Err(ProductError::Invalid)
        );
        assert_eq!(format.product_id("/product/"), Err(ProductError::Invalid));
        assert_eq!(
            format.product_id("/cart"),
            Err(ProductError::NotAProductPage)
        );
    }

    /// The learned key order only speeds reading up: lines whose keys come
    /// in other orders, or escaped, read the same under one `KeyOrder`.
    #[test]
    fn any_key_order_and_escaped_keys_read_the_same() {
        let order = KeyOrder::default();
        let format = LogFormat::default();
        let lines = [
            LINE.to_string(),
            r#"{"n":3,"action":"page_view","timestamp":"2024-01-15T00:00:01.000Z","page":"/product/p000123","session_id":"s1","user_id":null,"event_id":"e1","experiment":"x"}"#.to_string(),
            LINE.replace("\"event_id\"", "\"event\\u005fid\"").replace("\"page\"", "\"p\\u0061ge\""),
            LINE.to_string(),
        ];
        let expected = validate(LINE.as_bytes(), 1 << 20, &format, &KeyOrder::default()).unwrap();
        for line in &lines {
            let event = validate(line.as_bytes(), 1 << 20, &format, &order).unwrap();
            assert_eq!(event, expected, "line {line}");
        }
        // An escaped value is unescaped, not borrowed as written.
        let escaped = LINE.replace("\"s1\"", "\"s\\u0031\"");
        let event = validate(escaped.as_bytes(), 1 << 20, &format, &order).unwrap();
        assert_eq!(event.raw.session_id.as_deref(), Some("s1"));
    }

    /// Unknown fields are kept as written, keys sorted, a repeated key's
    /// last value winning, and written back as one JSON object.
    #[test]
    fn unknown_fields_are_kept_as_written() {
        let line = r#"{"event_id":"e1","page":"/cart","timestamp":"2024-01-15T00:00:01Z","zeta":{"a": [1, 2]},"n":1,"n":2,"qu\"ote":"v","b\u0065ta":1.50}"#;
        let event = validate(
            line.as_bytes(),
            1 << 20,
            &LogFormat::default(),
            &KeyOrder::default(),
        )
        .unwrap();
        let keys: Vec<&str> = event.raw.extra.keys().collect();
        assert_eq!(keys, ["beta", "n", "qu\"ote", "zeta"]);
        assert_eq!(event.raw.extra.get("n"), Some("2"));
        let mut json = String::new();
        event.raw.extra.write_json(&mut json);
        assert_eq!(
            json,
            r#"{"beta":1.50,"n":2,"qu\"ote":"v","zeta":{"a": [1, 2]}}"#
        );
        // What is written is JSON that reads back to the same fields.
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["qu\"ote"], "v");
        assert_eq!(back["zeta"]["a"][1], 2);
    }

    /// The hand matcher and the regex it stands for agree on every page
    /// built from the pieces that matter to the pattern.
    #[test]
    fn the_default_pattern_by_hand_equals_the_regex() {
        let regex = Regex::new(DEFAULT_PRODUCT_PATTERN).unwrap();
        fn by_regex<'p>(regex: &Regex, page: &'p str) -> Option<&'p str> {
            regex
                .captures(page)
                .and_then(|c| c.get(1))
                .map(|id| id.as_str())
        }
        let pieces = [
            "/product/",
            "/product",
            "p",
            "P",
            "0",
            "7",
            "9",
            "12",
            "x",
            "?",
            "#",
            "\n",
            "/",
            "é",
            "-",
            "a=b",
            "٣",
        ];
        let mut random = crate::random::SplitMix64(17);
        let mut checked = 0;
        for _ in 0..200_000 {
            let mut page = String::new();
            if random.chance(0.8) {
                page.push_str("/product/p");
                // Five to seven digits: around the six the pattern wants.
                for _ in 0..5 + random.below(3) {
                    page.push(char::from(b'0' + random.below(10) as u8));
                }
            }
            let most = if random.chance(0.5) { 1 } else { 6 };
            let pieces_after = random.below(most);
            for _ in 0..pieces_after {
                page.push_str(pieces[random.below(pieces.len() as u64) as usize]);
            }
            assert_eq!(
                lecture_product_id(&page),
                by_regex(&regex, &page),
                "page {page:?}"
            );
            checked += usize::from(by_regex(&regex, &page).is_some());
        }
        // Both outcomes were exercised, not only refusals.
        assert!(
            checked > 1_000,
            "only {checked} product pages among the cases"
        );
        for page in [
            "/product/p000123",
            "/product/p000123?x=1",
            "/product/p000123#top",
        ] {
            assert_eq!(lecture_product_id(page), Some("p000123"));
        }
    }

    #[test]
    fn another_site_s_product_pages_and_field_names() {
        let renames = [
            ("timestamp".to_string(), "ts".to_string()),
            ("page".to_string(), "url".to_string()),
        ];
        let format = LogFormat::new(&renames, r"^/product/([0-9]+)$", "/product/", 0).unwrap();
        assert_eq!(format.product_id("/product/12345"), Ok("12345"));
        assert_eq!(
            format.product_id("/product/abc"),
            Err(ProductError::Invalid)
        );
        let event = validate(
            br#"{"event_id":"a","url":"/product/7","ts":1705282200123,"page":"kept as extra"}"#,
            1 << 20,
            &format,
            &KeyOrder::default(),
        )
        .unwrap();
        assert_eq!(event.raw.page.as_deref(), Some("/product/7"));
        assert_eq!(event.timestamp_ms, 1_705_282_200_123);
        assert_eq!(event.raw.extra.get("page"), Some("\"kept as extra\""));
    }

    #[test]
    fn bad_formats_are_refused_at_start_up() {
        let error = |renames: &[(String, String)], pattern: &str| {
            LogFormat::new(renames, pattern, "/", 0)
                .unwrap_err()
                .to_string()
        };
        assert!(error(&[], "([").contains("not a regular expression"));
        assert!(error(&[], "^/p/[0-9]+$").contains("0 capture groups"));
        assert!(error(&[], "^/(p)/([0-9]+)$").contains("2 capture groups"));
        let unknown = [("time".to_string(), "ts".to_string())];
        assert!(error(&unknown, "(x)").contains("not a field pipecalc reads"));
        let twice = [("page".to_string(), "event_id".to_string())];
        assert!(error(&twice, "(x)").contains("the key of both"));
    }

    #[test]
    fn timestamps_with_offsets_and_epochs() {
        let utc = parse_timestamp("2024-01-16T04:30:00Z").unwrap();
        // Half past eleven at night in New York is the next day in UTC.
        assert_eq!(parse_timestamp("2024-01-15T23:30:00-05:00"), Some(utc));
        assert_eq!(parse_timestamp("2024-01-16T05:30:00.000+01:00"), Some(utc));
        assert_eq!(parse_timestamp("1705379400"), Some(utc));
        assert_eq!(parse_timestamp("1705379400000"), Some(utc));
        assert_eq!(parse_timestamp("1705379400.5"), Some(utc + 500));
        assert_eq!(parse_timestamp("2024-02-30T00:00:00Z"), None);
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(parse_timestamp("1e300"), None);
        assert_eq!(parse_timestamp("NaN"), None);
    }

    /// Every way of reading a line gives what serde_json alone gives: the
    /// same event, or the same refusal with the same words.
    #[test]
    fn the_scanner_reads_every_line_as_serde_json_does() {
        let bases = [
            r#"{"event_id":"e00000-00000960","user_id":null,"session_id":"s07480362","page":"/product/p000003","timestamp":"2024-01-15T00:00:02.569Z","action":"add_to_cart","user_agent":"Mozilla/5.0 (X11; Linux x86_64; rv:121.0)","referrer":"https://social.example/share?utm_source=social","ip":"247.43.142.5","locale":"en-US,en;q=0.9","screen":"1920x1080"}"#,
            r#"{"event_id":"e1","page":"/product/p000123","timestamp":"2024-01-15T00:00:01.000Z","experiment":"b","experiment":"a","zz":null,"aa":"x"}"#,
            r#"{ "timestamp" : "2024-01-15T00:00:01Z" , "page":"/","event_id":"é€𝄞" }"#,
            r#"{}"#,
        ];
        let mut lines: Vec<String> = Vec::new();
        for base in bases {
            lines.push(base.to_string());
            // Cut short at every byte (on a character's boundary).
            for cut in (0..base.len()).filter(|&i| base.is_char_boundary(i)) {
                lines.push(base[..cut].to_string());
            }
            // Every byte in turn replaced by one that means something to JSON.
            for (at, _) in base.char_indices() {
                for with in [
                    "\\", "\t", " ", "\"", ",", "}", "{", "n", "1", ":", "\u{1}", "\n", "[", "é",
                ] {
                    let mut line = base.to_string();
                    let end = at + line[at..].chars().next().map_or(0, char::len_utf8);
                    line.replace_range(at..end, with);
                    lines.push(line);
                }
            }
            lines.push(format!("{base} "));
            lines.push(format!(" {base}"));
            lines.push(format!("{base}x"));
            lines.push(format!("{base},"));
            lines.push(format!("[{base}]"));
            lines.push(base.replacen("\"page\"", "\"pa\\u0067e\"", 1));
            lines.push(base.replacen(":null", ":true", 1));
            lines.push(base.replacen(":null", ":nul", 1));
            lines.push(base.replacen(":null", ":null5", 1));
            lines.push(base.replacen(":null", ":{\"a\":1}", 1));
            lines.push(base.replacen("}", ",}", 1));
            lines.push(base.replacen("\"2024-01-15T00:00:01.000Z\"", "1705276801000", 1));
        }
        let format = LogFormat::default();
        let mut scanned = 0;
        for line in &lines {
            let order = KeyOrder::default();
            let mut by_serde = RawEvent::default();
            let serde = std::str::from_utf8(line.as_bytes())
                .map_err(|_| Refusal::NotUtf8)
                .and_then(|text| parse_with_serde(text, &format, &order, &mut by_serde));
            let mut by_scan = RawEvent::default();
            if scan_plain(line, &format, &KeyOrder::default(), &mut by_scan).is_some() {
                scanned += 1;
                assert_eq!(serde, Ok(()), "scanned, but serde_json refuses {line:?}");
                assert_eq!(by_scan, by_serde, "{line:?}");
            }
            let mut both = RawEvent::default();
            let read = validate_into(
                line.as_bytes(),
                1 << 20,
                &format,
                &KeyOrder::default(),
                &mut both,
            );
            let mut alone = RawEvent::default();
            let reference = serde
                .and_then(|()| validate_into_with(line.as_bytes(), &format, &order, &mut alone));
            assert_eq!(read, reference, "{line:?}");
            if read.is_ok() {
                assert_eq!(both, alone, "{line:?}");
            }
        }
        assert!(
            scanned > 100,
            "the scanner read only {scanned} of {} lines",
            lines.len()
        );
    }

    /// [`validate_into`] with serde_json alone reading the line.
    fn validate_into_with<'a>(
        line: &'a [u8],
        format: &LogFormat,
        order: &KeyOrder,
        raw: &mut RawEvent<'a>,
    ) -> Result<i64, Refusal> {
        let text = std::str::from_utf8(line).map_err(|_| Refusal::NotUtf8)?;
        parse_with_serde(text, format, order, raw)?;
        checked(raw)
    }

    #[test]
    fn the_common_timestamp_reads_as_chrono_reads_it() {
        let mut checked = 0;
        // Every day of 1900..2100 at a moment of each, and a spread of
        // later years, with and without milliseconds.
        let mut millis = -2_208_988_800_000i64;
        while millis < 253_402_300_799_999 {
            let time = chrono::DateTime::from_timestamp_millis(millis).unwrap();
            for text in [
                time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                time.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            ] {
                assert!(utc_millis(text.as_bytes()).is_some(), "{text}");
                assert_eq!(parse_timestamp(&text), parse_any_timestamp(&text), "{text}");
                checked += 1;
            }
            millis += if millis < 4_102_444_800_000 {
                86_400_000 + 3_723_457
            } else {
                86_400_000 * 997 + 1
            };
        }
        assert!(checked > 140_000, "{checked}");
        for text in [
            "2023-02-29T00:00:00Z",
            "2024-02-29T23:59:59.999Z",
            "2024-02-30T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2000-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-00-10T00:00:00Z",
            "2024-01-00T00:00:00Z",
            "2024-01-15T24:00:00Z",
            "2024-01-15T23:60:00Z",
            "2024-01-15T23:59:60Z",
            "2024-01-15t00:00:00Z",
            "2024-01-15T00:00:00z",
            "2024-01-15T00:00:00.12Z",
            "2024-01-15T00:00:00+01:00",
            "2024-01-15 00:00:00Z",
            "+024-01-15T00:00:00Z",
            "2024-01-15T00:00:00.1a3Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999Z",
            "1705276801000",
        ] {
            assert_eq!(parse_timestamp(text), parse_any_timestamp(text), "{text}");
        }
    }
}
