//! The stock ledger: every change of a product's stock is a movement, so for
//! every product at every commit `stock = Σ delta` over its movements.

use super::{Actor, Id, Product, Timestamp};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Why a product's stock moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum StockReason {
    /// A new product's opening stock (or, on a database from before the
    /// ledger, the stock it had then).
    Received,
    /// Set or adjusted by hand (`PATCH /api/products/:id`).
    Adjusted,
    /// Taken by an order.
    Ordered,
    /// Given back by a cancelled order.
    Cancelled,
    /// Returned by a customer and put back on sale.
    Returned,
}

impl StockReason {
    pub const ALL: [StockReason; 5] = [
        StockReason::Received,
        StockReason::Adjusted,
        StockReason::Ordered,
        StockReason::Cancelled,
        StockReason::Returned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StockReason::Received => "RECEIVED",
            StockReason::Adjusted => "ADJUSTED",
            StockReason::Ordered => "ORDERED",
            StockReason::Cancelled => "CANCELLED",
            StockReason::Returned => "RETURNED",
        }
    }
}

impl fmt::Display for StockReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StockReason {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        StockReason::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or(())
    }
}

/// One entry of the ledger, written in the transaction that moved the stock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StockMovement {
    #[serde(rename = "_id")]
    pub id: Id,
    pub product: Id,
    /// The product's SKU when the stock moved.
    pub sku: String,
    pub delta: i64,
    /// The product's stock right after this movement.
    pub stock_after: i64,
    pub reason: StockReason,
    /// The order that took or returned the stock.
    pub order: Option<Id>,
    pub actor: Actor,
    pub at: Timestamp,
}

/// The products a change's `movements` took from above their low-stock
/// threshold to at or below it, as the change left them.
pub fn fallen_to_threshold<'a>(
    products: &'a [Product],
    movements: &'a [StockMovement],
) -> impl Iterator<Item = &'a Product> + 'a {
    products.iter().filter(|p| {
        movements
            .iter()
            .any(|m| m.product == p.id && m.crosses_down(p.low_stock_threshold))
    })
}

impl StockMovement {
    /// This movement took the product from above its threshold to at or below it.
    pub fn crosses_down(&self, threshold: i64) -> bool {
        let before = self.stock_after.checked_sub(self.delta);
        self.stock_after <= threshold && before.is_some_and(|before| before > threshold)
    }

    /// A new product's opening stock: the first entry of its ledger.
    pub fn received(id: Id, product: &Product, actor: Actor) -> StockMovement {
        StockMovement {
            id,
            product: product.id,
            sku: product.sku.clone(),
            delta: product.stock,
            stock_after: product.stock,
            reason: StockReason::Received,
            order: None,
            actor,
            at: product.created_at,
        }
    }
}

/// A product whose stock disagrees with the sum of its ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StockMismatch {
    pub product: Id,
    pub sku: String,
    pub stock: i64,
    /// Σ delta over the product's movements.
    pub ledger: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moved(delta: i64, stock_after: i64) -> StockMovement {
        StockMovement {
            id: Id::from_bytes([1; 12]),
            product: Id::from_bytes([2; 12]),
            sku: "MUG".into(),
            delta,
            stock_after,
            reason: StockReason::Ordered,
            order: None,
            actor: Actor::customer(),
            at: Timestamp::from_millis(0),
        }
    }

    #[test]
    fn only_a_fall_through_the_threshold_crosses_it() {
        assert!(moved(-2, 5).crosses_down(5));
        assert!(moved(-10, 0).crosses_down(5));
        assert!(!moved(-1, 4).crosses_down(5), "already low before");
        assert!(!moved(3, 5).crosses_down(5), "stock went up");
        assert!(!moved(-1, 6).crosses_down(5), "still above");
    }

    #[test]
    fn reasons_are_upper_case_names() {
        for r in StockReason::ALL {
            assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{r}\""));
            assert_eq!(r.as_str().parse::<StockReason>(), Ok(r));
        }
    }
}
