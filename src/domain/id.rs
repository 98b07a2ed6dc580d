//! 12-byte ObjectIds, written as 24 lowercase hex digits, for every entity.
//! Our own type (not `bson`) so the browser build stays small; the MongoDB
//! store converts to `bson::oid::ObjectId` byte for byte.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Id([u8; 12]);

impl Id {
    pub const fn from_bytes(bytes: [u8; 12]) -> Self {
        Id(bytes)
    }

    pub const fn bytes(&self) -> [u8; 12] {
        self.0
    }

    /// A new time-ordered id: 4 bytes of seconds since the epoch, 5 random
    /// bytes fixed per process and a 3-byte counter, as MongoDB does. Ids made
    /// by one process sort in creation order, so "newest first" is "largest id first".
    #[cfg(feature = "ssr")]
    pub fn generate() -> Self {
        use std::sync::atomic::{AtomicU32, Ordering};
        use std::sync::OnceLock;
        static PROCESS: OnceLock<[u8; 5]> = OnceLock::new();
        static COUNTER: OnceLock<AtomicU32> = OnceLock::new();
        let process = PROCESS.get_or_init(|| {
            let mut b = [0u8; 5];
            getrandom::fill(&mut b).expect("the OS random source is available");
            b
        });
        let counter = COUNTER.get_or_init(|| {
            let mut b = [0u8; 4];
            getrandom::fill(&mut b).expect("the OS random source is available");
            AtomicU32::new(u32::from_le_bytes(b) & 0x007f_ffff)
        });
        let secs = (crate::domain::Timestamp::now().millis() / 1000) as u32;
        let count = counter.fetch_add(1, Ordering::Relaxed);
        let mut bytes = [0u8; 12];
        bytes[..4].copy_from_slice(&secs.to_be_bytes());
        bytes[4..9].copy_from_slice(process);
        bytes[9..].copy_from_slice(&count.to_be_bytes()[1..]);
        Id(bytes)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One write of 24 digits: ids are formatted for every row and event.
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut text = [0u8; 24];
        for (i, b) in self.0.iter().enumerate() {
            text[2 * i] = DIGITS[usize::from(b >> 4)];
            text[2 * i + 1] = DIGITS[usize::from(b & 15)];
        }
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({self})")
    }
}

/// The text is not 24 hex digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAnId;

impl FromStr for Id {
    type Err = NotAnId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.as_bytes();
        if s.len() != 24 {
            return Err(NotAnId);
        }
        let mut bytes = [0u8; 12];
        for (i, pair) in s.chunks(2).enumerate() {
            let hi = (pair[0] as char).to_digit(16).ok_or(NotAnId)?;
            let lo = (pair[1] as char).to_digit(16).ok_or(NotAnId)?;
            bytes[i] = (hi * 16 + lo) as u8;
        }
        Ok(Id(bytes))
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse()
            .map_err(|_| serde::de::Error::custom("expected a 24-hex-digit id"))
    }
}

/// In the OpenAPI document: 24 hex digits.
#[cfg(feature = "ssr")]
impl utoipa::PartialSchema for Id {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^[0-9a-f]{24}$"))
            .examples([serde_json::json!("6745f0a1c2d3e4f5a6b7c8d9")])
            .into()
    }
}

#[cfg(feature = "ssr")]
impl utoipa::ToSchema for Id {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let id: Id = "5f1d7a3e9c2b4a0012345678".parse().unwrap();
        assert_eq!(id.to_string(), "5f1d7a3e9c2b4a0012345678");
        assert_eq!("5F1D7A3E9C2B4A0012345678".parse::<Id>().unwrap(), id);
    }

    #[test]
    fn rejects_what_is_not_an_id() {
        for bad in [
            "",
            "123",
            "zz1d7a3e9c2b4a0012345678",
            "5f1d7a3e9c2b4a00123456789",
            "5f1d7a3e9c2b4a001234567é",
        ] {
            assert!(bad.parse::<Id>().is_err(), "{bad}");
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn generated_ids_are_unique_and_ordered() {
        let ids: Vec<Id> = (0..1000).map(|_| Id::generate()).collect();
        for pair in ids.windows(2) {
            // the counter may wrap once at 2^24; within 1000 ids it almost never does
            assert_ne!(pair[0], pair[1]);
        }
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len());
    }
}
