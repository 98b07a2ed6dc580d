//! The admin console: orders, one order, products, customers, dashboard,
//! webhooks.
//! Signed-in admins only: full page loads are redirected to `/admin/login`
//! by the server; client-side visits are sent there by `AdminNav`; every
//! server function checks again on its own.

pub mod customers;
pub mod dashboard;
pub mod fns;
pub mod fulfillment;
pub mod login;
pub mod order_actions;
pub mod order_detail;
pub mod orders;
pub mod packing_slip;
pub mod products;
pub mod session;
pub mod stock_history;
pub mod webhooks;

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};
use session::{admin_session, AdminLogout};

// The console's screens, each a WASM chunk of its own: shoppers never
// download the console.
super::lazy_screen!(
    OrdersScreen => orders::OrdersPage,
    OrderDetailScreen => order_detail::OrderDetailPage,
    CancelOrderScreen => order_actions::CancelOrderPage,
    PackingSlipScreen => packing_slip::PackingSlipPage,
    ProductsScreen => products::ProductsPage,
    StockHistoryScreen => stock_history::StockHistoryPage,
    CustomersScreen => customers::CustomersPage,
    DashboardScreen => dashboard::DashboardPage,
    WebhooksScreen => webhooks::WebhooksPage,
    WebhookDeliveriesScreen => webhooks::WebhookDeliveriesPage,
    LoginScreen => login::LoginPage,
);

/// The console's tabs and the sign-out button, on every admin screen.
#[component]
pub fn AdminNav() -> impl IntoView {
    let signed_in = Resource::new(|| (), |_| admin_session());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(None)) = signed_in.get() {
            navigate("/admin/login", Default::default());
        }
    });
    let logout = ServerAction::<AdminLogout>::new();
    let path = use_location().pathname;
    let tab = move |href: &'static str, label: &'static str| {
        let current = move || {
            let p = path.get();
            if href == "/admin" {
                p == "/admin" || p.starts_with("/admin/orders")
            } else {
                p.starts_with(href)
            }
        };
        view! { <a href=href class:current=current aria-current=move || current().then_some("page")>{label}</a> }
    };
    view! {
        <nav class="admin-nav" aria-label="Admin">
            {tab("/admin", "Orders")}
            {tab("/admin/products", "Products")}
            {tab("/admin/customers", "Customers")}
            {tab("/admin/dashboard", "Dashboard")}
            {tab("/admin/webhooks", "Webhooks")}
            <ActionForm action=logout attr:class="sign-out">
                <button class="button secondary small" type="submit">"Sign out"</button>
            </ActionForm>
        </nav>
    }
}
