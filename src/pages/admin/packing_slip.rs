//! `/admin/orders/:id/packing-slip`: what the packer puts in the box and
//! the label's address, on one printable sheet without the console's
//! navigation. The quantities are what is left to ship (all of each line
//! once everything has shipped, for a reprint).

use super::fns::admin_order;
use crate::domain::shop_time;
use crate::domain::Order;
use crate::pages::titles;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn PackingSlipPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let order = Resource::new(id, admin_order);
    view! {
        <section class="packing-slip">
            <Suspense fallback=|| view! { <p class="loading">"Loading the order…"</p> }>
                {move || Suspend::new(async move {
                    match order.await {
                        Ok(order) => view! { <PackingSlip order/> }.into_any(),
                        Err(e) => view! { <h1>"Packing slip"</h1><p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// Opens the browser's print dialog (the page's print styles drop the buttons).
fn print(_: leptos::ev::MouseEvent) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.print();
    }
}

#[component]
fn PackingSlip(order: Order) -> impl IntoView {
    let reprint = !order.has_unshipped();
    let lines: Vec<_> = order
        .items
        .iter()
        .map(|l| {
            let to_pack = if reprint {
                l.quantity
            } else {
                l.quantity - l.shipped_quantity
            };
            (l.name.clone(), l.sku.clone(), to_pack)
        })
        .filter(|(_, _, to_pack)| *to_pack > 0)
        .collect();
    let units: i64 = lines.iter().map(|(_, _, n)| n).sum();
    view! {
        <Title text=titles::packing_slip(&order.number)/>
        <div class="slip-actions">
            <a class="button secondary" href=format!("/admin/orders/{}", order.id)>"← Back to the order"</a>
            <button class="button" type="button" on:click=print>"Print"</button>
        </div>
        <header class="slip-header">
            <h1>"Packing slip"</h1>
            <p class="slip-number">"Order " <strong>{order.number.clone()}</strong></p>
            <p>"Placed " {shop_time::date_text(order.created_at)}</p>
        </header>
        <section class="slip-address" aria-labelledby="ship-to">
            <h2 id="ship-to">"Ship to"</h2>
            {match &order.shipping_address {
                Some(a) => view! { <address>{a.lines().into_iter().map(|l| view! { {l}<br/> }).collect_view()}</address> }.into_any(),
                None => view! { <address>{order.customer.name.clone()}<br/><span class="muted">"No delivery address given"</span></address> }.into_any(),
            }}
        </section>
        {reprint.then(|| view! { <p class="muted">"Everything has shipped: this is a reprint of the whole order."</p> })}
        <table class="slip-lines">
            <thead><tr><th scope="col" class="check-col">"✓"</th><th scope="col">"Product"</th><th scope="col">"SKU"</th><th scope="col" class="num">"Quantity"</th></tr></thead>
            <tbody>
                {lines.into_iter().map(|(name, sku, n)| view! {
                    <tr><td class="check-col">"☐"</td><td>{name}</td><td>{sku}</td><td class="num">{n}</td></tr>
                }).collect_view()}
            </tbody>
            <tfoot><tr><th scope="row" colspan="3">"Units"</th><td class="num">{units}</td></tr></tfoot>
        </table>
    }
}
