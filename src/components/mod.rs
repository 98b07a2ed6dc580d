//! Views shared by the customer and admin pages.

pub mod live;
pub mod status_badge;
pub mod toast;
pub use status_badge::OrderStatusBadge;
