//! A small demo catalogue for a first look, added only when asked for
//! (`igniflo --demo`) and only to an empty catalogue.

use crate::domain::{Money, NewProduct};
use crate::server::service::Service;

const CATALOGUE: &[(&str, &str, i64, i64)] = &[
    ("Ceramic mug, ember orange", "MUG-EMBER", 40, 1_450),
    ("Ceramic mug, slate", "MUG-SLATE", 25, 1_450),
    ("Pour-over coffee dripper", "DRIP-01", 12, 2_900),
    ("Whole-bean coffee, 1 kg", "BEAN-1KG", 60, 2_450),
    ("Paper filters, 100 pack", "FILTER-100", 200, 599),
    ("Gooseneck kettle", "KETTLE-GN", 5, 6_900),
    ("Burr grinder", "GRIND-BURR", 3, 12_900),
    ("Travel tumbler", "TUMBLER-12", 0, 2_200),
];

pub async fn seed_if_empty(service: &Service) -> Result<usize, String> {
    let existing = service
        .products(None, false)
        .await
        .map_err(|e| e.to_string())?;
    if !existing.is_empty() {
        return Ok(0);
    }
    for (name, sku, stock, cents) in CATALOGUE {
        service
            .add_product(
                NewProduct {
                    name: (*name).into(),
                    sku: (*sku).into(),
                    stock: *stock,
                    price: Money::from_cents(*cents),
                    low_stock_threshold: None,
                },
                crate::domain::Actor::system(),
            )
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(CATALOGUE.len())
}
