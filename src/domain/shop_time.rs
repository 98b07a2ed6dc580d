//! The shop's wall clock. Instants are stored and sent in UTC; people read
//! them, and pick days, in the shop's time zone (`IGNIFLO_TIMEZONE`, an IANA
//! name, UTC by default).
//!
//! Both builds ask the zone one question — its offset from UTC at an
//! instant: the server of the time zone database, the browser of its own
//! `Intl` — and answer everything else with the same code below, so a page
//! the server wrote reads exactly as the browser's live updates to it.

use super::Timestamp;

const MS_PER_MINUTE: i64 = 60_000;

/// The shop's zone, as `IGNIFLO_TIMEZONE` names it (`UTC` by default).
pub fn zone_name() -> String {
    zone::name()
}

/// `2026-11-25 11:01`: the shop's date and time of `at`, to the minute.
pub fn minute_text(at: Timestamp) -> String {
    minute_text_in(&zone::offset_minutes, at)
}

/// `2026-11-25 11:01 UTC+1`: as `minute_text`, naming the offset, for
/// people who may be elsewhere (customers).
pub fn minute_text_with_offset(at: Timestamp) -> String {
    let offset = zone::offset_minutes(at);
    format!(
        "{} {}",
        minute_text_in(&|_| offset, at),
        offset_text(offset)
    )
}

/// The shop's calendar day `at` falls in, as (year, month, day).
pub fn date_of(at: Timestamp) -> (i64, u32, u32) {
    date_in(&zone::offset_minutes, at)
}

