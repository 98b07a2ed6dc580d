//! The production store: MongoDB (a replica set or Atlas), through the
//! official driver. Stock is taken with a guarded `$inc` per line inside one
//! multi-document transaction per order; a status moves by compare-and-set on
//! `{_id, status}` in a transaction that also returns stock on CANCELLED.
//! Indexes and the products' stock validator are put in place on first
//! contact, idempotently, so any number of server instances may start at once.

mod changes;
mod docs;
mod errors;
mod records;
mod transaction;

use super::{apply_update, DailyTotal, Moved, OrderDraft, Placed, StatusMove, Store, StoreResult};
use crate::domain::{
    AppError, Customer, Id, NewCustomer, Order, OrderFilter, OrderStatus, Page, Product,
    ProductUpdate, StatusEntry, Timestamp,
};
use crate::server::live::LiveHub;
use async_trait::async_trait;
use bson::oid::ObjectId;
use bson::{doc, Document, Regex};
use docs::{
    date, oid, AdminCredentialDoc, CustomerDoc, OrderDoc, ProductDoc, SessionDoc, StatusDoc,
};
use errors::{command_code, db_error, duplicate_field};
use futures_util::TryStreamExt;
use mongodb::options::{ClientOptions, IndexOptions, ReturnDocument};
use mongodb::{Client, ClientSession, Collection, Database, IndexModel};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::OnceCell;
use tokio::task::AbortHandle;
use transaction::Abort;

/// How long an operation waits for a reachable server before the store
/// reports `Unavailable`, unless the URL sets `serverSelectionTimeoutMS`.
const SERVER_SELECTION_TIMEOUT: Duration = Duration::from_secs(3);
/// The database used when the URL names none.
const DEFAULT_DATABASE: &str = "igniflo";
const MS_PER_DAY: i64 = 86_400_000;
/// mongod's code for "the collection already exists".
const NAMESPACE_EXISTS: i32 = 48;

