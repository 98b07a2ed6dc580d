//! What a driver error means to the OMS: a duplicate key names the field its
//! unique index is on, an unreachable database is `Unavailable`, anything
//! else is logged and `Internal`.

use crate::domain::AppError;
use mongodb::error::{Error, ErrorKind, WriteFailure};

/// MongoDB's code for a unique index violation (E11000).
const DUPLICATE_KEY: i32 = 11000;

/// The unique indexes, by name, and the field each one keeps unique (as
/// `AppError::Duplicate` names it).
pub const UNIQUE_SKU: &str = "unique_sku";
pub const UNIQUE_EMAIL: &str = "unique_email";
pub const UNIQUE_NUMBER: &str = "unique_number";
pub const UNIQUE_IDEMPOTENCY_KEY: &str = "unique_idempotency_key";
pub const UNIQUE_TRACKING_HASH: &str = "unique_tracking_hash";
pub const UNIQUE_STAFF_EMAIL: &str = "unique_staff_email";
const UNIQUE_FIELDS: [(&str, &str); 6] = [
    (UNIQUE_STAFF_EMAIL, "staffEmail"),
    (UNIQUE_SKU, "sku"),
    (UNIQUE_EMAIL, "email"),
    (UNIQUE_NUMBER, "number"),
    (UNIQUE_IDEMPOTENCY_KEY, "idempotencyKey"),
    (UNIQUE_TRACKING_HASH, "trackingHash"),
];

/// The field a duplicate-key error is about, in whichever shape the driver
/// reports it: a write error, a command error (also inside a transaction),
/// or one of the write errors of an `insert_many` or a bulk write.
pub fn duplicate_field(e: &Error) -> Option<&'static str> {
    index_field(duplicate_key_message(e)?)
}

/// Whether the write broke any unique index, `_id`'s included.
pub fn is_duplicate_key(e: &Error) -> bool {
    duplicate_key_message(e).is_some()
}

fn duplicate_key_message(e: &Error) -> Option<&str> {
    let message = match e.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(w)) if w.code == DUPLICATE_KEY => &w.message,
        ErrorKind::Command(c) if c.code == DUPLICATE_KEY => &c.message,
        ErrorKind::InsertMany(m) => {
            &m.write_errors
                .as_ref()?
                .iter()
                .find(|w| w.code == DUPLICATE_KEY)?
                .message
        }
        ErrorKind::BulkWrite(b) => {
            &b.write_errors
                .values()
                .find(|w| w.code == DUPLICATE_KEY)?
                .message
        }
        _ => return None,
    };
    Some(message)
}

/// Reads the index name out of mongod's message, `E11000 duplicate key error
/// collection: db.products index: unique_sku dup key: { sku: "A" }`.
fn index_field(message: &str) -> Option<&'static str> {
    let index = message
        .split(" index: ")
        .nth(1)?
        .split_whitespace()
        .next()?;
    UNIQUE_FIELDS
        .iter()
        .find(|(name, _)| *name == index)
        .map(|(_, field)| *field)
}

/// The code of a command error, to tell expected refusals apart.
pub fn command_code(e: &Error) -> Option<i32> {
    match e.kind.as_ref() {
        ErrorKind::Command(c) => Some(c.code),
        _ => None,
    }
}

/// Any driver failure that is not a business outcome: logged, never shown.
pub fn db_error(e: Error) -> AppError {
    if unreachable(&e) {
        tracing::warn!(error = %e, "MongoDB is not answering");
        AppError::Unavailable
    } else {
        tracing::error!(error = %e, "MongoDB error");
        AppError::Internal
    }
}

/// The database could not be reached or was busy electing a primary: a
/// retry later may succeed.
fn unreachable(e: &Error) -> bool {
    matches!(
        e.kind.as_ref(),
        ErrorKind::ServerSelection { .. }
            | ErrorKind::Io(_)
            | ErrorKind::ConnectionPoolCleared { .. }
            | ErrorKind::DnsResolve { .. }
            | ErrorKind::Shutdown
    ) || e.contains_label(mongodb::error::RETRYABLE_WRITE_ERROR)
        || e.contains_label(mongodb::error::TRANSIENT_TRANSACTION_ERROR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_in_a_duplicate_key_message_names_the_field() {
        assert_eq!(
            index_field(
                "E11000 duplicate key error collection: shop.products index: unique_sku dup key: { sku: \"A\" }"
            ),
            Some("sku")
        );
        assert_eq!(
            index_field("E11000 duplicate key error collection: shop.orders index: unique_idempotency_key dup key: { idempotencyKey: \"k\" }"),
            Some("idempotencyKey")
        );
        assert_eq!(
            index_field(
                "E11000 duplicate key error collection: shop.x index: _id_ dup key: { _id: 1 }"
            ),
            None
        );
    }
}
