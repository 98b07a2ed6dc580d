//! `/`: the shop — the catalogue, the cart and the checkout — and
//! `/track`: following an order. Both render completely on the server (in
//! order, so no part waits for JavaScript), work as plain HTML forms before
//! hydration, and listen to the live feed once hydrated.

pub mod api;
pub mod cart;
mod catalogue;
mod checkout;
mod lookup;
pub mod tracking;

// `/track` is a module of its own: the shop does not carry it.
super::lazy_screens! {
    customer_tracking {
        TrackingScreen => tracking::TrackingPage,
    }
}

use crate::components::live::follow_live_feed;
use crate::domain::{LiveMessage, Product};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn CustomerPage() -> impl IntoView {
    let catalogue = Resource::new(|| (), |_| api::catalogue());
    let country = Resource::new(|| (), |_| api::default_country());
    view! {
        <section class="shop">
            <div class="shop-intro">
                <h1>"Order from Igniflo"</h1>
                <p>
                    "Pick products that are in stock, place your order and follow its status live. "
                    <a href="/track">"Find an order you placed"</a>
                </p>
            </div>
            <Suspense fallback=|| view! { <p class="loading">"Loading the catalogue…"</p> }>
                {move || Suspend::new(async move {
                    let default_country = country.await.unwrap_or_else(|_| "US".into());
                    match catalogue.await {
                        Ok(products) => Either::Left(view! { <Shop products default_country/> }),
                        Err(e) => Either::Right(view! {
                            <p class="error" role="alert">
                                "The catalogue could not be loaded: " {e.to_string()}
                            </p>
                        }),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The shop once the catalogue is in. It owns the page's state: the
/// products (kept current by the live feed) and the cart (seeded from the
/// address, where the no-JavaScript cart buttons keep it).
#[component]
fn Shop(products: Vec<Product>, default_country: String) -> impl IntoView {
    let products = RwSignal::new(products);
    let query = use_query_map();
    let (cart, search) = query.with_untracked(|q| {
        (
            cart::parse_cart(q.get_str("cart").unwrap_or_default()),
            q.get("q").unwrap_or_default(),
        )
    });
    let cart = RwSignal::new(cart);
    let search = RwSignal::new(search);
    follow_live_feed(Vec::new(), move |message| match message {
        LiveMessage::ProductUpdated(product) => products.update(|list| upsert(list, product)),
        LiveMessage::Resync => leptos::task::spawn_local(async move {
            if let Ok(fresh) = api::catalogue().await {
                products.set(fresh);
            }
        }),
        LiveMessage::OrderUpdated(_) | LiveMessage::LowStock(_) => {}
    });
    view! {
        // Every cart button submits this form without JavaScript: the
        // button's own name and value (`cart=…`) become the new address.
        <form id="cart-edit" method="get" action="/" hidden></form>
        <div class="shop-layout">
            <catalogue::Catalogue products cart search/>
            <checkout::Checkout products cart default_country/>
        </div>
        // On a phone the cart sits below the catalogue: keep a way to it in reach.
        <Show when=move || !cart.with(Vec::is_empty)>
            <a class="cart-jump" href="#checkout">
                "View your cart · "
                {move || products.with(|p| cart.with(|c| cart::order_total(c, p)).map_or_else(|| "—".to_string(), |t| cart::currency(p).format(t)))}
            </a>
        </Show>
    }
}

/// Puts a changed product in its place, or a new one where the store would
/// list it (by name, ignoring case).
fn upsert(list: &mut Vec<Product>, product: Product) {
    match list.iter_mut().find(|p| p.id == product.id) {
        Some(existing) => *existing = product,
        None => {
            let key = product.name.to_lowercase();
            let at = list.partition_point(|p| p.name.to_lowercase() <= key);
            list.insert(at, product);
        }
    }
}
