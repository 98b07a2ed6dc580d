//! The limits of ARCHITECTURE.md as functions both the server and the browser
//! run: the browser to show messages inline, the server to enforce them.
//! Each check returns the cleaned value or an `Invalid` error naming the field.

use super::{
    Address, AppError, Money, NewCustomer, NewOrder, NewOrderLine, NewProduct, ProductUpdate,
};

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_SKU_CHARS: usize = 64;
pub const MAX_EMAIL_CHARS: usize = 254;
pub const MAX_LINES: usize = 100;
/// A status move's reason, as staff type it (newlines allowed).
pub const MAX_REASON_CHARS: usize = 500;
/// An order note or a return's note.
pub const MAX_NOTE_CHARS: usize = 2000;
pub const MAX_QUANTITY: i64 = 10_000;
/// Stock levels stay below a billion units per product.
pub const MAX_STOCK: i64 = 999_999_999;

pub fn name(field: &str, value: &str) -> Result<String, AppError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::invalid(field, "must not be empty"));
    }
    if value.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::invalid(
            field,
            format!("must be at most {MAX_NAME_CHARS} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(AppError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(value.to_string())
}

/// An optional free-text reason: trimmed, blank is none.
pub fn reason(value: Option<&str>) -> Result<Option<String>, AppError> {
    optional_text("reason", value, MAX_REASON_CHARS)
}

/// Optional free text of at most `max` characters: trimmed, blank is none;
/// line breaks and tabs allowed, other control characters not.
pub fn optional_text(
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, AppError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > max {
        return Err(AppError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(AppError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(Some(value.to_string()))
}

/// A parcel's tracking link: an absolute `https://` or `http://` address
/// with a host, at most 2,000 characters.
pub fn tracking_url(value: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(url) = optional_text("trackingUrl", value, 2000)? else {
        return Ok(None);
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .filter(|rest| {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty() && !host.contains('@')
        });
    if rest.is_none() || url.chars().any(char::is_whitespace) {
        return Err(AppError::invalid(
            "trackingUrl",
            "must be an https:// (or http://) address",
        ));
    }
    Ok(Some(url))
}

/// A delivery address: every field trimmed, at most 200 characters; name,
/// first line, city and postal code required; the country an ISO 3166-1
/// alpha-2 code. `field` prefixes the names in errors.
pub fn address(field: &str, input: &Address) -> Result<Address, AppError> {
    let required = |name_: &str, value: &str| name(&format!("{field}.{name_}"), value);
    let optional = |name_: &str, value: &Option<String>| {
        optional_text(
            &format!("{field}.{name_}"),
            value.as_deref(),
            MAX_NAME_CHARS,
        )
        .and_then(|v| match v {
            Some(v) if v.contains(['\n', '\r']) => Err(AppError::invalid(
                format!("{field}.{name_}"),
                "must be one line",
            )),
            other => Ok(other),
        })
    };
    let country = input.country.trim().to_ascii_uppercase();
    if super::countries::name(&country).is_none() {
        return Err(AppError::invalid(
            format!("{field}.country"),
            "must be an ISO 3166-1 alpha-2 country code, such as DE or US",
        ));
    }
    Ok(Address {
        name: required("name", &input.name)?,
        line1: required("line1", &input.line1)?,
        line2: optional("line2", &input.line2)?,
        city: required("city", &input.city)?,
        region: optional("region", &input.region)?,
        postal_code: required("postalCode", &input.postal_code)?,
        country,
    })
}

pub fn sku(value: &str) -> Result<String, AppError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::invalid("sku", "must not be empty"));
    }
    if value.len() > MAX_SKU_CHARS {
        return Err(AppError::invalid(
            "sku",
            format!("must be at most {MAX_SKU_CHARS} characters"),
        ));
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
    {
        return Err(AppError::invalid(
            "sku",
            "may contain only letters, digits and - _ . /",
        ));
    }
    Ok(value.to_string())
}

pub fn email(value: &str) -> Result<String, AppError> {
    let value = value.trim().to_ascii_lowercase();
    let bad = || AppError::invalid("email", "must be an email address like name@example.com");
    if value.len() > MAX_EMAIL_CHARS {
        return Err(AppError::invalid(
            "email",
            format!("must be at most {MAX_EMAIL_CHARS} characters"),
        ));
    }
    let (local, domain) = value.split_once('@').ok_or_else(bad)?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&b));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && !tld.bytes().all(|b| b.is_ascii_digit()));
    if local_ok && domain_ok {
        Ok(value)
    } else {
        Err(bad())
    }
}

