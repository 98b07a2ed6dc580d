//! The HTML shell and the router: `/` for customers, `/admin` for admins.

use crate::components::toast::{ToastShelf, Toasts};
use crate::pages::admin::{
    customers::CustomersPage, dashboard::DashboardPage, login::LoginPage,
    order_detail::OrderDetailPage, orders::OrdersPage, products::ProductsPage,
};
use crate::pages::customer::{tracking::TrackingPage, CustomerPage};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.ico"/>
                <AutoReload options=options.clone()/>
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
    mark_hydrated();
    view! {
        <Stylesheet id="leptos" href="/pkg/igniflo.css"/>
        <Title text="Igniflo"/>
        <Router>
            <header class="topbar">
                <a class="brand" href="/">"Igniflo"</a>
                <nav>
                    <a href="/">"Shop"</a>
                    <a href="/admin">"Admin"</a>
                </nav>
            </header>
            <main>
                <Routes fallback=|| view! { <p class="empty">"Page not found."</p> }>
                    <Route path=path!("/") view=CustomerPage ssr=SsrMode::InOrder/>
                    <Route path=path!("/track") view=TrackingPage ssr=SsrMode::InOrder/>
                    <Route path=path!("/admin") view=OrdersPage/>
                    <Route path=path!("/admin/orders/:id") view=OrderDetailPage/>
                    <Route path=path!("/admin/products") view=ProductsPage/>
                    <Route path=path!("/admin/customers") view=CustomersPage/>
                    <Route path=path!("/admin/dashboard") view=DashboardPage/>
                    <Route path=path!("/admin/login") view=LoginPage/>
                </Routes>
                <ToastShelf/>
            </main>
        </Router>
    }
}

/// Sets `data-hydrated` on `<body>` once the WASM has taken over the page, so
/// browser tests wait for hydration instead of sleeping. Effects never run on
/// the server, so the server's HTML is unchanged.
fn mark_hydrated() {
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.dataset().set("hydrated", "true");
        }
    });
}
