//! The catalogue: every product with its price and availability, searchable
//! by name or SKU. Out-of-stock products stay visible but cannot be added.

use super::cart::{self, CartLine};
use crate::domain::{Id, Product};
use leptos::ev::MouseEvent;
use leptos::prelude::*;

#[component]
pub fn Catalogue(
    products: RwSignal<Vec<Product>>,
    cart: RwSignal<Vec<CartLine>>,
    search: RwSignal<String>,
) -> impl IntoView {
    let shown = move || {
        let q = search.get().trim().to_lowercase();
        products.with(|list| {
            list.iter()
                .filter(|p| {
                    q.is_empty()
                        || p.name.to_lowercase().contains(&q)
                        || p.sku.to_lowercase().contains(&q)
                })
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let empty_message = move || {
        if products.with(Vec::is_empty) {
            "The catalogue is empty for now; please come back soon.".to_string()
        } else {
            format!("No product matches “{}”.", search.get().trim())
        }
    };
    view! {
        <section class="catalogue" aria-labelledby="catalogue-heading">
            <h2 id="catalogue-heading">"Products"</h2>
            // Without JavaScript the search is a plain GET that keeps the cart;
            // once hydrated it filters as you type.
            <form class="search" method="get" action="/" role="search" on:submit=|ev| ev.prevent_default()>
                <label for="search">"Search by name or SKU"</label>
                <div class="search-row">
                    <input id="search" type="search" name="q" autocomplete="off" value=search.get_untracked() bind:value=search/>
                    <input type="hidden" name="cart" value=move || cart.with(|c| cart::cart_param(c))/>
                    <button type="submit" class="button secondary">"Search"</button>
                </div>
            </form>
            <Show
                when=move || !shown().is_empty()
                fallback=move || view! { <p class="empty">{empty_message}</p> }
            >
                <ul class="products">
                    <For
                        each=shown
                        key=|p| (p.id, p.updated_at, p.stock)
                        children=move |product| view! { <ProductCard product cart/> }
                    />
                </ul>
            </Show>
        </section>
    }
}

#[component]
fn ProductCard(product: Product, cart: RwSignal<Vec<CartLine>>) -> impl IntoView {
    let id: Id = product.id;
    let stock = product.stock;
    let in_cart = move || cart.with(|c| cart::units_of(c, id));
    let can_add = move || in_cart() < stock;
    let (availability, availability_class) = match stock {
        0 => ("Out of stock".to_string(), "stock stock-none"),
        n if product.is_low_on_stock() => (format!("Only {n} left"), "stock stock-low"),
        n => (format!("{n} in stock"), "stock"),
    };
    let add = move |ev: MouseEvent| {
        ev.prevent_default();
        if can_add() {
            cart.update(|c| *c = cart::with_one_more(c, id));
        }
    };
    let button_text = move || match (stock, can_add()) {
        (0, _) => "Sold out",
        (_, false) => "All in your cart",
        _ => "Add to cart",
    };
    view! {
        <li class="product" class:sold-out=stock == 0>
            <div class="product-main">
                <h3 class="product-name">{product.name.clone()}</h3>
                <p class="sku">"SKU " {product.sku.clone()}</p>
            </div>
            <p class="price">{product.currency.format(product.price)}</p>
            <p class=availability_class>{availability}</p>
            <div class="product-actions">
                <span class="in-cart" aria-live="polite">
                    {move || (in_cart() > 0).then(|| format!("{} in cart", in_cart()))}
                </span>
                <button
                    type="submit"
                    form="cart-edit"
                    name="cart"
                    class="button"
                    aria-label=move || format!("{}: {}", button_text(), product.name)
                    value=move || cart.with(|c| cart::cart_param(&cart::with_one_more(c, id)))
                    disabled=move || !can_add()
                    on:click=add
                >
                    {button_text}
                </button>
            </div>
        </li>
    }
}