pub fn phone(value: &str) -> Result<String, AppError> {
    let value = value.trim();
    let digits = value.bytes().filter(u8::is_ascii_digit).count();
    let chars_ok = value.bytes().enumerate().all(|(i, b)| {
        b.is_ascii_digit() || matches!(b, b' ' | b'-' | b'(' | b')') || (b == b'+' && i == 0)
    });
    if !chars_ok || value.len() > 40 {
        return Err(AppError::invalid(
            "phone",
            "may contain only digits, a leading +, spaces, dashes and parentheses",
        ));
    }
    if !(7..=20).contains(&digits) {
        return Err(AppError::invalid("phone", "must have 7 to 20 digits"));
    }
    Ok(value.to_string())
}

pub fn stock(field: &str, value: i64) -> Result<i64, AppError> {
    if !(0..=MAX_STOCK).contains(&value) {
        return Err(AppError::invalid(
            field,
            format!("must be between 0 and {MAX_STOCK}"),
        ));
    }
    Ok(value)
}

pub fn quantity(field: &str, value: i64) -> Result<i64, AppError> {
    if !(1..=MAX_QUANTITY).contains(&value) {
        return Err(AppError::invalid(
            field,
            format!("must be between 1 and {MAX_QUANTITY}"),
        ));
    }
    Ok(value)
}

pub fn new_customer(input: NewCustomer) -> Result<NewCustomer, AppError> {
    Ok(NewCustomer {
        name: name("name", &input.name)?,
        email: email(&input.email)?,
        phone: phone(&input.phone)?,
    })
}

/// A unit price: at most `Money::MAX_PRICE` (not negative, at most two
/// decimals: checked when it was read, see `Money::from_decimal`).
pub fn price(value: Money) -> Result<Money, AppError> {
    if value > Money::MAX_PRICE {
        return Err(AppError::invalid("price", "must be at most 99999999.99"));
    }
    Ok(value)
}

pub fn new_product(input: NewProduct) -> Result<NewProduct, AppError> {
    Ok(NewProduct {
        name: name("name", &input.name)?,
        sku: sku(&input.sku)?,
        stock: stock("stock", input.stock)?,
        price: price(input.price)?,
        low_stock_threshold: input
            .low_stock_threshold
            .map(|t| stock("lowStockThreshold", t))
            .transpose()?,
    })
}

pub fn product_update(input: ProductUpdate) -> Result<ProductUpdate, AppError> {
    if input.stock.is_some() && input.stock_adjustment.is_some() {
        return Err(AppError::invalid(
            "stockAdjustment",
            "cannot be combined with stock; send one of them",
        ));
    }
    if let Some(delta) = input.stock_adjustment {
        if !(-MAX_STOCK..=MAX_STOCK).contains(&delta) {
            return Err(AppError::invalid(
                "stockAdjustment",
                format!("must be between -{MAX_STOCK} and {MAX_STOCK}"),
            ));
        }
    }
    Ok(ProductUpdate {
        name: input.name.as_deref().map(|n| name("name", n)).transpose()?,
        price: input.price.map(price).transpose()?,
        stock: input.stock.map(|s| stock("stock", s)).transpose()?,
        stock_adjustment: input.stock_adjustment,
        low_stock_threshold: input
            .low_stock_threshold
            .map(|t| stock("lowStockThreshold", t))
            .transpose()?,
    })
}

/// The order's shape: 1–100 lines, each 1–10,000 units of a named product.
pub fn new_order(input: &NewOrder) -> Result<(), AppError> {
    order_lines(&input.items)?;
    if let Some(a) = &input.shipping_address {
        address("shippingAddress", a)?;
    }
    Ok(())
}

