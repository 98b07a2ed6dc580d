//! The production store: MongoDB (a replica set or Atlas), through the
//! official driver. Each `Change` is one multi-document transaction: guarded
//! `$inc`s take or return stock, an order is rewritten only over the version
//! the service read, and the ledger's movements go in with one `insertMany`.
//! Indexes and the products' stock validator are put in place on first
//! contact, idempotently, so any number of server instances may start at once.
//!
//! `setup`: connecting, indexes, validator and data upgrades; `docs`: the
//! documents; `writes`: applying a change, run by `transaction`'s bounded
//! retry loop; `queries`: populated reads; `changes`: the change stream
//! feeding the live hub; `export`: whole records for `igniflo migrate`;
//! `errors`: what a driver error means to the OMS.

mod changes;
mod docs;
mod errors;
mod export;
mod queries;
mod setup;
mod staff;
mod staff_docs;
mod transaction;
mod webhooks;
mod writes;

use super::{Applied, Change, OutboxEvent, QuarterHourTotal, Store, StoreResult, QUARTER_HOUR_MS};
use crate::domain::{
    AppError, Customer, Id, Order, OrderFilter, Page, Product, StockMismatch, StockMovement,
    Timestamp,
};
use crate::server::events::LiveHub;
use async_trait::async_trait;
use bson::oid::ObjectId;
use bson::{doc, Document};
use docs::{date, oid, CustomerDoc, MovementDoc, OrderDoc, OutboxDoc, ProductDoc};
use errors::db_error;
use mongodb::{Client, Collection, Database};
use queries::{collect, contains, whole};
use std::collections::HashMap;
use std::sync::PoisonError;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;
use tokio::task::AbortHandle;
use transaction::Checked;

const CUSTOMERS: &str = "customers";
const PRODUCTS: &str = "products";
const ORDERS: &str = "orders";
const MOVEMENTS: &str = "stock_movements";
const OUTBOX: &str = "outbox";

/// Cheap to clone: clones share the client, and the change feed runs on one.
#[derive(Clone)]
pub struct MongoStore {
    client: Client,
    db: Database,
    customers: Collection<CustomerDoc>,
    products: Collection<ProductDoc>,
    orders: Collection<OrderDoc>,
    /// Set once indexes and the validator are in place.
    prepared: Arc<OnceCell<()>>,
    /// The cluster time when the store first reached the database.
    opened_at: Option<bson::Timestamp>,
    changes: Arc<Mutex<Option<AbortHandle>>>,
}

impl MongoStore {
    fn movements(&self) -> Collection<MovementDoc> {
        self.db.collection(MOVEMENTS)
    }

    fn outbox(&self) -> Collection<OutboxDoc> {
        self.db.collection(OUTBOX)
    }
}

#[async_trait]
impl Store for MongoStore {
    async fn ping(&self) -> StoreResult<()> {
        self.ready().await?;
        self.db
            .run_command(doc! { "ping": 1 })
            .await
            .map(drop)
            .map_err(db_error)
    }

    async fn apply(&self, change: Change) -> StoreResult<Applied> {
        self.ready().await?;
        transaction::run(&self.client, &(self, change), |s, (store, change)| {
            Box::pin(store.apply_in(s, change))
        })
        .await
    }

    async fn customer(&self, id: Id) -> StoreResult<Option<Customer>> {
        self.ready().await?;
        let found = self
            .customers
            .find_one(doc! { "_id": oid(id) })
            .await
            .map_err(db_error)?;
        Ok(found.map(Customer::from))
    }

