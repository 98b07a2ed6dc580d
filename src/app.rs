//! The HTML shell and the router: `/` for customers, `/admin` for admins.

use crate::components::toast::{ToastShelf, Toasts};
use crate::pages::admin::{
    AccountScreen, ActivityScreen, CancelOrderScreen, CustomersScreen, DashboardScreen,
    LoginScreen, OrderDetailScreen, OrdersScreen, PackingSlipScreen, ProductsScreen,
    SetPasswordScreen, StaffScreen, StockHistoryScreen, WebhookDeliveriesScreen, WebhooksScreen,
};
use crate::pages::customer::{CustomerPage, TrackingScreen};
use crate::pages::titles::RecordTitle;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, Lazy, SsrMode,
};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        // The shop's time zone, for the browser's clock (domain/shop_time.rs).
        <html lang="en" data-timezone=crate::domain::shop_time::zone_name()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.ico"/>
                <AutoReload options=options.clone()/>
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    Toasts::provide();
    // A screen naming one record titles itself once the record loads; the
    // head the server sends names it already (pages/titles.rs).
    let title = use_context::<RecordTitle>().map_or_else(|| "Igniflo".to_string(), |known| known.0);
    view! {
        <Title text=title/>
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <TopBar/>
            <main id="main">
                <Routes fallback=|| view! { <p class="empty">"Page not found."</p> }>
                    <Route path=path!("/") view=CustomerPage ssr=SsrMode::InOrder/>
                    <Route path=path!("/track") view={Lazy::<TrackingScreen>::new()} ssr=SsrMode::InOrder/>
                    // In order: a screen's data is in the HTML the server
                    // sends, however fast the database answers, so every
                    // screen reads the same with JavaScript off. (Not
                    // Async, though it would put titles that name an order
                    // into the head: its pages sometimes went out without
                    // their nonce's Content-Security-Policy header, so they
                    // never hydrated; measured with leptos_axum 0.8.10.)
                    <Route path=path!("/admin") view={Lazy::<OrdersScreen>::new()} ssr=SsrMode::InOrder/>
                    <Route path=path!("/admin/orders/:id") view={Lazy::<OrderDetailScreen>::new()} ssr=SsrMode::InOrder/>
                    <Route path=path!("/admin/orders/:id/cancel") view={Lazy::<CancelOrderScreen>::new()} ssr=SsrMode::InOrder/>
                    <Route path=path!("/admin/orders/:id/packing-slip") view={Lazy::<PackingSlipScreen>::new()} ssr=SsrMode::InOrder/>
                    <Route path=path!("/admin/products") view={Lazy::<ProductsScreen>::new()} ssr=SsrMode::InOrder/>
                    <Route path=path!("/admin/products/:id/stock") view={Lazy::<StockHistoryScreen>::new()} ssr=SsrMode::InOrder/>
                    <Route path=path!("/admin/customers") view={Lazy::<CustomersScreen>::new()} ssr=SsrMode::InOrder/>
                    <Route path=path!("/admin/dashboard") view={Lazy::<DashboardScreen>::new()} ssr=SsrMode::InOrder/>
                    <Route path=path!("/admin/webhooks") view={Lazy::<WebhooksScreen>::new()} ssr=SsrMode::InOrder/>
                    <Route path=path!("/admin/webhooks/:id") view={Lazy::<WebhookDeliveriesScreen>::new()} ssr=SsrMode::InOrder/>
                    <Route path=path!("/admin/login") view={Lazy::<LoginScreen>::new()} ssr=SsrMode::InOrder/>
                    <Route path=path!("/admin/staff") view={Lazy::<StaffScreen>::new()} ssr=SsrMode::InOrder/>
                    <Route path=path!("/admin/activity") view={Lazy::<ActivityScreen>::new()} ssr=SsrMode::InOrder/>
                    <Route path=path!("/admin/account") view={Lazy::<AccountScreen>::new()} ssr=SsrMode::InOrder/>
                    <Route path=path!("/admin/set-password") view={Lazy::<SetPasswordScreen>::new()} ssr=SsrMode::InOrder/>
                </Routes>
                <ToastShelf/>
            </main>
        </Router>
    }
}

/// The bar over every page but a printed sheet. Customers see the shop
/// only; the console's link shows on the console's own pages.
#[component]
fn TopBar() -> impl IntoView {
    let path = leptos_router::hooks::use_location().pathname;
    let in_console = move || path.with(|p| p.starts_with("/admin"));
    let printed = move || path.with(|p| p.ends_with("/packing-slip"));
    view! {
        <header class="topbar" class:hidden=printed>
            <a class="brand" href="/">"Igniflo"</a>
            <nav aria-label="Site">
                <a href="/">"Shop"</a>
                {move || in_console().then(|| view! { <a href="/admin">"Admin"</a> })}
            </nav>
        </header>
    }
}
