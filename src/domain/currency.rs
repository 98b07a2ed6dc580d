//! The shop's currency (`IGNIFLO_CURRENCY`, ISO 4217): amounts stay integer
//! minor units; pages show them with the currency's symbol and grouping.

use super::Money;
use serde::{Deserialize, Serialize};
use std::fmt;

/// ISO 4217 codes of currencies with two minor digits, and how an English
/// page writes them (as `Intl.NumberFormat("en")` does). Currencies with no
/// or three minor digits (JPY, KWD, …) are not offered: the REST contract's
/// amounts have two decimals.
const CURRENCIES: &[(&str, &str)] = &[
    ("AED", "AED\u{a0}"),
    ("AUD", "A$"),
    ("BGN", "BGN\u{a0}"),
    ("BRL", "R$"),
    ("CAD", "CA$"),
    ("CHF", "CHF\u{a0}"),
    ("CNY", "CN¥"),
    ("CZK", "CZK\u{a0}"),
    ("DKK", "DKK\u{a0}"),
    ("EUR", "€"),
    ("GBP", "£"),
    ("HKD", "HK$"),
    ("ILS", "₪"),
    ("INR", "₹"),
    ("MXN", "MX$"),
    ("MYR", "MYR\u{a0}"),
    ("NOK", "NOK\u{a0}"),
    ("NZD", "NZ$"),
    ("PHP", "₱"),
    ("PLN", "PLN\u{a0}"),
    ("RON", "RON\u{a0}"),
    ("SEK", "SEK\u{a0}"),
    ("SGD", "SGD\u{a0}"),
    ("THB", "THB\u{a0}"),
    ("TRY", "TRY\u{a0}"),
    ("USD", "$"),
    ("ZAR", "ZAR\u{a0}"),
];

/// A currency code from the list above.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(usize);

/// In the OpenAPI document: the ISO 4217 code.
#[cfg(feature = "ssr")]
impl utoipa::PartialSchema for Currency {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(Currency::codes()))
            .examples([serde_json::json!("USD")])
            .into()
    }
}

#[cfg(feature = "ssr")]
impl utoipa::ToSchema for Currency {}

impl Currency {
    pub const USD: Currency = Currency(25);

    pub fn code(self) -> &'static str {
        CURRENCIES[self.0].0
    }

    /// Every currency a shop may use, by code.
    pub fn codes() -> impl Iterator<Item = &'static str> {
        CURRENCIES.iter().map(|(code, _)| *code)
    }

    /// `1234.5` as `$1,234.50`, `-€3.00` for a negative amount.
    pub fn format(self, amount: Money) -> String {
        let cents = amount.cents();
        let sign = if cents < 0 { "-" } else { "" };
        let abs = cents.unsigned_abs();
        let whole = (abs / 100).to_string();
        let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
        for (i, digit) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        format!("{sign}{}{grouped}.{:02}", CURRENCIES[self.0].1, abs % 100)
    }
}

impl Default for Currency {
    fn default() -> Self {
        Currency::USD
    }
}

impl std::str::FromStr for Currency {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let code = s.trim().to_ascii_uppercase();
        CURRENCIES
            .iter()
            .position(|(c, _)| *c == code)
            .map(Currency)
            .ok_or_else(|| {
                format!(
                    "{s:?} is not a currency Igniflo offers (ISO 4217 with two decimals: {})",
                    Currency::codes().collect::<Vec<_>>().join(", ")
                )
            })
    }
}

impl TryFrom<String> for Currency {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.code().to_string()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(feature = "ssr")]
static SHOP_CURRENCY: std::sync::OnceLock<Currency> = std::sync::OnceLock::new();

#[cfg(feature = "ssr")]
impl Currency {
    /// The shop's currency, as configured at start (USD until then).
    pub fn shop() -> Currency {
        SHOP_CURRENCY.get().copied().unwrap_or_default()
    }

    /// Sets the shop's currency once, at start; later calls change nothing.
    pub fn set_shop(currency: Currency) {
        let _ = SHOP_CURRENCY.set(currency);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_with_symbol_and_grouping() {
        let usd: Currency = "usd".parse().unwrap();
        assert_eq!(usd, Currency::USD);
        assert_eq!(usd.format(Money::from_cents(5800)), "$58.00");
        assert_eq!(usd.format(Money::from_cents(123_456_789)), "$1,234,567.89");
        assert_eq!(usd.format(Money::from_cents(100_000)), "$1,000.00");
        assert_eq!(usd.format(Money::from_cents(-5)), "-$0.05");
        let eur: Currency = "EUR".parse().unwrap();
        assert_eq!(eur.format(Money::from_cents(99_999)), "€999.99");
        let chf: Currency = "CHF".parse().unwrap();
        assert_eq!(
            chf.format(Money::from_cents(1_000_000)),
            "CHF\u{a0}10,000.00"
        );
    }

    #[test]
    fn only_two_decimal_iso_codes() {
        assert!("JPY".parse::<Currency>().is_err());
        assert!("XYZ".parse::<Currency>().is_err());
        assert!("".parse::<Currency>().is_err());
        assert_eq!(
            serde_json::to_string(&Currency::USD).unwrap(),
            "\"USD\"",
            "the JSON form is the code"
        );
        assert_eq!(Currency::USD.code(), "USD");
    }
}