const CUSTOMERS: &str = "customers";
const PRODUCTS: &str = "products";
const ORDERS: &str = "orders";
const ADMIN_CREDENTIALS: &str = "admin_credentials";
const ADMIN_SESSIONS: &str = "admin_sessions";
/// The one admin login's name.
const ADMIN: &str = "admin";

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
    /// Reads the URL and tries the database once. An unreachable database is
    /// not fatal: the server starts, `/readyz` says 503, and the store
    /// prepares the database on the first operation that reaches it.
    pub async fn connect(url: &str) -> Result<MongoStore, String> {
        let options = ClientOptions::parse(url)
            .await
            .map_err(|e| format!("DATABASE_URL is not a usable MongoDB URL: {e}"))?;
        MongoStore::connect_with(options).await
    }

    /// As `connect`, with driver options built in code (command monitoring,
    /// say); the database is the options' default database.
    pub async fn connect_with(mut options: ClientOptions) -> Result<MongoStore, String> {
        options
            .server_selection_timeout
            .get_or_insert(SERVER_SELECTION_TIMEOUT);
        options.app_name.get_or_insert_with(|| "igniflo".into());
        let name = options
            .default_database
            .clone()
            .unwrap_or_else(|| DEFAULT_DATABASE.into());
        let client = Client::with_options(options).map_err(|e| e.to_string())?;
        let db = client.database(&name);
        let opened_at = match db.run_command(doc! { "ping": 1 }).await {
            Ok(reply) => reply.get_timestamp("operationTime").ok(),
            Err(e) => {
                tracing::warn!(database = %name, error = %e, "MongoDB is not answering yet; retrying on each request");
                None
            }
        };
        let store = MongoStore {
            customers: db.collection(CUSTOMERS),
            products: db.collection(PRODUCTS),
            orders: db.collection(ORDERS),
            client,
            db,
            prepared: Arc::default(),
            opened_at,
            changes: Arc::default(),
        };
        if opened_at.is_some() {
            // Failing here is not fatal either: the next request tries again.
            let _ = store.ready().await;
        }
        Ok(store)
    }

    /// Prepares the database once it answers; later calls cost nothing.
    async fn ready(&self) -> StoreResult<()> {
        self.prepared
            .get_or_try_init(|| async {
                prepare(&self.db).await.map_err(db_error)?;
                tracing::info!(database = %self.db.name(), "MongoDB is ready");
                Ok(())
            })
            .await
            .copied()
    }

    /// Fills in the orders' customers and products: one `$in` query per
    /// collection, run together, whatever the number of orders.
    async fn populate(&self, docs: Vec<OrderDoc>) -> StoreResult<Vec<Order>> {
        if docs.is_empty() {
            return Ok(Vec::new());
        }
        let mut customer_ids: Vec<ObjectId> = docs.iter().map(|d| d.customer).collect();
        customer_ids.sort();
        customer_ids.dedup();
        let mut product_ids: Vec<ObjectId> = docs
            .iter()
            .flat_map(|d| d.items.iter().map(|l| l.product))
            .collect();
        product_ids.sort();
        product_ids.dedup();
        let (customers, products) = tokio::try_join!(
            self.customers_by_id(customer_ids),
            self.products_by_id(product_ids)
        )?;
        docs.into_iter()
            .map(|d| d.populate(&customers, &products))
            .collect()
    }

    async fn customers_by_id(
        &self,
        ids: Vec<ObjectId>,
    ) -> StoreResult<HashMap<ObjectId, Customer>> {
        let found: Vec<CustomerDoc> =
            collect(self.customers.find(doc! { "_id": { "$in": ids } }).await).await?;
        Ok(found.into_iter().map(|c| (c.id, c.into())).collect())
    }

    async fn products_by_id(&self, ids: Vec<ObjectId>) -> StoreResult<HashMap<ObjectId, Product>> {
        let found: Vec<ProductDoc> =
            collect(self.products.find(doc! { "_id": { "$in": ids } }).await).await?;
        Ok(found.into_iter().map(|p| (p.id, p.into())).collect())
    }

    async fn load_order(&self, filter: Document) -> StoreResult<Option<Order>> {
        self.ready().await?;
        match self.orders.find_one(filter).await.map_err(db_error)? {
            Some(doc) => Ok(self.populate(vec![doc]).await?.pop()),
            None => Ok(None),
        }
    }

    /// The query for an order filter. A text query matches the order number
    /// exactly or customers by name or email, which takes one query for the
    /// matching customers' ids.
    async fn order_query(&self, filter: &OrderFilter) -> StoreResult<Document> {
        let mut query = Document::new();
        if let Some(status) = filter.status {
            query.insert("status", status.as_str());
        }
        if let Some(customer) = filter.customer {
            query.insert("customer", oid(customer));
        }
        let mut placed = Document::new();
        if let Some(from) = filter.from {
            placed.insert("$gte", date(from));
        }
        if let Some(to) = filter.to {
            placed.insert("$lt", date(to));
        }
        if !placed.is_empty() {
            query.insert("createdAt", placed);
        }
        if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            let pattern = contains(q);
            let matching: Vec<CustomerDoc> = collect(
                self.customers
                    .find(doc! { "$or": [{ "name": &pattern }, { "email": &pattern }] })
                    .await,
            )
            .await?;
            let ids: Vec<ObjectId> = matching.into_iter().map(|c| c.id).collect();
            query.insert(
                "$or",
                vec![
                    doc! { "number": q.to_ascii_uppercase() },
                    doc! { "customer": { "$in": ids } },
                ],
            );
        }
        Ok(query)
    }

    /// Places the order inside the transaction: the order is written first
    /// (so change streams report it before the stock it took), then stock is
    /// taken line by line; a line short of stock aborts it all.
    async fn place_in(&self, s: &mut ClientSession, draft: &OrderDraft) -> Result<Placing, Abort> {
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
        for (i, line) in draft.lines.iter().enumerate() {
            let taken = self
                .products
                .update_one(
                    doc! { "_id": oid(line.product), "stock": { "$gte": line.quantity } },
                    doc! { "$inc": { "stock": -line.quantity }, "$set": { "updatedAt": at } },
                )
                .session(&mut *s)
                .await?;
            if taken.modified_count != 1 {
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
            }
        }
        Ok(Placing::New(order))
    }

    /// Moves the status inside the transaction if it is still `from`; `None`
    /// when it is not (or the order does not exist).
    async fn move_in(
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

    async fn update_in(
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

impl MongoStore {
    fn admin_credentials(&self) -> Collection<AdminCredentialDoc> {
        self.db.collection(ADMIN_CREDENTIALS)
    }

    fn admin_sessions(&self) -> Collection<SessionDoc> {
        self.db.collection(ADMIN_SESSIONS)
    }
}

/// What the order transaction found or wrote.
enum Placing {
    New(OrderDoc),
    Existing(OrderDoc),
}

/// Creates what the store relies on; safe to run again and concurrently.
async fn prepare(db: &Database) -> mongodb::error::Result<()> {
    // The guarded `$inc` keeps stock from going negative; the validator
    // makes the database refuse it from any writer.
    let validator = doc! { "stock": { "$gte": 0 } };
    match db
        .create_collection(PRODUCTS)
        .validator(validator.clone())
        .await
    {
        Ok(()) => {}
        Err(e) if command_code(&e) == Some(NAMESPACE_EXISTS) => {
            // collMod needs more than the readWrite role an application user
            // usually has; without it the guarded `$inc` still holds.
            let updated = db
                .run_command(doc! { "collMod": PRODUCTS, "validator": validator })
                .await;
            if let Err(e) = updated {
                tracing::warn!(error = %e, "could not set the products' stock validator");
            }
        }
        Err(e) => return Err(e),
    }
    let unique = |name: &str, keys: Document| {
        IndexModel::builder()
            .keys(keys)
            .options(
                IndexOptions::builder()
                    .name(name.to_string())
                    .unique(true)
                    .build(),
            )
            .build()
    };
    let plain = |name: &str, keys: Document| {
        IndexModel::builder()
            .keys(keys)
            .options(IndexOptions::builder().name(name.to_string()).build())
            .build()
    };
    db.collection::<Document>(PRODUCTS)
        .create_index(unique(errors::UNIQUE_SKU, doc! { "sku": 1 }))
        .await?;
    db.collection::<Document>(CUSTOMERS)
        .create_index(unique(errors::UNIQUE_EMAIL, doc! { "email": 1 }))
        .await?;
    // Unique where present: orders without the field are left out.
    let unique_if_set = |name: &str, field: &str| {
        IndexModel::builder()
            .keys(doc! { field: 1 })
            .options(
                IndexOptions::builder()
                    .name(name.to_string())
                    .unique(true)
                    .partial_filter_expression(doc! { field: { "$type": "string" } })
                    .build(),
            )
            .build()
    };
    db.collection::<Document>(ORDERS)
        .create_indexes([
            unique(errors::UNIQUE_NUMBER, doc! { "number": 1 }),
            unique_if_set(errors::UNIQUE_IDEMPOTENCY_KEY, "idempotencyKey"),
            unique_if_set(errors::UNIQUE_TRACKING_HASH, "trackingHash"),
            plain("by_status", doc! { "status": 1, "_id": 1 }),
            plain("by_customer", doc! { "customer": 1, "_id": 1 }),
            plain("by_created_at", doc! { "createdAt": 1 }),
        ])
        .await?;
    // MongoDB itself forgets expired sessions (the service checks expiry too).
    let expiring = IndexModel::builder()
        .keys(doc! { "expiresAt": 1 })
        .options(
            IndexOptions::builder()
                .name("expire_sessions".to_string())
                .expire_after(Duration::ZERO)
                .build(),
        )
        .build();
    db.collection::<Document>(ADMIN_SESSIONS)
        .create_index(expiring)
        .await?;
    Ok(())
}

/// A whole number from an aggregation, which sums to whichever integer type fits.
fn whole(value: Option<&bson::Bson>) -> StoreResult<i64> {
    match value {
        Some(bson::Bson::Int32(n)) => Ok(i64::from(*n)),
        Some(bson::Bson::Int64(n)) => Ok(*n),
        _ => Err(AppError::Internal),
    }
}

/// A case-insensitive substring match with the text taken literally.
fn contains(text: &str) -> Regex {
    let mut pattern = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if c.is_ascii_punctuation() {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    Regex {
        pattern,
        options: "i".into(),
    }
}

/// Drains a cursor into a vector.
async fn collect<T>(cursor: mongodb::error::Result<mongodb::Cursor<T>>) -> StoreResult<Vec<T>>
where
    T: serde::de::DeserializeOwned + Send + Sync + Unpin,
{
    cursor
        .map_err(db_error)?
        .try_collect()
        .await
        .map_err(db_error)
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

    async fn insert_customer(
        &self,
        id: Id,
        at: Timestamp,
        customer: NewCustomer,
    ) -> StoreResult<Customer> {
        self.ready().await?;
        let customer = Customer {
            id,
            name: customer.name,
            email: customer.email,
            phone: customer.phone,
            created_at: at,
        };
        match self
            .customers
            .insert_one(CustomerDoc::from(&customer))
            .await
        {
            Ok(_) => Ok(customer),
            Err(e) if duplicate_field(&e) == Some("email") => Err(AppError::Duplicate {
                field: "email".into(),
                value: customer.email,
            }),
            Err(e) => Err(db_error(e)),
        }
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

    async fn insert_product(&self, product: Product) -> StoreResult<Product> {
        self.ready().await?;
        match self.products.insert_one(ProductDoc::from(&product)).await {
            Ok(_) => Ok(product),
            Err(e) if duplicate_field(&e) == Some("sku") => Err(AppError::Duplicate {
                field: "sku".into(),
                value: product.sku,
            }),
            Err(e) => Err(db_error(e)),
        }
    }

    async fn update_product(
        &self,
        id: Id,
        update: ProductUpdate,
        at: Timestamp,
    ) -> StoreResult<Product> {
        self.ready().await?;
        transaction::run(
            &self.client,
            &(self, (id, update, at)),
            |s, (store, args)| Box::pin(store.update_in(s, args)),
        )
        .await
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

    async fn place_order(&self, draft: OrderDraft) -> StoreResult<Placed> {
        self.ready().await?;
        let placing = transaction::run(&self.client, &(self, draft), |s, (store, draft)| {
            Box::pin(store.place_in(s, draft))
        })
        .await?;
        Ok(match placing {
            Placing::New(doc) => Placed::New(self.populate(vec![doc]).await?.remove(0)),
            Placing::Existing(doc) => {
                let fingerprint = doc.request_fingerprint.clone().unwrap_or_default();
                let order = self.populate(vec![doc]).await?.remove(0);
                Placed::Existing { order, fingerprint }
            }
        })
    }

    async fn move_status(&self, change: StatusMove) -> StoreResult<Moved> {
        self.ready().await?;
        let moved = transaction::run(
            &self.client,
            &(self, change.clone()),
            |s, (store, change)| Box::pin(store.move_in(s, change)),
        )
        .await?;
        match moved {
            Some(doc) => Ok(Moved::Done(self.populate(vec![doc]).await?.remove(0))),
            None => match self.order(change.order).await? {
                Some(order) => Ok(Moved::Stale(order)),
                None => Err(AppError::not_found("order", change.order)),
            },
        }
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
        if let Some(before) = page.before {
            query.insert("_id", doc! { "$lt": oid(before) });
        }
        let docs = collect(
            self.orders
                .find(query)
                .sort(doc! { "_id": -1 })
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

    async fn daily_order_totals(&self, since: Timestamp) -> StoreResult<Vec<DailyTotal>> {
        self.ready().await?;
        let millis = doc! { "$toLong": "$createdAt" };
        let day = doc! { "$subtract": [&millis, { "$mod": [&millis, MS_PER_DAY] }] };
        let pipeline = [
            doc! { "$match": { "createdAt": { "$gte": date(since) } } },
            doc! { "$group": {
                "_id": { "day": day, "status": "$status" },
                "orders": { "$sum": 1 },
                "revenue": { "$sum": "$total" },
            } },
            doc! { "$sort": { "_id.day": 1 } },
        ];
        let groups: Vec<Document> = collect(self.orders.aggregate(pipeline).await).await?;
        groups
            .iter()
            .map(|g| {
                let key = g.get_document("_id").map_err(|_| AppError::Internal)?;
                let status = key.get_str("status").map_err(|_| AppError::Internal)?;
                Ok(DailyTotal {
                    day: Timestamp::from_millis(whole(key.get("day"))?),
                    status: status.parse().map_err(|_| AppError::Internal)?,
                    orders: whole(g.get("orders"))? as u64,
                    revenue: crate::domain::Money::from_cents(whole(g.get("revenue"))?),
                })
            })
            .collect()
    }

    async fn order_by_tracking_hash(&self, hash: &str) -> StoreResult<Option<Order>> {
        self.load_order(doc! { "trackingHash": hash }).await
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

    async fn admin_password_hash(&self) -> StoreResult<Option<String>> {
        self.ready().await?;
        let found = self
            .admin_credentials()
            .find_one(doc! { "_id": ADMIN })
            .await
            .map_err(db_error)?;
        Ok(found.map(|c| c.password_hash))
    }

    async fn set_admin_password_hash(&self, hash: String, at: Timestamp) -> StoreResult<()> {
        self.ready().await?;
        let credential = AdminCredentialDoc {
            username: ADMIN.into(),
            password_hash: hash,
            updated_at: date(at),
        };
        transaction::run(
            &self.client,
            &(self, credential),
            |s, (store, credential)| {
                Box::pin(async move {
                    store
                        .admin_credentials()
                        .replace_one(doc! { "_id": ADMIN }, credential)
                        .upsert(true)
                        .session(&mut *s)
                        .await?;
                    // A new password ends every session signed in with the old one.
                    store
                        .admin_sessions()
                        .delete_many(doc! {})
                        .session(&mut *s)
                        .await?;
                    Ok(())
                })
            },
        )
        .await
    }

    async fn create_session(&self, token_hash: String, expires_at: Timestamp) -> StoreResult<()> {
        self.ready().await?;
        let session = SessionDoc {
            token_hash,
            expires_at: date(expires_at),
        };
        self.admin_sessions()
            .insert_one(session)
            .await
            .map(drop)
            .map_err(db_error)
    }

    async fn session_expiry(&self, token_hash: &str) -> StoreResult<Option<Timestamp>> {
        self.ready().await?;
        let found = self
            .admin_sessions()
            .find_one(doc! { "_id": token_hash })
            .await
            .map_err(db_error)?;
        Ok(found.map(|s| docs::timestamp(s.expires_at)))
    }

    async fn end_session(&self, token_hash: &str, now: Timestamp) -> StoreResult<()> {
        self.ready().await?;
        self.admin_sessions()
            .delete_many(doc! { "$or": [
                { "_id": token_hash },
                { "expiresAt": { "$lte": date(now) } },
            ] })
            .await
            .map(drop)
            .map_err(db_error)
    }

    fn watch_changes(&self, hub: &LiveHub) -> bool {
        let start = self
            .opened_at
            .map_or(changes::StartAt::Now, changes::StartAt::Time);
        let follow = tokio::spawn(self.clone().follow_changes(hub.clone(), start));
        if let Some(earlier) = self.changes.lock().unwrap().replace(follow.abort_handle()) {
            earlier.abort();
        }
        true
    }

    async fn close(&self) {
        if let Some(follow) = self.changes.lock().unwrap().take() {
            follow.abort();
        }
        self.client.clone().shutdown().immediate(true).await;
    }
}
