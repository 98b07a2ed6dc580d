//! Applying a `Change` inside one multi-document transaction (run by
//! `transaction`'s bounded retry loop): inserts first (so change streams
//! report a new order before the stock it took), orders rewritten over the
//! version read, product edits, then each guarded `$inc` — which returns the
//! product as it left it, so the answer needs no further reads — and the
//! ledger movements in one `insertMany`; last the events it announces (the
//! outbox), rendered from what it left.

use super::docs::{date, oid, CustomerDoc, MovementDoc, OrderDoc, OutboxDoc, ProductDoc};
use super::errors::duplicate_field;
use super::transaction::Abort;
use super::MongoStore;
use crate::domain::{AppError, Product};
use crate::server::store::records::{Kind, Record};
use crate::server::store::{Applied, Change, OrderUpdate};
use bson::{doc, Bson, Document};
use mongodb::options::ReturnDocument;
use mongodb::{ClientSession, Collection};
use serde::Serialize;

impl MongoStore {
    pub(super) async fn apply_in(
        &self,
        s: &mut ClientSession,
        change: &Change,
    ) -> Result<Applied, Abort> {
        // What others refer to goes in first (customers, products, orders,
        // movements), and the order before the stock it takes, so change
        // streams report them in that order.
        for kind in Kind::ALL {
            let records: Vec<&Record> =
                change.inserts.iter().filter(|r| r.kind() == kind).collect();
            if records.is_empty() {
                continue;
            }
            let inserted = match kind {
                Kind::Customers => {
                    self.insert_many(s, &self.customers, &records, |r| match r {
                        Record::Customer(c) => Some(CustomerDoc::from(c)),
                        _ => None,
                    })
                    .await
                }
                Kind::Products => {
                    self.insert_many(s, &self.products, &records, |r| match r {
                        Record::Product(p) => Some(ProductDoc::from(p)),
                        _ => None,
                    })
                    .await
                }
                Kind::Orders => {
                    self.insert_many(s, &self.orders, &records, |r| match r {
                        Record::Order(o) => Some(OrderDoc::from(o.as_ref())),
                        _ => None,
                    })
                    .await
                }
                Kind::Movements => {
                    self.insert_many(s, &self.movements(), &records, |r| match r {
                        Record::Movement(m) => Some(MovementDoc::from(m)),
                        _ => None,
                    })
                    .await
                }
            };
            inserted?;
        }
        for update in &change.order_updates {
            if !self.update_order(s, update).await? {
                return Ok(Applied::Stale);
            }
        }
        let at = date(change.at);
        let mut products: Vec<Product> = Vec::new();
        for edit in &change.product_edits {
            let mut set = doc! { "updatedAt": at };
            if let Some(name) = &edit.name {
                set.insert("name", name);
            }
            if let Some(price) = edit.price {
                set.insert("price", price.cents());
            }
            if let Some(threshold) = edit.low_stock_threshold {
                set.insert("lowStockThreshold", threshold);
            }
            let edited = self
                .products
                .find_one_and_update(doc! { "_id": oid(edit.product) }, doc! { "$set": set })
                .return_document(ReturnDocument::After)
                .session(&mut *s)
                .await?;
            match edited {
                Some(product) => Applied::keep_latest(&mut products, product.into()),
                None => return Ok(Applied::Stale),
            }
        }
        let mut movements = Vec::with_capacity(change.stock.len());
        for (i, delta) in change.stock.iter().enumerate() {
            let guard = match delta.expected_stock {
                Some(expected) => Bson::Int64(expected),
                // Validation keeps deltas far from i64::MIN, so this negates.
                None => Bson::Document(doc! { "$gte": delta.delta.saturating_neg() }),
            };
            let moved = self
                .products
                .find_one_and_update(
                    doc! { "_id": oid(delta.product), "stock": guard },
                    doc! { "$inc": { "stock": delta.delta }, "$set": { "updatedAt": at } },
                )
                .return_document(ReturnDocument::After)
                .session(&mut *s)
                .await?;
            let Some(product) = moved else {
                let now = self
                    .products
                    .find_one(doc! { "_id": oid(delta.product) })
                    .session(&mut *s)
                    .await?
                    .map(|p| p.stock);
                return Ok(delta.refusal(i, now));
            };
            movements.push(delta.movement(product.stock, change));
            Applied::keep_latest(&mut products, product.into());
        }
        if !movements.is_empty() {
            self.movements()
                .insert_many(movements.iter().map(MovementDoc::from))
                .session(&mut *s)
                .await?;
        }
        if !change.activity.is_empty() {
            self.activity_log()
                .insert_many(&change.activity)
                .session(&mut *s)
                .await?;
        }
        if let Some(announce) = &change.announce {
            let events = (announce.0)(&products, &movements).map_err(Abort::Refused)?;
            if !events.is_empty() {
                self.outbox()
                    .insert_many(events.iter().map(OutboxDoc::from))
                    .session(&mut *s)
                    .await?;
            }
        }
        Ok(Applied::Done {
            products,
            movements,
        })
    }

    /// Inserts one kind's records; a unique value taken refuses the change.
    async fn insert_many<T: Serialize + Send + Sync>(
        &self,
        s: &mut ClientSession,
        into: &Collection<T>,
        records: &[&Record],
        doc_of: impl Fn(&Record) -> Option<T>,
    ) -> Result<(), Abort> {
        let docs: Vec<T> = records.iter().filter_map(|r| doc_of(r)).collect();
        match into.insert_many(docs).session(&mut *s).await {
            Ok(_) => Ok(()),
            Err(e) => Err(match (duplicate_field(&e), records) {
                (Some(field), [record]) => Abort::Refused(record.duplicate(field)),
                (Some(field), _) => Abort::Refused(AppError::Duplicate {
                    field: field.into(),
                    value: format!("one of the {} being written", into.name()),
                }),
                (None, _) => Abort::Db(e),
            }),
        }
    }

    /// Rewrites what changes over an order's life if the order is still at
    /// the version read; false when it is not.
    async fn update_order(
        &self,
        s: &mut ClientSession,
        update: &OrderUpdate,
    ) -> Result<bool, Abort> {
        let order = OrderDoc::from(&update.order);
        // Orders from before versions existed have none: that is version 0.
        let read = match update.read_version {
            0 => Bson::Document(doc! { "$in": [0_i64, Bson::Null] }),
            v => Bson::Int64(v as i64),
        };
        let history = bson::to_bson(&order.status_history).map_err(|e| Abort::Db(e.into()))?;
        let activity = bson::to_bson(&order.activity).map_err(|e| Abort::Db(e.into()))?;
        let set: Document = doc! {
            "status": order.status.as_str(),
            "paymentReceived": order.payment_received,
            "statusHistory": history,
            "updatedAt": order.updated_at,
            "version": order.version,
            "activity": activity,
            "refundedTotal": order.refunded_total,
            "paymentStatus": order.payment_status.as_str(),
            "fulfillmentStatus": order.fulfillment_status.as_str(),
        };
        let written = self
            .orders
            .update_one(
                doc! { "_id": order.id, "version": read },
                doc! { "$set": set },
            )
            .session(&mut *s)
            .await?;
        Ok(written.matched_count == 1)
    }
}
