//! Instants as milliseconds since the Unix epoch, written as RFC 3339 UTC
//! (`2026-11-25T10:01:37.123Z`). The calendar arithmetic is Howard Hinnant's
//! days-from-civil algorithm, so neither build needs a date crate.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

const MS_PER_DAY: i64 = 86_400_000;

impl Timestamp {
    pub const fn from_millis(ms: i64) -> Self {
        Timestamp(ms)
    }

    pub const fn millis(self) -> i64 {
        self.0
    }

    #[cfg(feature = "ssr")]
    pub fn now() -> Self {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp(d.as_millis() as i64)
    }

    /// Midnight UTC of the given calendar day.
    pub fn from_date(year: i64, month: u32, day: u32) -> Self {
        Timestamp(days_from_civil(year, month, day) * MS_PER_DAY)
    }

    /// (year, month, day) in UTC.
    pub fn date(self) -> (i64, u32, u32) {
        civil_from_days(self.0.div_euclid(MS_PER_DAY))
    }

    /// The start of this instant's UTC day.
    pub fn start_of_day(self) -> Self {
        Timestamp(self.0 - self.0.rem_euclid(MS_PER_DAY))
    }

    pub fn plus_days(self, days: i64) -> Self {
        Timestamp(self.0 + days * MS_PER_DAY)
    }
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.date();
        let ms = self.0.rem_euclid(MS_PER_DAY);
        let (h, min, s, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
        write!(f, "{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{milli:03}Z")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotATimestamp;

impl FromStr for Timestamp {
    type Err = NotATimestamp;

    /// Accepts `YYYY-MM-DD` (midnight UTC) and RFC 3339 date-times with `Z`
    /// or a `±HH:MM` offset and up to nine fraction digits.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        let num = |r: std::ops::Range<usize>| -> Result<i64, NotATimestamp> {
            let part = b.get(r).ok_or(NotATimestamp)?;
            if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
                return Err(NotATimestamp);
            }
            Ok(part
                .iter()
                .fold(0i64, |acc, c| acc * 10 + (c - b'0') as i64))
        };
        if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(NotATimestamp);
        }
        let (y, m, d) = (num(0..4)?, num(5..7)? as u32, num(8..10)? as u32);
        if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
            return Err(NotATimestamp);
        }
        let day = Timestamp::from_date(y, m, d);
        if b.len() == 10 {
            return Ok(day);
        }
        if b.len() < 20 || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
            return Err(NotATimestamp);
        }
        let (h, min, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if h > 23 || min > 59 || sec > 60 {
            return Err(NotATimestamp);
        }
        let mut i = 19;
        let mut millis = 0;
        if b[i] == b'.' {
            let start = i + 1;
            i = start;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == start || i - start > 9 {
                return Err(NotATimestamp);
            }
            let digits = &s[start..i.min(start + 3)];
            millis = digits.parse::<i64>().map_err(|_| NotATimestamp)?
                * 10i64.pow(3 - digits.len() as u32);
        }
        let offset_minutes = match &b[i..] {
            [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
                let oh = num(i + 1..i + 3)?;
                let om = num(i + 4..i + 6)?;
                if oh > 23 || om > 59 {
                    return Err(NotATimestamp);
                }
                let total = oh * 60 + om;
                if *sign == b'+' {
                    total
                } else {
                    -total
                }
            }
            _ => return Err(NotATimestamp),
        };
        Ok(Timestamp(
            day.0 + ((h * 60 + min - offset_minutes) * 60 + sec) * 1000 + millis,
        ))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse()
            .map_err(|_| serde::de::Error::custom("expected an RFC 3339 date-time"))
    }
}

/// In the OpenAPI document: RFC 3339 UTC.
#[cfg(feature = "ssr")]
impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(utoipa::openapi::schema::SchemaFormat::KnownFormat(
                utoipa::openapi::schema::KnownFormat::DateTime,
            )))
            .into()
    }
}

#[cfg(feature = "ssr")]
impl utoipa::ToSchema for Timestamp {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_rfc3339() {
        let t = Timestamp::from_millis(1_795_600_897_123);
        let text = t.to_string();
        assert_eq!(text, "2026-11-25T10:01:37.123Z");
        assert_eq!(text.parse::<Timestamp>(), Ok(t));
        assert_eq!("2026-11-25T11:01:37.123+01:00".parse::<Timestamp>(), Ok(t));
        assert_eq!(
            "2026-11-25".parse::<Timestamp>().unwrap().to_string(),
            "2026-11-25T00:00:00.000Z"
        );
        assert_eq!(
            Timestamp::from_millis(0).to_string(),
            "1970-01-01T00:00:00.000Z"
        );
        assert_eq!(
            "2024-02-29".parse::<Timestamp>().unwrap().date(),
            (2024, 2, 29)
        );
    }

    #[test]
    fn every_day_round_trips() {
        // years 0001..9999, every 13th day
        for day in (-719_000..2_932_000i64).step_by(13) {
            let t = Timestamp(day * MS_PER_DAY);
            assert_eq!(t.to_string().get(..10).unwrap().parse::<Timestamp>(), Ok(t));
        }
    }

    #[test]
    fn refuses_non_dates() {
        for bad in [
            "",
            "2026",
            "2026-13-01",
            "2026-02-30",
            "2023-02-29",
            "2026-11-25T25:00:00Z",
            "2026-11-25T10:00:00",
            "2026-11-25T10:00:00+1",
            "yesterday",
            "2026-11-25T10:00:00.Z",
        ] {
            assert!(bad.parse::<Timestamp>().is_err(), "{bad}");
        }
    }
}
