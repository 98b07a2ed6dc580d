//! The shopper's cart, shared by the page and the checkout server function.
//!
//! Without JavaScript the cart lives in the address (`/?cart=ID:QTY,ID:QTY`):
//! every cart button is a GET form button carrying the cart it leads to, so
//! the server renders the same cart the hydrated page keeps in a signal.
//! Quantities stay as typed until they are checked, so a mistyped quantity
//! is shown back with its message instead of silently becoming a number.

use crate::domain::{validate, AppError, Currency, Id, Money, NewOrderLine, Product};
use serde::{Deserialize, Serialize};

/// One line as the checkout form sends it: `items[i][product]` and
/// `items[i][quantity]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    pub product: Id,
    pub quantity: String,
}

impl CartLine {
    /// The line as the order engine takes it; `index` names the line in errors.
    pub fn order_line(&self, index: usize) -> Result<NewOrderLine, AppError> {
        let field = format!("items[{index}].quantity");
        let quantity = self
            .quantity
            .trim()
            .parse::<i64>()
            .map_err(|_| AppError::invalid(&field, "must be a whole number"))?;
        Ok(NewOrderLine {
            product: self.product.to_string(),
            quantity: validate::quantity(&field, quantity)?,
        })
    }

    fn count(&self) -> i64 {
        self.quantity.trim().parse().unwrap_or(0)
    }
}

/// Reads `ID:QTY,ID:QTY`; entries that are not a product id are dropped, a
/// product listed twice keeps its first line, and at most `MAX_LINES` stay.
pub fn parse_cart(text: &str) -> Vec<CartLine> {
    let mut lines: Vec<CartLine> = Vec::new();
    for entry in text.split(',') {
        let (id, quantity) = entry.split_once(':').unwrap_or((entry, "1"));
        let Ok(product) = id.trim().parse::<Id>() else {
            continue;
        };
        if lines.len() < validate::MAX_LINES && !lines.iter().any(|l| l.product == product) {
            lines.push(CartLine {
                product,
                quantity: quantity.trim().to_string(),
            });
        }
    }
    lines
}

/// The `cart` query value for these lines (the inverse of `parse_cart`).
pub fn cart_param(lines: &[CartLine]) -> String {
    lines
        .iter()
        .map(|l| format!("{}:{}", l.product, l.quantity.trim()))
        .collect::<Vec<_>>()
        .join(",")
}

/// The cart with one more unit of `product` (a new line if it had none).
pub fn with_one_more(lines: &[CartLine], product: Id) -> Vec<CartLine> {
    let mut lines = lines.to_vec();
    if let Some(line) = lines.iter_mut().find(|l| l.product == product) {
        line.quantity = (line.count().max(0) + 1).to_string();
    } else if lines.len() < validate::MAX_LINES {
        lines.push(CartLine {
            product,
            quantity: "1".into(),
        });
    }
    lines
}

/// The cart with one unit fewer of `product`; a line never drops below 1
/// (removing it is its own button).
pub fn with_one_fewer(lines: &[CartLine], product: Id) -> Vec<CartLine> {
    let mut lines = lines.to_vec();
    if let Some(line) = lines.iter_mut().find(|l| l.product == product) {
        line.quantity = (line.count() - 1).max(1).to_string();
    }
    lines
}

pub fn without(lines: &[CartLine], product: Id) -> Vec<CartLine> {
    lines
        .iter()
        .filter(|l| l.product != product)
        .cloned()
        .collect()
}

/// How many units of `product` the cart holds.
pub fn units_of(lines: &[CartLine], product: Id) -> i64 {
    lines
        .iter()
        .find(|l| l.product == product)
        .map_or(0, CartLine::count)
}

/// What is wrong with line `index` as the shopper sees it now: the order
/// engine's own quantity rule, then the stock the page last heard of. The
/// server checks both again when the order is placed.
pub fn line_problem(line: &CartLine, index: usize, product: Option<&Product>) -> Option<AppError> {
    let Some(product) = product else {
        return Some(AppError::invalid(
            format!("items[{index}].product"),
            "is no longer in the catalogue",
        ));
    };
    let quantity = match line.order_line(index) {
        Ok(order_line) => order_line.quantity,
        Err(e) => return Some(e),
    };
    (quantity > product.stock).then(|| AppError::OutOfStock {
        line: index,
        sku: product.sku.clone(),
        requested: quantity,
        available: product.stock,
    })
}