/// The lines alone, for callers that check a cart before a customer exists
/// to order it (the shop's checkout).
pub fn order_lines(items: &[NewOrderLine]) -> Result<(), AppError> {
    if items.is_empty() {
        return Err(AppError::invalid("items", "must contain at least one line"));
    }
    if items.len() > MAX_LINES {
        return Err(AppError::invalid(
            "items",
            format!("must contain at most {MAX_LINES} lines"),
        ));
    }
    for (i, line) in items.iter().enumerate() {
        let product = line.product.trim();
        if product.is_empty() || product.len() > MAX_SKU_CHARS {
            return Err(AppError::invalid(
                format!("items[{i}].product"),
                "must be a product id or SKU",
            ));
        }
        quantity(&format!("items[{i}].quantity"), line.quantity)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(e: AppError) -> String {
        match e {
            AppError::Invalid { field, .. } => field,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn emails() {
        assert_eq!(email(" Ada@Example.COM ").unwrap(), "ada@example.com");
        assert!(email("a.b+tag@mail.example.co.uk").is_ok());
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@@example.com",
            "a da@example.com",
            "ada@exa_mple.com",
            "ada@.com",
            ".ada@example.com",
            "ada@example.c",
        ] {
            assert_eq!(field_of(email(bad).unwrap_err()), "email", "{bad}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(email(&long).is_err());
    }

    #[test]
    fn phones() {
        assert!(phone("+1 (555) 123-4567").is_ok());
        assert!(phone("5551234").is_ok());
        for bad in [
            "555123",
            "123456789012345678901",
            "555-CALL-NOW",
            "55+51234567",
            "",
            "+",
        ] {
            assert_eq!(field_of(phone(bad).unwrap_err()), "phone", "{bad}");
        }
    }

    #[test]
    fn names_and_skus() {
        assert_eq!(name("name", "  Ada  ").unwrap(), "Ada");
        assert!(name("name", &"é".repeat(200)).is_ok());
        assert!(name("name", &"é".repeat(201)).is_err());
        assert!(name("name", "   ").is_err());
        assert!(name("name", "a\u{0}b").is_err());
        assert!(sku("MUG-01/blue").is_ok());
        assert!(sku("MUG 01").is_err());
        assert!(sku(&"A".repeat(65)).is_err());
    }

    #[test]
    fn quantities_and_stock() {
        assert!(quantity("q", 1).is_ok() && quantity("q", 10_000).is_ok());
        assert!(
            quantity("q", 0).is_err()
                && quantity("q", 10_001).is_err()
                && quantity("q", -1).is_err()
        );
        assert!(stock("stock", 0).is_ok() && stock("stock", -1).is_err());
    }

    #[test]
    fn order_shape_names_the_line() {
        use crate::domain::Id;
        let order = |items: Vec<NewOrderLine>| NewOrder {
            customer: Id::from_bytes([1; 12]),
            items,
            shipping_address: None,
            payment_received: false,
        };
        let line = |q| NewOrderLine {
            product: "SKU-1".into(),
            quantity: q,
        };
        assert_eq!(field_of(new_order(&order(vec![])).unwrap_err()), "items");
        assert_eq!(
            field_of(new_order(&order(vec![line(1), line(0)])).unwrap_err()),
            "items[1].quantity"
        );
        assert_eq!(
            field_of(new_order(&order((0..101).map(|_| line(1)).collect())).unwrap_err()),
            "items"
        );
        assert!(new_order(&order(vec![line(3)])).is_ok());
    }

    #[test]
    fn tracking_links_are_web_addresses() {
        assert_eq!(
            tracking_url(Some(" https://track.example/1Z "))
                .unwrap()
                .as_deref(),
            Some("https://track.example/1Z")
        );
        assert!(tracking_url(Some("http://track.example")).is_ok());
        assert_eq!(tracking_url(Some("  ")).unwrap(), None);
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "ftp://x.example",
            "https://",
            "https:///path",
            "https://user@evil.example/",
            "https://a b.example",
            "//track.example",
        ] {
            assert!(tracking_url(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn addresses_name_the_field_at_fault() {
        let good = Address {
            name: " Ada ".into(),
            line1: "1 Main St".into(),
            line2: Some("  ".into()),
            city: "Leeds".into(),
            region: None,
            postal_code: "LS1 1AA".into(),
            country: "gb".into(),
        };
        let cleaned = address("shippingAddress", &good).unwrap();
        assert_eq!(
            (cleaned.name.as_str(), cleaned.country.as_str()),
            ("Ada", "GB")
        );
        assert_eq!(cleaned.line2, None, "blank is none");
        let with = |change: fn(&mut Address)| {
            let mut a = good.clone();
            change(&mut a);
            field_of(address("shippingAddress", &a).unwrap_err())
        };
        assert_eq!(with(|a| a.country = "XX".into()), "shippingAddress.country");
        assert_eq!(
            with(|a| a.country = "GBR".into()),
            "shippingAddress.country"
        );
        assert_eq!(with(|a| a.city = String::new()), "shippingAddress.city");
        assert_eq!(
            with(|a| a.postal_code = "x".repeat(201)),
            "shippingAddress.postalCode"
        );
        assert_eq!(
            with(|a| a.line2 = Some("a\nb".into())),
            "shippingAddress.line2"
        );
    }
}