/// `2026-11-25`: the shop's calendar day of `at`.
pub fn date_text(at: Timestamp) -> String {
    let (y, m, d) = date_of(at);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The instant the shop's calendar day (year, month, day) begins.
pub fn day_starts(year: i64, month: u32, day: u32) -> Timestamp {
    day_starts_in(&zone::offset_minutes, year, month, day)
}

/// The instant the shop's day after (year, month, day) begins: a day is not
/// always 24 hours long where clocks change.
pub fn next_day_starts(year: i64, month: u32, day: u32) -> Timestamp {
    let (y, m, d) = Timestamp::from_date(year, month, day).plus_days(1).date();
    day_starts(y, m, d)
}

fn minute_text_in(offset: &dyn Fn(Timestamp) -> i32, at: Timestamp) -> String {
    let wall = shifted(offset, at);
    let text = wall.to_string();
    format!("{} {}", &text[..10], &text[11..16])
}

fn date_in(offset: &dyn Fn(Timestamp) -> i32, at: Timestamp) -> (i64, u32, u32) {
    shifted(offset, at).date()
}

/// `at` moved by the zone's offset: its UTC fields are the wall clock's.
fn shifted(offset: &dyn Fn(Timestamp) -> i32, at: Timestamp) -> Timestamp {
    Timestamp::from_millis(at.millis() + offset(at) as i64 * MS_PER_MINUTE)
}

/// Local midnight is UTC midnight less the offset in force then. Either
/// offset around that instant may be the one: the earliest instant that
/// falls on the day is its start. Where the clocks jump forward at midnight
/// (the Azores, Chile, Cuba) the day starts at the jump, 01:00.
fn day_starts_in(offset: &dyn Fn(Timestamp) -> i32, year: i64, month: u32, day: u32) -> Timestamp {
    let midnight = Timestamp::from_date(year, month, day).millis();
    let less = |minutes: i32| Timestamp::from_millis(midnight - minutes as i64 * MS_PER_MINUTE);
    let first_guess = less(offset(Timestamp::from_millis(midnight)));
    let second_guess = less(offset(first_guess));
    [first_guess, second_guess]
        .into_iter()
        .filter(|&at| date_in(offset, at) == (year, month, day))
        .min()
        .unwrap_or(second_guess)
}

/// `UTC`, `UTC+1`, `UTC-3:30`, `UTC+5:45`.
fn offset_text(minutes: i32) -> String {
    if minutes == 0 {
        return "UTC".into();
    }
    let sign = if minutes < 0 { '-' } else { '+' };
    let (h, m) = (minutes.abs() / 60, minutes.abs() % 60);
    if m == 0 {
        format!("UTC{sign}{h}")
    } else {
        format!("UTC{sign}{h}:{m:02}")
    }
}

/// The server's zone: set once at start from `IGNIFLO_TIMEZONE`, looked up
/// in the system's time zone database or, without one, the copy built in.
#[cfg(feature = "ssr")]
mod zone {
    use super::Timestamp;
    use std::sync::OnceLock;

    /// A time zone the database knows, by its IANA name.
    #[derive(Clone, Debug)]
    pub struct ShopZone {
        name: String,
        zone: jiff::tz::TimeZone,
    }

    impl std::str::FromStr for ShopZone {
        type Err = String;

        fn from_str(name: &str) -> Result<ShopZone, String> {
            let zone = jiff::tz::TimeZone::get(name).map_err(|_| {
                format!(
                    "{name:?} is not an IANA time zone such as Europe/Berlin or America/New_York"
                )
            })?;
            Ok(ShopZone {
                name: name.to_string(),
                zone,
            })
        }
    }

    impl Default for ShopZone {
        fn default() -> ShopZone {
            ShopZone {
                name: "UTC".into(),
                zone: jiff::tz::TimeZone::UTC,
            }
        }
    }

    static SHOP_ZONE: OnceLock<ShopZone> = OnceLock::new();

    /// Makes `zone` the shop's, once, at start.
    pub fn set_shop_zone(zone: ShopZone) {
        let _ = SHOP_ZONE.set(zone);
    }

    pub fn name() -> String {
        SHOP_ZONE
            .get()
            .map_or_else(|| "UTC".into(), |z| z.name.clone())
    }

    pub fn offset_minutes(at: Timestamp) -> i32 {
        let Some(shop) = SHOP_ZONE.get() else {
            return 0;
        };
        jiff::Timestamp::from_millisecond(at.millis())
            .map_or(0, |t| shop.zone.to_offset(t).seconds() / 60)
    }
}

#[cfg(feature = "ssr")]
pub use zone::{set_shop_zone, ShopZone};

/// The browser's zone: the name the server wrote on the page
/// (`<html data-timezone>`), its offsets from the browser's `Intl`.
#[cfg(feature = "hydrate")]
mod zone {
    use super::Timestamp;
    use js_sys::{Array, Date, Intl, Object, Reflect};
    use wasm_bindgen::{JsCast, JsValue};

    thread_local! {
        static SHOP_ZONE: (String, Option<Intl::DateTimeFormat>) = read_zone();
    }

    fn read_zone() -> (String, Option<Intl::DateTimeFormat>) {
        let name = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
            .and_then(|e| e.get_attribute("data-timezone"))
            .unwrap_or_else(|| "UTC".into());
        if name == "UTC" {
            return (name, None);
        }
        let options = Object::new();
        let set = |key: &str, value: &str| {
            let _ = Reflect::set(&options, &key.into(), &value.into());
        };
        set("timeZone", &name);
        set("hourCycle", "h23");
        for field in ["year", "month", "day", "hour", "minute", "second"] {
            set(field, "numeric");
        }
        // Constructed through `Reflect`, which catches: a zone this browser
        // does not know must not stop the page (its times then read as UTC
        // in what the browser itself draws).
        let format = Reflect::get(&js_sys::global(), &"Intl".into())
            .and_then(|intl| Reflect::get(&intl, &"DateTimeFormat".into()))
            .and_then(|constructor| constructor.dyn_into::<js_sys::Function>())
            .and_then(|constructor| {
                let arguments = Array::of2(&Array::of1(&"en-US".into()), &options);
                Reflect::construct(&constructor, &arguments)
            })
            .map(|format| format.unchecked_into::<Intl::DateTimeFormat>())
            .ok();
        (name, format)
    }

    pub fn name() -> String {
        SHOP_ZONE.with(|(name, _)| name.clone())
    }

    /// The wall clock `Intl` shows for `at`, less `at` itself.
    pub fn offset_minutes(at: Timestamp) -> i32 {
        SHOP_ZONE.with(|(_, format)| {
            let Some(format) = format else {
                return 0;
            };
            let whole_second = at.millis() - at.millis().rem_euclid(1000);
            let parts = format.format_to_parts(&Date::new(&JsValue::from_f64(whole_second as f64)));
            let mut fields = [0i64; 6];
            for part in parts.iter() {
                let kind = Reflect::get(&part, &"type".into())
                    .ok()
                    .and_then(|v| v.as_string());
                let value = Reflect::get(&part, &"value".into())
                    .ok()
                    .and_then(|v| v.as_string());
                let index = match kind.as_deref() {
                    Some("year") => 0,
                    Some("month") => 1,
                    Some("day") => 2,
                    Some("hour") => 3,
                    Some("minute") => 4,
                    Some("second") => 5,
                    _ => continue,
                };
                fields[index] = value.and_then(|v| v.parse().ok()).unwrap_or(0);
            }
            let [y, mo, d, h, mi, s] = fields;
            let wall = Timestamp::from_date(y, mo as u32, d as u32).millis()
                + ((h * 60 + mi) * 60 + s) * 1000;
            ((wall - whole_second) / super::MS_PER_MINUTE) as i32
        })
    }
}

/// Neither the server nor the browser (the domain's own unit tests): UTC.
#[cfg(not(any(feature = "ssr", feature = "hydrate")))]
mod zone {
    use super::Timestamp;

    pub fn name() -> String {
        "UTC".into()
    }

    pub fn offset_minutes(_: Timestamp) -> i32 {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    /// A zone like Central Europe's: UTC+1, UTC+2 from 2026-03-29 01:00 UTC
    /// to 2026-10-25 01:00 UTC.
    fn central_europe(t: Timestamp) -> i32 {
        if t >= at("2026-03-29T01:00:00Z") && t < at("2026-10-25T01:00:00Z") {
            120
        } else {
            60
        }
    }

    #[test]
    fn reads_instants_on_the_shops_wall_clock() {
        let evening = at("2026-11-25T23:30:00Z");
        assert_eq!(minute_text_in(&central_europe, evening), "2026-11-26 00:30");
        assert_eq!(date_in(&central_europe, evening), (2026, 11, 26));
        assert_eq!(
            minute_text_in(&central_europe, at("2026-07-01T10:05:00Z")),
            "2026-07-01 12:05"
        );
        assert_eq!(minute_text_in(&|_| -210, evening), "2026-11-25 20:00");
    }

    /// Each day of `days` starts at its instant in `zone`.
    fn assert_days_start(zone: &dyn Fn(Timestamp) -> i32, days: &[((i64, u32, u32), &str)]) {
        for &((y, m, d), starts) in days {
            assert_eq!(day_starts_in(zone, y, m, d), at(starts), "{y}-{m}-{d}");
        }
    }

    #[test]
    fn a_day_starts_at_local_midnight_whatever_the_season() {
        assert_days_start(
            &central_europe,
            &[
                ((2026, 11, 26), "2026-11-25T23:00:00Z"),
                ((2026, 7, 1), "2026-06-30T22:00:00Z"),
                // The days the clocks change: each begins at its own midnight.
                ((2026, 3, 29), "2026-03-28T23:00:00Z"),
                ((2026, 3, 30), "2026-03-29T22:00:00Z"),
                ((2026, 10, 25), "2026-10-24T22:00:00Z"),
                ((2026, 10, 26), "2026-10-25T23:00:00Z"),
            ],
        );
        assert_days_start(&|_| 345, &[((2026, 1, 1), "2025-12-31T18:15:00Z")]);
    }

    /// The Azores: UTC-1, UTC+0 from 2026-03-29 01:00 UTC, when the clocks
    /// jump from 00:00 to 01:00; no midnight that day.
    fn azores(t: Timestamp) -> i32 {
        if t >= at("2026-03-29T01:00:00Z") {
            0
        } else {
            -60
        }
    }

    #[test]
    fn a_day_without_a_midnight_starts_when_the_clocks_jump() {
        assert_days_start(
            &azores,
            &[
                ((2026, 3, 28), "2026-03-28T01:00:00Z"),
                ((2026, 3, 29), "2026-03-29T01:00:00Z"),
                ((2026, 3, 30), "2026-03-30T00:00:00Z"),
            ],
        );
        assert_eq!(date_in(&azores, at("2026-03-29T00:30:00Z")), (2026, 3, 28));
    }

    #[test]
    fn names_offsets_as_people_read_them() {
        assert_eq!(offset_text(0), "UTC");
        assert_eq!(offset_text(60), "UTC+1");
        assert_eq!(offset_text(-210), "UTC-3:30");
        assert_eq!(offset_text(345), "UTC+5:45");
        assert_eq!(offset_text(-600), "UTC-10");
    }
}
