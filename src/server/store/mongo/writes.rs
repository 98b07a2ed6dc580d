//! Writes that span documents, each run inside one transaction (see
//! `transaction`): placing an order, moving its status, updating a product.

use super::docs::{date, oid, OrderDoc, StatusDoc};
use super::errors::duplicate_field;
use super::transaction::Abort;
use super::MongoStore;
use crate::domain::{AppError, Id, OrderStatus, Product, ProductUpdate, StatusEntry, Timestamp};
use crate::server::store::{apply_update, OrderDraft, StatusMove};
use bson::doc;
use bson::oid::ObjectId;
use mongodb::options::ReturnDocument;
use mongodb::ClientSession;
use std::collections::HashMap;

impl MongoStore {
    /// Places the order inside the transaction: the order is written first
    /// (so change streams report it before the stock it took), then stock is
    /// taken line by line, each guarded `$inc` returning the product as it
    /// left it, so the answer needs no further reads; a line short of stock
    /// aborts it all.
    pub(super) async fn place_in(
        &self,
        s: &mut ClientSession,
        draft: &OrderDraft,
    ) -> Result<Placing, Abort> {
        if let Some(idem) = &draft.idempotency {
            let earlier = self
                .orders
                .find_one(doc! { "idempotencyKey": &idem.key })
                .session(&mut *s)
                .await?;
            if let Some(earlier) = earlier {
                return Ok(Placing::Existing(earlier));
            }
        }
        let order = OrderDoc::placed(draft);
        if let Err(e) = self.orders.insert_one(&order).session(&mut *s).await {
            return Err(match duplicate_field(&e) {
                Some("number") => Abort::Refused(AppError::Duplicate {
                    field: "number".into(),
                    value: draft.number.clone(),
                }),
                Some("idempotencyKey") => Abort::Raced,
                _ => Abort::Db(e),
            });
        }
        let at = date(draft.placed_at);
        let mut products = HashMap::with_capacity(draft.lines.len());
        for (i, line) in draft.lines.iter().enumerate() {
            let taken = self
                .products
                .find_one_and_update(
                    doc! { "_id": oid(line.product), "stock": { "$gte": line.quantity } },
                    doc! { "$inc": { "stock": -line.quantity }, "$set": { "updatedAt": at } },
                )
                .return_document(ReturnDocument::After)
                .session(&mut *s)
                .await?;
            let Some(product) = taken else {
                let available = self
                    .products
                    .find_one(doc! { "_id": oid(line.product) })
                    .session(&mut *s)
                    .await?
                    .map_or(0, |p| p.stock);
                return Err(Abort::Refused(AppError::OutOfStock {
                    line: i,
                    sku: line.sku.clone(),
                    requested: line.quantity,
                    available,
                }));
            };
            products.insert(product.id, Product::from(product));
        }
        Ok(Placing::New { order, products })
    }

    /// Moves the status inside the transaction if it is still `from`; `None`
    /// when it is not (or the order does not exist).
    pub(super) async fn move_in(
        &self,
        s: &mut ClientSession,
        change: &StatusMove,
    ) -> Result<Option<OrderDoc>, Abort> {
        let at = date(change.at);
        let mut set = doc! { "status": change.to.as_str(), "updatedAt": at };
        if change.to == OrderStatus::Paid {
            set.insert("paymentReceived", true);
        }
        let entry = StatusDoc::from(StatusEntry {
            status: change.to,
            at: change.at,
            actor: change.actor,
        });
        let entry = bson::to_bson(&entry).map_err(|e| Abort::Db(e.into()))?;
        let moved = self
            .orders
            .find_one_and_update(
                doc! { "_id": oid(change.order), "status": change.from.as_str() },
                doc! { "$set": set, "$push": { "statusHistory": entry } },
            )
            .return_document(ReturnDocument::After)
            .session(&mut *s)
            .await?;
        if let (Some(order), OrderStatus::Cancelled) = (&moved, change.to) {
            for line in &order.items {
                self.products
                    .update_one(
                        doc! { "_id": line.product },
                        doc! { "$inc": { "stock": line.quantity }, "$set": { "updatedAt": at } },
                    )
                    .session(&mut *s)
                    .await?;
            }
        }
        Ok(moved)
    }

    pub(super) async fn update_in(
        &self,
        s: &mut ClientSession,
        (id, update, at): &(Id, ProductUpdate, Timestamp),
    ) -> Result<Product, Abort> {
        let current = self
            .products
            .find_one(doc! { "_id": oid(*id) })
            .session(&mut *s)
            .await?
            .ok_or_else(|| AppError::not_found("product", id))?;
        let updated = apply_update(current.into(), update.clone(), *at)?;
        self.products
            .update_one(
                doc! { "_id": oid(*id) },
                doc! { "$set": {
                    "name": &updated.name,
                    "price": updated.price.cents(),
                    "stock": updated.stock,
                    "updatedAt": date(*at),
                } },
            )
            .session(&mut *s)
            .await?;
        Ok(updated)
    }
}

/// What the order transaction found or wrote.
pub(super) enum Placing {
    /// The order written, with the products its lines took stock from.
    New {
        order: OrderDoc,
        products: HashMap<ObjectId, Product>,
    },
    Existing(OrderDoc),
}
