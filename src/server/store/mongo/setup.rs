//! What the store relies on in the database, created idempotently at the
//! first contact: the products' stock validator and every index.

use super::errors::{self, command_code};
use super::{ADMIN_SESSIONS, CUSTOMERS, ORDERS, PRODUCTS};
use bson::{doc, Document};
use mongodb::options::IndexOptions;
use mongodb::{Database, IndexModel};
use std::time::Duration;

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
