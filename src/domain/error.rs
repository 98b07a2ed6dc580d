//! Every way a request can fail, in the OMS's words. The REST layer maps each
//! variant to one status code and a JSON body; server functions carry it to
//! the browser unchanged.

use super::{Money, OrderStatus};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AppError {
    /// The request could not be read at all (bad JSON, wrong shape).
    Malformed {
        message: String,
    },
    /// A value breaks a rule; `field` is its path, e.g. `items[2].quantity`.
    Invalid {
        field: String,
        message: String,
    },
    NotFound {
        entity: String,
        key: String,
    },
    /// A unique value is already taken (SKU, email).
    Duplicate {
        field: String,
        value: String,
    },
    /// Not enough stock for one line of an order; `line` counts from 0.
    OutOfStock {
        line: usize,
        sku: String,
        requested: i64,
        available: i64,
    },
    /// A stock adjustment would make stock negative.
    StockWouldBeNegative {
        sku: String,
        available: i64,
    },
    /// The order's status cannot move to `to`.
    InvalidTransition {
        from: OrderStatus,
        to: OrderStatus,
        allowed: Vec<OrderStatus>,
    },
    /// The order's state does not allow this: "cannot {action}: {why}".
    OrderCannot {
        action: String,
        why: String,
    },
    /// A refund of more than was paid and not yet refunded.
    RefundTooLarge {
        field: String,
        requested: Money,
        refundable: Money,
    },
    /// The same Idempotency-Key was sent with a different request.
    IdempotencyKeyReused,
    /// The thing is in the middle of something that must finish first
    /// ("A delivery being sent cannot be queued again").
    Busy {
        message: String,
    },
    /// The change would leave the shop without an active owner.
    LastOwner,
    Unauthorized,
    Forbidden,
    TooManyRequests {
        retry_after_secs: u64,
    },
    /// The store cannot be reached; try again later.
    Unavailable,
    /// A bug; details are in the server log, never in the response.
    Internal,
}

impl AppError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn not_found(entity: &str, key: impl fmt::Display) -> Self {
        AppError::NotFound {
            entity: entity.into(),
            key: key.to_string(),
        }
    }

    /// A stable snake_case code for clients to branch on.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Malformed { .. } => "malformed_request",
            AppError::Invalid { .. } => "invalid_value",
            AppError::NotFound { .. } => "not_found",
            AppError::Duplicate { .. } => "duplicate",
            AppError::OutOfStock { .. } => "out_of_stock",
            AppError::StockWouldBeNegative { .. } => "stock_would_be_negative",
            AppError::InvalidTransition { .. } => "invalid_transition",
            AppError::OrderCannot { .. } => "order_state_conflict",
            AppError::RefundTooLarge { .. } => "refund_too_large",
            AppError::IdempotencyKeyReused => "idempotency_key_reused",
            AppError::Busy { .. } => "busy",
            AppError::LastOwner => "last_owner",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::Unavailable => "unavailable",
            AppError::Internal => "internal_error",
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::Malformed { message } => {
                write!(f, "The request could not be read: {message}")
            }
            AppError::Invalid { field, message } => write!(f, "{field} {message}"),
            AppError::NotFound { entity, key } => write!(f, "No {entity} {key}"),
            AppError::Duplicate { field, value } => match field.as_ref() {
                "sku" => write!(f, "A product with SKU {value:?} already exists"),
                "email" => write!(f, "The email {value:?} is already in use"),
                _ => write!(f, "Another record already has {field} {value:?}"),
            },
            AppError::OutOfStock {
                sku,
                requested,
                available,
                ..
            } => write!(
                f,
                "Only {available} of {sku} in stock; {requested} requested"
            ),
            AppError::StockWouldBeNegative { sku, available } => {
                write!(f, "Stock of {sku} is {available}; it cannot go below 0")
            }
            AppError::InvalidTransition { from, to, allowed } => {
                if allowed.is_empty() {
                    write!(f, "An order that is {from} is final and cannot become {to}")
                } else {
                    let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
                    write!(
                        f,
                        "An order that is {from} cannot become {to}; it can become {}",
                        names.join(" or ")
                    )
                }
            }
            AppError::OrderCannot { action, why } => {
                write!(f, "This order cannot {action}: {why}")
            }
            AppError::RefundTooLarge {
                field,
                requested,
                refundable,
            } => write!(
                f,
                "{field} {requested} is more than the {refundable} that can still be refunded"
            ),
            AppError::IdempotencyKeyReused => {
                f.write_str("This Idempotency-Key was already used for a different request")
            }
            AppError::Busy { message } => f.write_str(message),
            AppError::Unauthorized => f.write_str("Sign in to do this"),
            AppError::LastOwner => {
                f.write_str("The shop needs an active owner: make someone else an owner first")
            }
            AppError::Forbidden => f.write_str("Your role does not allow this"),
            AppError::TooManyRequests { retry_after_secs } => {
                write!(f, "Too many requests; try again in {retry_after_secs} s")
            }
            AppError::Unavailable => f.write_str("The service is unavailable; try again shortly"),
            AppError::Internal => f.write_str("Something went wrong on our side"),
        }
    }
}

impl std::error::Error for AppError {}

/// Server functions return `AppError` too, so the browser gets the same
/// errors (and messages) as REST clients; transport failures map onto it.
impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = crate::pages::wire::JsonText;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        match value {
            E::Request(_) | E::Response(_) => AppError::Unavailable,
            E::Args(message) | E::MissingArg(message) | E::Deserialization(message) => {
                AppError::Malformed { message }
            }
            _ => AppError::Internal,
        }
    }
}
