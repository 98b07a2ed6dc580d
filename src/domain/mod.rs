//! Types shared by the server and the browser: ids, money, time, the order
//! lifecycle and the records Igniflo keeps. Nothing here knows about HTTP or
//! storage; the rules that need no I/O live here so both sides agree on them.

mod activity;
mod countries;
mod currency;
mod error;
mod fulfillment;
mod id;
mod model;
mod money;
mod order_change;
#[cfg(feature = "ssr")]
mod order_commands;
mod order_query;
pub mod shop_time;
mod staff;
mod status;
mod stock;
mod timestamp;
pub mod validate;
pub mod webhook;

pub use activity::{is_staff_activity, ActivityEntry, ActivityKind, ActivityQuery};
pub use countries::COUNTRIES;
pub use currency::Currency;
pub use error::AppError;
pub use fulfillment::*;
pub use id::Id;
pub use model::*;
pub use money::Money;
pub use order_change::{OrderChange, StockMove};
pub use order_query::{parse_id_param, OrdersQuery};
pub use staff::*;
pub use status::OrderStatus;
pub use stock::{fallen_to_threshold, StockMismatch, StockMovement, StockReason};
pub use timestamp::Timestamp;
