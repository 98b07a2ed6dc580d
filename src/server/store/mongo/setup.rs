//! What the store relies on in the database, created idempotently at the
//! first contact: the products' stock validator and every index. A
//! database from before the stock ledger gets its opening movements here
//! (`open_the_ledger`).

use super::docs::MovementDoc;
use super::errors::{self, command_code};
use super::errors::{db_error, duplicate_field};
use super::staff;
use super::staff_docs::StaffDoc;
use super::transaction::{self, Abort, Checked};
use super::webhooks::{MAIL_DELIVERIES, WEBHOOK_DELIVERIES};
use super::MongoStore;
use super::{CUSTOMERS, MOVEMENTS, ORDERS, OUTBOX, PRODUCTS};
use crate::domain::{Actor, Role, StockReason, FIRST_OWNER_LOGIN};
use crate::server::store::StoreResult;
use bson::{doc, Document};
use mongodb::options::ClientOptions;
use mongodb::options::IndexOptions;
use mongodb::Client;
use mongodb::{Database, IndexModel};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

/// How long an operation waits for a reachable server before the store
/// reports `Unavailable`, unless the URL sets `serverSelectionTimeoutMS`.
const SERVER_SELECTION_TIMEOUT: Duration = Duration::from_secs(3);
/// The database used when the URL names none.
const DEFAULT_DATABASE: &str = "igniflo";

/// mongod's code for "the collection already exists".
const NAMESPACE_EXISTS: i32 = 48;

/// Creates what the store relies on; safe to run again and concurrently.
pub(super) async fn prepare(db: &Database) -> mongodb::error::Result<()> {
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
    db.collection::<Document>(MOVEMENTS)
        .create_index(plain("by_product", doc! { "product": 1, "_id": -1 }))
        .await?;
    db.collection::<Document>(OUTBOX)
        .create_index(plain("in_order", doc! { "createdAt": 1, "_id": 1 }))
        .await?;
    db.collection::<Document>(WEBHOOK_DELIVERIES)
        .create_indexes([
            plain(
                "queue_by_event",
                doc! { "endpoint": 1, "state": 1, "eventAt": 1, "eventId": 1 },
            ),
            plain("history", doc! { "endpoint": 1, "_id": -1 }),
            plain("finished", doc! { "state": 1, "dueAt": 1 }),
        ])
        .await?;
    db.collection::<Document>(MAIL_DELIVERIES)
        .create_index(plain("queue", doc! { "state": 1, "dueAt": 1, "_id": 1 }))
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
    db.collection::<Document>(staff::STAFF_SESSIONS)
        .create_indexes([
            expiring,
            plain("by_member", doc! { "staff": 1, "createdAt": -1 }),
        ])
        .await?;
    db.collection::<Document>(staff::STAFF)
        .create_indexes([
            unique(errors::UNIQUE_STAFF_EMAIL, doc! { "emailKey": 1 }),
            unique_if_set("unique_link_hash", "linkHash"),
        ])
        .await?;
    db.collection::<Document>(staff::ACTIVITY)
        .create_indexes([
            plain("by_staff", doc! { "actor.id": 1, "_id": -1 }),
            plain("by_token_holder", doc! { "actor.staff": 1, "_id": -1 }),
            plain("by_kind", doc! { "kind": 1, "_id": -1 }),
        ])
        .await?;
    db.collection::<Document>(staff::API_TOKENS)
        .create_indexes([
            unique("unique_token_hash", doc! { "tokenHash": 1 }),
            plain("by_member", doc! { "staff": 1, "createdAt": -1 }),
        ])
        .await?;
    Ok(())
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
    pub(super) async fn ready(&self) -> StoreResult<()> {
        self.prepared
            .get_or_try_init(|| async {
                prepare(&self.db).await.map_err(errors::db_error)?;
                self.open_the_ledger().await?;
                self.derive_order_statuses().await?;
                self.make_admin_the_first_owner().await?;
                tracing::info!(database = %self.db.name(), "MongoDB is ready");
                Ok(())
            })
            .await
            .copied()
    }
}

/// Where the store notes upgrades it has made to the data.
const UPGRADES: &str = "upgrades";
const LEDGER_OPENED: &str = "stock_ledger_opened";
const ORDER_STATUSES_DERIVED: &str = "order_payment_and_fulfillment_statuses";

