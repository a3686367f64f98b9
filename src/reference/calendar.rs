//! Civil dates and ISO 8601 timestamps, without a date library: the
//! pipeline only needs UTC days, hours and milliseconds.

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a day number since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

pub const MS_PER_DAY: i64 = 86_400_000;

/// "2024-01-15" for a day number.
pub fn date_string(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// "2024-01-15T00:12:34.567Z" for milliseconds since the epoch.
pub fn timestamp_string(ms: i64) -> String {
    let days = ms.div_euclid(MS_PER_DAY);
    let in_day = ms.rem_euclid(MS_PER_DAY);
    let (h, rest) = (in_day / 3_600_000, in_day % 3_600_000);
    let (min, rest) = (rest / 60_000, rest % 60_000);
    let (s, milli) = (rest / 1000, rest % 1000);
    format!("{}T{h:02}:{min:02}:{s:02}.{milli:03}Z", date_string(days))
}

fn digits(text: &[u8]) -> Option<u32> {
    let mut value = 0u32;
    for &b in text {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u32::from(b - b'0');
    }
    Some(value)
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.mmm]Z` into milliseconds since the epoch;
/// `None` for anything else, including impossible dates and times.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let second = digits(&b[17..19])?;
    let rest = &b[19..];
    let millis = match rest {
        [b'Z'] => 0,
        [b'.', m @ .., b'Z'] if m.len() == 3 => digits(m)?,
        _ => return None,
    };
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > days_in_month || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    Some(
        days * MS_PER_DAY
            + i64::from(hour) * 3_600_000
            + i64::from(minute) * 60_000
            + i64::from(second) * 1000
            + i64::from(millis),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2024, 1, 15), 19_737);
        assert_eq!(date_string(19_737), "2024-01-15");
        assert_eq!(date_string(days_from_civil(2024, 2, 29)), "2024-02-29");
        for day in -800..800 {
            let (y, m, d) = civil_from_days(day * 37);
            assert_eq!(days_from_civil(y, m, d), day * 37);
        }
    }

    #[test]
    fn timestamps_parse_strictly() {
        let ms = parse_timestamp("2024-01-15T00:12:34.567Z").unwrap();
        assert_eq!(timestamp_string(ms), "2024-01-15T00:12:34.567Z");
        assert!(parse_timestamp("2024-01-15T00:12:34Z").is_some());
        assert!(parse_timestamp("2024-13-45T99:00:00.000Z").is_none());
        assert!(parse_timestamp("2023-02-29T00:00:00.000Z").is_none());
        assert!(parse_timestamp("yesterday").is_none());
        assert!(parse_timestamp("2024-01-15 00:12:34.567Z").is_none());
    }
}