/// The line's cost at today's price, if its quantity is a number one can
/// order (a negative or zero quantity has no total, not a negative one).
pub fn line_total(line: &CartLine, product: &Product) -> Option<Money> {
    let quantity: i64 = line.quantity.trim().parse().ok().filter(|q| *q >= 1)?;
    product.price.checked_mul(quantity)
}

/// The order's total as it will be charged, if every line can be priced.
pub fn order_total(lines: &[CartLine], products: &[Product]) -> Option<Money> {
    lines.iter().try_fold(Money::default(), |sum, line| {
        let product = products.iter().find(|p| p.id == line.product)?;
        sum.checked_add(line_total(line, product)?)
    })
}

/// What the shop's prices are in (every product's is the shop's).
pub fn currency(products: &[Product]) -> Currency {
    products.first().map(|p| p.currency).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;

    fn id(n: u8) -> Id {
        Id::from_bytes([n; 12])
    }

    fn line(n: u8, quantity: &str) -> CartLine {
        CartLine {
            product: id(n),
            quantity: quantity.into(),
        }
    }

    fn product(n: u8, stock: i64, cents: i64) -> Product {
        Product {
            id: id(n),
            name: format!("Product {n}"),
            sku: format!("SKU-{n}"),
            stock,
            price: Money::from_cents(cents),
            currency: Default::default(),
            low_stock_threshold: 5,
            created_at: Timestamp::from_millis(0),
            updated_at: Timestamp::from_millis(0),
        }
    }

    #[test]
    fn the_cart_survives_the_address_bar() {
        let cart = vec![line(1, "2"), line(2, "10")];
        assert_eq!(parse_cart(&cart_param(&cart)), cart);
        let text = format!("{}:3,nonsense:1,{}:4,{}", id(1), id(1), id(2));
        assert_eq!(parse_cart(&text), vec![line(1, "3"), line(2, "1")]);
        assert!(parse_cart("").is_empty());
    }

    #[test]
    fn buttons_change_one_line() {
        let cart = with_one_more(&with_one_more(&[], id(1)), id(1));
        assert_eq!(cart, vec![line(1, "2")]);
        assert_eq!(with_one_fewer(&cart, id(1)), vec![line(1, "1")]);
        assert_eq!(with_one_fewer(&[line(1, "1")], id(1)), vec![line(1, "1")]);
        assert!(without(&cart, id(1)).is_empty());
        assert_eq!(units_of(&cart, id(1)), 2);
        assert_eq!(units_of(&cart, id(2)), 0);
    }

    #[test]
    fn lines_are_checked_with_the_engines_rules_and_the_known_stock() {
        let p = product(1, 3, 1450);
        assert_eq!(line_problem(&line(1, "3"), 0, Some(&p)), None);
        assert_eq!(
            line_problem(&line(1, "4"), 2, Some(&p)),
            Some(AppError::OutOfStock {
                line: 2,
                sku: "SKU-1".into(),
                requested: 4,
                available: 3
            })
        );
        let field_of = |e: Option<AppError>| match e {
            Some(AppError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field_of(line_problem(&line(1, "0"), 1, Some(&p))),
            "items[1].quantity"
        );
        assert_eq!(
            field_of(line_problem(&line(1, "two"), 1, Some(&p))),
            "items[1].quantity"
        );
        assert_eq!(
            field_of(line_problem(&line(1, "1"), 0, None)),
            "items[0].product"
        );
    }

    #[test]
    fn totals_are_exact_cents() {
        let products = [product(1, 10, 1450), product(2, 10, 599)];
        let cart = [line(1, "3"), line(2, "2")];
        assert_eq!(order_total(&cart, &products), Some(Money::from_cents(5548)));
        assert_eq!(order_total(&[line(1, "x")], &products), None);
        assert_eq!(order_total(&[line(1, "-2")], &products), None);
        assert_eq!(order_total(&[line(1, "0")], &products), None);
    }
}