    async fn customers(&self, q: Option<&str>, page: Page) -> StoreResult<Vec<Customer>> {
        self.ready().await?;
        let mut query = Document::new();
        if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
            let pattern = contains(q);
            query.insert(
                "$or",
                vec![doc! { "name": &pattern }, doc! { "email": pattern }],
            );
        }
        if let Some(before) = page.before {
            query.insert("_id", doc! { "$lt": oid(before) });
        }
        let found: Vec<CustomerDoc> = collect(
            self.customers
                .find(query)
                .sort(doc! { "_id": -1 })
                .limit(i64::from(page.limit))
                .await,
        )
        .await?;
        Ok(found.into_iter().map(Customer::from).collect())
    }

    async fn products_by_key(&self, keys: &[String]) -> StoreResult<Vec<Product>> {
        self.ready().await?;
        let ids: Vec<ObjectId> = keys
            .iter()
            .filter_map(|k| k.parse::<Id>().ok())
            .map(oid)
            .collect();
        let found: Vec<ProductDoc> = collect(
            self.products
                .find(doc! { "$or": [{ "_id": { "$in": ids } }, { "sku": { "$in": keys } }] })
                .await,
        )
        .await?;
        Ok(found.into_iter().map(Product::from).collect())
    }

    async fn products(&self, q: Option<&str>) -> StoreResult<Vec<Product>> {
        self.ready().await?;
        let query = match q.map(str::trim).filter(|q| !q.is_empty()) {
            Some(q) => {
                let pattern = contains(q);
                doc! { "$or": [{ "name": &pattern }, { "sku": pattern }] }
            }
            None => Document::new(),
        };
        let found: Vec<ProductDoc> = collect(self.products.find(query).await).await?;
        let mut products: Vec<Product> = found.into_iter().map(Product::from).collect();
        // Sorted here rather than by a collation, so the order is exactly the
        // embedded store's (ASCII case folded, then id).
        products.sort_by(|a, b| {
            (a.name.to_ascii_lowercase(), a.id).cmp(&(b.name.to_ascii_lowercase(), b.id))
        });
        Ok(products)
    }

    async fn movements(&self, product: Id, page: Page) -> StoreResult<Vec<StockMovement>> {
        self.ready().await?;
        let mut query = doc! { "product": oid(product) };
        if let Some(before) = page.before {
            query.insert("_id", doc! { "$lt": oid(before) });
        }
        let found: Vec<MovementDoc> = collect(
            self.movements()
                .find(query)
                .sort(doc! { "_id": -1 })
                .limit(i64::from(page.limit))
                .await,
        )
        .await?;
        Ok(found.into_iter().map(StockMovement::from).collect())
    }

    async fn stock_mismatches(&self) -> StoreResult<Vec<StockMismatch>> {
        self.ready().await?;
        // Both reads in one transaction's snapshot, so an order committed
        // in between is counted in both or in neither.
        transaction::run(&self.client, self, |s, store| {
            Box::pin(async move {
                let mut ledger = HashMap::new();
                let pipeline =
                    [doc! { "$group": { "_id": "$product", "total": { "$sum": "$delta" } } }];
                let mut sums = store
                    .movements()
                    .aggregate(pipeline)
                    .session(&mut *s)
                    .await?;
                while let Some(sum) = sums.next(&mut *s).await {
                    let sum = sum?;
                    let product = sum.get_object_id("_id").map_err(|_| AppError::Internal)?;
                    ledger.insert(product, whole(sum.get("total"))?);
                }
                let mut products = store.products.find(doc! {}).session(&mut *s).await?;
                let mut mismatches = Vec::new();
                while let Some(product) = products.next(&mut *s).await {
                    let product = product?;
                    let total = ledger.get(&product.id).copied().unwrap_or(0);
                    if total != product.stock {
                        mismatches.push(StockMismatch {
                            product: docs::id(product.id),
                            sku: product.sku,
                            stock: product.stock,
                            ledger: total,
                        });
                    }
                }
                mismatches.sort_by(|a, b| a.sku.cmp(&b.sku));
                Ok(Checked(mismatches))
            })
        })
        .await
        .map(|Checked(mismatches)| mismatches)
    }

    async fn order_by_idempotency_key(&self, key: &str) -> StoreResult<Option<(Order, String)>> {
        self.ready().await?;
        let found = self
            .orders
            .find_one(doc! { "idempotencyKey": key })
            .await
            .map_err(db_error)?;
        let Some(doc) = found else { return Ok(None) };
        let fingerprint = doc.request_fingerprint.clone().unwrap_or_default();
        let order = self.populate(vec![doc]).await?.remove(0);
        Ok(Some((order, fingerprint)))
    }

    async fn order(&self, id: Id) -> StoreResult<Option<Order>> {
        self.load_order(doc! { "_id": oid(id) }).await
    }

    async fn order_by_number(&self, number: &str) -> StoreResult<Option<Order>> {
        self.load_order(doc! { "number": number.trim().to_ascii_uppercase() })
            .await
    }

    async fn orders(&self, filter: &OrderFilter, page: Page) -> StoreResult<Vec<Order>> {
        self.ready().await?;
        let mut query = self.order_query(filter).await?;
        let (beyond, direction) = match filter.oldest_first {
            true => ("$gt", 1),
            false => ("$lt", -1),
        };
        if let Some(cursor) = page.before {
            let mut range = Document::new();
            range.insert(beyond, oid(cursor));
            query.insert("_id", range);
        }
        let docs = collect(
            self.orders
                .find(query)
                .sort(doc! { "_id": direction })
                .limit(i64::from(page.limit))
                .await,
        )
        .await?;
        self.populate(docs).await
    }

    async fn count_orders(&self, filter: &OrderFilter) -> StoreResult<u64> {
        self.ready().await?;
        let query = self.order_query(filter).await?;
        self.orders.count_documents(query).await.map_err(db_error)
    }

    async fn quarter_hour_order_totals(
        &self,
        since: Timestamp,
    ) -> StoreResult<Vec<QuarterHourTotal>> {
        self.ready().await?;
        let millis = doc! { "$toLong": "$createdAt" };
        let quarter = doc! { "$subtract": [&millis, { "$mod": [&millis, QUARTER_HOUR_MS] }] };
        let pipeline = [
            doc! { "$match": { "createdAt": { "$gte": date(since) } } },
            doc! { "$group": {
                "_id": { "from": quarter, "status": "$status" },
                "orders": { "$sum": 1 },
                "total": { "$sum": "$total" },
                "refunded": { "$sum": { "$ifNull": ["$refundedTotal", 0_i64] } },
            } },
            doc! { "$sort": { "_id.from": 1 } },
        ];
        let groups: Vec<Document> = collect(self.orders.aggregate(pipeline).await).await?;
        groups
            .iter()
            .map(|g| {
                let key = g.get_document("_id").map_err(|_| AppError::Internal)?;
                let status = key.get_str("status").map_err(|_| AppError::Internal)?;
                Ok(QuarterHourTotal {
                    from: Timestamp::from_millis(whole(key.get("from"))?),
                    status: status.parse().map_err(|_| AppError::Internal)?,
                    orders: whole(g.get("orders"))? as u64,
                    total: crate::domain::Money::from_cents(whole(g.get("total"))?),
                    refunded: crate::domain::Money::from_cents(whole(g.get("refunded"))?),
                })
            })
            .collect()
    }

    async fn order_by_tracking_hash(&self, hash: &str) -> StoreResult<Option<Order>> {
        self.load_order(doc! { "trackingHash": hash }).await
    }

    async fn oldest_outbox_events(&self, limit: u32) -> StoreResult<Vec<OutboxEvent>> {
        self.ready().await?;
        let found = self
            .outbox()
            .find(doc! {})
            .sort(doc! { "createdAt": 1, "_id": 1 })
            .limit(i64::from(limit))
            .await;
        let docs: Vec<OutboxDoc> = collect(found).await?;
        Ok(docs.into_iter().map(OutboxEvent::from).collect())
    }

    async fn replace_tracking_hash(&self, order: Id, hash: String) -> StoreResult<()> {
        self.ready().await?;
        self.orders
            .update_one(
                doc! { "_id": oid(order) },
                doc! { "$set": { "trackingHash": hash } },
            )
            .await
            .map(drop)
            .map_err(db_error)
    }

    fn watch_changes(&self, hub: &LiveHub) -> bool {
        let start = self
            .opened_at
            .map_or(changes::StartAt::Now, changes::StartAt::Time);
        let follow = tokio::spawn(self.clone().follow_changes(hub.clone(), start));
        if let Some(earlier) = self
            .changes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .replace(follow.abort_handle())
        {
            earlier.abort();
        }
        true
    }

    async fn close(&self) {
        if let Some(follow) = self
            .changes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            follow.abort();
        }
        self.client.clone().shutdown().immediate(true).await;
    }
}
