//! The catalogue: products, their stock and its ledger.

use super::{integration_events, Service, CHANGE_RETRIES};
use crate::domain::{
    is_staff_activity, validate, ActivityEntry, Actor, AppError, Currency, Id, NewProduct, Page,
    Product, ProductUpdate, StockMismatch, StockMovement, StockReason, Timestamp,
    DEFAULT_LOW_STOCK_THRESHOLD,
};
use crate::server::store::records::Record;
use crate::server::store::{Applied, Change, ProductEdit, StockDelta};

impl Service {
    /// A new product; its opening stock is the first entry of its ledger.
    pub async fn add_product(&self, input: NewProduct, actor: Actor) -> Result<Product, AppError> {
        let input = validate::new_product(input)?;
        let now = Timestamp::now();
        let product = Product {
            currency: Currency::shop(),
            id: Id::generate(),
            name: input.name,
            sku: input.sku,
            stock: input.stock,
            price: input.price,
            low_stock_threshold: input
                .low_stock_threshold
                .unwrap_or(DEFAULT_LOW_STOCK_THRESHOLD),
            created_at: now,
            updated_at: now,
        };
        let opening = StockMovement::received(Id::generate(), &product, actor.clone());
        let mut change = Change::new(now, actor);
        if is_staff_activity(&change.actor) {
            let summary = format!(
                "Added {} ({}): {} in stock at {}",
                product.name,
                product.sku,
                product.stock,
                product.currency.format(product.price)
            );
            change.activity = vec![ActivityEntry::of_product(
                product.id,
                now,
                &change.actor,
                summary,
            )];
        }
        change.inserts = vec![Record::Product(product.clone()), Record::Movement(opening)];
        self.store.apply(change).await?.unguarded()?;
        self.announce(None, std::slice::from_ref(&product), &[]);
        Ok(product)
    }

    /// Renames, reprices or re-thresholds a product and sets (`stock`) or
    /// adjusts (`stockAdjustment`) its stock, recording the move in the
    /// ledger. A level set outright is written only over the level it was
    /// decided on, so it never silently undoes an order placed meanwhile.
    pub async fn update_product(
        &self,
        id: Id,
        update: ProductUpdate,
        actor: Actor,
    ) -> Result<Product, AppError> {
        let update = validate::product_update(update)?;
        for _ in 0..CHANGE_RETRIES {
            let current = self.product(id).await?;
            let now = Timestamp::now();
            let mut change = Change::new(now, actor.clone());
            change.announce = Some(integration_events::stock_changed(now));
            if update.name.is_some()
                || update.price.is_some()
                || update.low_stock_threshold.is_some()
            {
                change.product_edits.push(ProductEdit {
                    product: id,
                    name: update.name.clone(),
                    price: update.price,
                    low_stock_threshold: update.low_stock_threshold,
                });
            }
            let (delta, expected_stock) = match (update.stock, update.stock_adjustment) {
                (Some(level), _) => (level - current.stock, Some(current.stock)),
                (None, Some(delta)) => {
                    validate::stock("stockAdjustment", (current.stock + delta).max(0))?;
                    (delta, None)
                }
                (None, None) => (0, None),
            };
            if delta != 0 {
                change.stock.push(StockDelta {
                    movement: Id::generate(),
                    product: id,
                    sku: current.sku.clone(),
                    delta,
                    reason: StockReason::Adjusted,
                    order: None,
                    expected_stock,
                });
            }
            if change.product_edits.is_empty() && change.stock.is_empty() {
                return Ok(current);
            }
            if is_staff_activity(&actor) {
                let summary = product_change_summary(&current, &update, delta);
                change.activity = vec![ActivityEntry::of_product(id, now, &actor, summary)];
            }
            match self.store.apply(change).await? {
                Applied::Done {
                    products,
                    movements,
                } => {
                    self.announce(None, &products, &movements);
                    return products
                        .into_iter()
                        .find(|p| p.id == id)
                        .ok_or(AppError::Internal);
                }
                Applied::Stale => continue,
                Applied::ShortOfStock { available, .. } => {
                    return Err(AppError::StockWouldBeNegative {
                        sku: current.sku,
                        available,
                    })
                }
            }
        }
        Err(AppError::Unavailable)
    }

    pub async fn product(&self, id: Id) -> Result<Product, AppError> {
        let found = self.store.products_by_key(&[id.to_string()]).await?;
        found
            .into_iter()
            .find(|p| p.id == id)
            .ok_or_else(|| AppError::not_found("product", id))
    }

    /// The catalogue sorted by name; `q` matches name or SKU, `low_only`
    /// keeps the products at or below their low-stock threshold.
    pub async fn products(
        &self,
        q: Option<&str>,
        low_only: bool,
    ) -> Result<Vec<Product>, AppError> {
        let mut products = self.store.products(q).await?;
        if low_only {
            products.retain(Product::is_low_on_stock);
        }
        Ok(products)
    }

    /// A product's stock ledger, newest first.
    pub async fn movements(&self, product: Id, page: Page) -> Result<Vec<StockMovement>, AppError> {
        self.product(product).await?;
        self.store.movements(product, page).await
    }

    /// Every product whose stock is not the sum of its ledger: empty when
    /// every stock change is accounted for.
    pub async fn stock_mismatches(&self) -> Result<Vec<StockMismatch>, AppError> {
        self.store.stock_mismatches().await
    }
}

/// What a product change did, in a sentence: "Changed MUG: name Mug → Big
/// mug, price $12.50 → $14.00, stock +5".
fn product_change_summary(before: &Product, update: &ProductUpdate, stock_delta: i64) -> String {
    let mut parts = Vec::new();
    if let Some(name) = update.name.as_ref().filter(|n| **n != before.name) {
        parts.push(format!("name {} → {name}", before.name));
    }
    if let Some(price) = update.price.filter(|p| *p != before.price) {
        let money = |m| before.currency.format(m);
        parts.push(format!("price {} → {}", money(before.price), money(price)));
    }
    if let Some(threshold) = update
        .low_stock_threshold
        .filter(|t| *t != before.low_stock_threshold)
    {
        parts.push(format!(
            "low-stock threshold {} → {threshold}",
            before.low_stock_threshold
        ));
    }
    if stock_delta != 0 {
        parts.push(format!(
            "stock {stock_delta:+} (to {})",
            before.stock + stock_delta
        ));
    }
    if parts.is_empty() {
        parts.push("saved unchanged".into());
    }
    format!("Changed {}: {}", before.sku, parts.join(", "))
}