impl MongoStore {
    /// A database from before the stock ledger: each product without any
    /// movement gets one `RECEIVED` movement of the stock it holds, so the
    /// ledger agrees with the stock from the first start. Products and
    /// movements are read in one transaction's snapshot, so an order another
    /// instance places meanwhile is counted once; the movement's id is the
    /// product's, so two instances upgrading at once cannot both write it.
    pub(super) async fn open_the_ledger(&self) -> StoreResult<()> {
        let upgrades = self.db.collection::<Document>(UPGRADES);
        let done = upgrades
            .find_one(doc! { "_id": LEDGER_OPENED })
            .await
            .map_err(errors::db_error)?;
        if done.is_some() {
            return Ok(());
        }
        let opened = transaction::run(&self.client, self, |s, store| {
            Box::pin(async move {
                let mut with_movements = HashSet::new();
                let mut grouped = store
                    .movements()
                    .aggregate([doc! { "$group": { "_id": "$product" } }])
                    .session(&mut *s)
                    .await?;
                while let Some(group) = grouped.next(&mut *s).await {
                    if let Ok(product) = group?.get_object_id("_id") {
                        with_movements.insert(product);
                    }
                }
                let mut products = store.products.find(doc! {}).session(&mut *s).await?;
                let now = bson::DateTime::now();
                let mut opening = Vec::new();
                while let Some(product) = products.next(&mut *s).await {
                    let product = product?;
                    if !with_movements.contains(&product.id) {
                        opening.push(MovementDoc {
                            id: product.id,
                            product: product.id,
                            sku: product.sku,
                            delta: product.stock,
                            stock_after: product.stock,
                            reason: StockReason::Received,
                            order: None,
                            actor: Actor::system(),
                            at: now,
                        });
                    }
                }
                let count = opening.len();
                if count > 0 {
                    if let Err(e) = store
                        .movements()
                        .insert_many(opening)
                        .session(&mut *s)
                        .await
                    {
                        return Err(match errors::is_duplicate_key(&e) {
                            true => Abort::Raced,
                            false => Abort::Db(e),
                        });
                    }
                }
                store
                    .db
                    .collection::<Document>(UPGRADES)
                    .update_one(
                        doc! { "_id": LEDGER_OPENED },
                        doc! { "$set": { "at": now, "products": count as i64 } },
                    )
                    .upsert(true)
                    .session(&mut *s)
                    .await?;
                Ok(Checked(count))
            })
        })
        .await?
        .0;
        if opened > 0 {
            tracing::info!(
                products = opened,
                "opened the stock ledger with each product's stock"
            );
        }
        Ok(())
    }

    /// A database from before shipments and refunds: orders get the payment
    /// and fulfillment statuses their payment flag and status imply, so the
    /// list's filters find them. Only fields still missing are set, so an
    /// order written meanwhile keeps its own.
    pub(super) async fn derive_order_statuses(&self) -> StoreResult<()> {
        let upgrades = self.db.collection::<Document>(UPGRADES);
        let done = upgrades
            .find_one(doc! { "_id": ORDER_STATUSES_DERIVED })
            .await
            .map_err(errors::db_error)?;
        if done.is_some() {
            return Ok(());
        }
        let steps = [
            (
                doc! { "paymentStatus": { "$exists": false }, "paymentReceived": true },
                doc! { "paymentStatus": "PAID" },
            ),
            (
                doc! { "paymentStatus": { "$exists": false } },
                doc! { "paymentStatus": "UNPAID" },
            ),
            (
                doc! { "fulfillmentStatus": { "$exists": false }, "status": "FULFILLED" },
                doc! { "fulfillmentStatus": "FULFILLED" },
            ),
            (
                doc! { "fulfillmentStatus": { "$exists": false } },
                doc! { "fulfillmentStatus": "UNFULFILLED" },
            ),
        ];
        let orders = self.db.collection::<Document>("orders");
        for (missing, set) in steps {
            orders
                .update_many(missing, doc! { "$set": set })
                .await
                .map_err(errors::db_error)?;
        }
        upgrades
            .update_one(
                doc! { "_id": ORDER_STATUSES_DERIVED },
                doc! { "$set": { "at": bson::DateTime::now() } },
            )
            .upsert(true)
            .await
            .map_err(errors::db_error)?;
        Ok(())
    }

    /// A database from before staff accounts: the admin login becomes the
    /// first owner with its password hash. Two instances upgrading at once
    /// both try; the unique email key lets one in.
    pub(super) async fn make_admin_the_first_owner(&self) -> StoreResult<()> {
        let old = self.db.collection::<Document>("admin_credentials");
        let Some(admin) = old
            .find_one(doc! { "_id": FIRST_OWNER_LOGIN })
            .await
            .map_err(db_error)?
        else {
            return Ok(());
        };
        let set_at = admin
            .get_datetime("updatedAt")
            .copied()
            .unwrap_or_else(|_| bson::DateTime::now());
        let owner = StaffDoc {
            id: bson::oid::ObjectId::new(),
            name: FIRST_OWNER_LOGIN.into(),
            email: FIRST_OWNER_LOGIN.into(),
            email_key: FIRST_OWNER_LOGIN.into(),
            role: Role::Owner,
            active: true,
            created_at: set_at,
            updated_at: set_at,
            last_sign_in_at: None,
            password_hash: admin.get_str("passwordHash").ok().map(str::to_string),
            password_set_at: Some(set_at),
            link_hash: None,
            link_expires_at: None,
        };
        match self.staff_docs().insert_one(owner).await {
            Ok(_) => {}
            Err(e) if duplicate_field(&e).is_some() => {}
            Err(e) => return Err(db_error(e)),
        }
        old.delete_one(doc! { "_id": FIRST_OWNER_LOGIN })
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
