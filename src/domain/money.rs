//! Money as integer cents. Floats appear only at the JSON edge: the seed's
//! contract sends prices as numbers with at most two decimals.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

impl Money {
    /// The largest unit price we accept: 99,999,999.99. With at most 10,000 units
    /// on each of at most 100 lines, an order total stays far inside `i64`.
    pub const MAX_PRICE: Money = Money(9_999_999_999);
    /// The largest amount anything holds: an order's total (placing a larger
    /// order is refused), and so every refund of it. Its decimal form still
    /// reads back to the exact cent.
    pub const MAX_AMOUNT: Money = Money(9_999_999_999_999);

    pub const fn from_cents(cents: i64) -> Self {
        Money(cents)
    }

    pub const fn cents(self) -> i64 {
        self.0
    }

    pub fn checked_mul(self, quantity: i64) -> Option<Money> {
        self.0.checked_mul(quantity).map(Money)
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    /// Reads a JSON number as money: finite, not negative, at most two
    /// decimals, at most `MAX_AMOUNT` (prices are held to `MAX_PRICE` by
    /// `validate::price`). The error says which rule failed; the caller
    /// names the field.
    pub fn from_decimal(value: f64) -> Result<Money, &'static str> {
        if !value.is_finite() {
            return Err("must be a finite number");
        }
        if value < 0.0 {
            return Err("must not be negative");
        }
        if value > Self::MAX_AMOUNT.0 as f64 / 100.0 {
            return Err("must be at most 99999999999.99");
        }
        let cents = (value * 100.0).round();
        // Division is correctly rounded, so a value with at most two decimals
        // comes back as the same double (give or take the parser's last bit).
        let back = cents / 100.0;
        if (back - value).abs() > value.abs() * 4.0 * f64::EPSILON {
            return Err("must have at most two decimals");
        }
        Ok(Money(cents as i64))
    }

    pub fn as_decimal(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Serialize for Money {
    /// Whole amounts as integers (`12`, as JavaScript writes them), others
    /// as decimals (`19.99`), so a value reads the same from any client.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 % 100 == 0 {
            s.serialize_i64(self.0 / 100)
        } else {
            s.serialize_f64(self.as_decimal())
        }
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = f64::deserialize(d)?;
        Money::from_decimal(value).map_err(serde::de::Error::custom)
    }
}

/// In the OpenAPI document: a number with at most two decimals.
#[cfg(feature = "ssr")]
impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::Number)
            .minimum(Some(0.0))
            .maximum(Some(99_999_999.99))
            .multiple_of(Some(0.01))
            .examples([serde_json::json!(19.99)])
            .into()
    }
}

#[cfg(feature = "ssr")]
impl utoipa::ToSchema for Money {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_decimals_are_exact() {
        assert_eq!(Money::from_decimal(19.99), Ok(Money(1999)));
        assert_eq!(Money::from_decimal(0.1), Ok(Money(10)));
        assert_eq!(Money::from_decimal(0.0), Ok(Money(0)));
        assert_eq!(Money::from_decimal(1234567.89), Ok(Money(123456789)));
        assert_eq!(Money::from_decimal(99999999.99), Ok(Money::MAX_PRICE));
        assert_eq!(Money::from_decimal(99999999999.99), Ok(Money::MAX_AMOUNT));
        // every cent value round-trips through its decimal form
        for cents in (0..200_000)
            .chain(9_999_990_000..9_999_999_999)
            .chain(9_999_999_000_000..=9_999_999_999_999)
        {
            let m = Money(cents);
            assert_eq!(Money::from_decimal(m.as_decimal()), Ok(m), "{cents}");
        }
    }

    #[test]
    fn more_precision_negative_and_non_finite_are_refused() {
        assert!(Money::from_decimal(10.005).is_err());
        assert!(Money::from_decimal(19.999).is_err());
        assert!(Money::from_decimal(19.9900001).is_err());
        assert!(Money::from_decimal(-0.01).is_err());
        assert!(Money::from_decimal(f64::NAN).is_err());
        assert!(Money::from_decimal(f64::INFINITY).is_err());
        assert!(Money::from_decimal(100_000_000_000.0).is_err());
    }

    #[test]
    fn displays_as_a_decimal() {
        assert_eq!(Money(1999).to_string(), "19.99");
        assert_eq!(Money(5).to_string(), "0.05");
        assert_eq!(serde_json::to_string(&Money(1999)).unwrap(), "19.99");
        assert_eq!(serde_json::to_string(&Money(100)).unwrap(), "1");
        assert_eq!(serde_json::to_string(&Money(150)).unwrap(), "1.5");
    }
}
