//! One chip per order status, coloured and labelled in words.

use crate::domain::OrderStatus;
use leptos::prelude::*;

#[component]
pub fn OrderStatusBadge(status: OrderStatus) -> impl IntoView {
    let class = format!("badge badge-{}", status.as_str().to_ascii_lowercase());
    view! { <span class=class role="status" aria-label=format!("Status: {status}")>{status.as_str()}</span> }
}
