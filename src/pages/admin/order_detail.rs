//! `/admin/orders/:id`: one order — customer, lines at their snapshot
//! prices, total, payment, timeline — with its next statuses.

use super::fns::{admin_order, MoveOrder};
use super::order_actions::{move_failure, StatusActions};
use super::orders::short_time;
use super::AdminNav;
use crate::components::live::follow_live_feed;
use crate::components::toast::use_toasts;
use crate::components::OrderStatusBadge;
use crate::domain::{LiveMessage, Order};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn OrderDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let order = Resource::new(id, admin_order);
    let latest = RwSignal::new(None::<Order>);
    follow_live_feed(Vec::new(), move |message| match message {
        LiveMessage::OrderUpdated(o) if o.id.to_string() == id() => latest.set(Some(o)),
        LiveMessage::Resync => order.refetch(),
        _ => {}
    });
    Effect::new(move |_| {
        order.track();
        latest.set(None);
    });
    // Page-level: the view below is replaced on every refetch.
    let moves = ServerAction::<MoveOrder>::new();
    let toaster = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = moves.value().get() {
            toaster.success(format!("Order {} is {}", saved.number, saved.status));
            latest.set(Some(saved));
        }
    });
    view! {
        <AdminNav/>
        <section class="page">
            <Transition fallback=|| view! { <p class="loading">"Loading the order…"</p> }>
                {move || Suspend::new(async move {
                    match order.await {
                        Ok(loaded) => view! { <OrderDetail loaded latest moves/> }.into_any(),
                        Err(e) => view! { <h1>"Order"</h1><p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn OrderDetail(
    loaded: Order,
    latest: RwSignal<Option<Order>>,
    moves: ServerAction<MoveOrder>,
) -> impl IntoView {
    let loaded_number = loaded.number.clone();
    // The live version once there is one; a plain closure, so a refetch
    // that replaces this view leaves nothing reactive behind.
    let order = move || latest.get().unwrap_or_else(|| loaded.clone());
    view! {
        <Title text=format!("Order {} · Igniflo admin", loaded_number)/>
        {move || {
            let o = order();
            view! {
                <div class="page-header">
                    <h1>"Order " {o.number.clone()}</h1>
                    <OrderStatusBadge status=o.status/>
                </div>
                <div class="detail-grid">
                    <div>
                        <h2>"Customer"</h2>
                        <p>{o.customer.name.clone()}<br/>{o.customer.email.clone()}<br/>{o.customer.phone.clone()}</p>
                        <h2>"Payment"</h2>
                        <p>{if o.payment_received { "Received" } else { "Not received" }}</p>
                        <div class="actions">
                            <StatusActions order=o.clone() action=moves back=format!("/admin/orders/{}", o.id)/>
                        </div>
                        {move_failure(moves)}
                    </div>
                    <div>
                        <h2>"Timeline"</h2>
                        <ol class="timeline">
                            // Newest first, as the customer's timeline.
                            {o.status_history.iter().rev().map(|e| view! {
                                <li>
                                    <OrderStatusBadge status=e.status/> " " {short_time(&e.at.to_string())} " · " {format!("{:?}", e.actor).to_lowercase()}
                                    {e.reason.clone().map(|reason| view! { <span class="reason">"Reason: " {reason}</span> })}
                                </li>
                            }).collect_view()}
                        </ol>
                    </div>
                </div>
                <div class="table-wrap">
                    <table class="lines">
                        <thead><tr><th scope="col">"Product"</th><th scope="col">"SKU"</th><th scope="col" class="num">"Unit price"</th><th scope="col" class="num">"Qty"</th><th scope="col" class="num">"Line total"</th></tr></thead>
                        <tbody>
                            {o.items.iter().map(|l| view! {
                                <tr><td>{l.name.clone()}</td><td>{l.sku.clone()}</td><td class="num">{l.unit_price.to_string()}</td><td class="num">{l.quantity}</td><td class="num">{l.line_total.to_string()}</td></tr>
                            }).collect_view()}
                        </tbody>
                        <tfoot><tr><th scope="row" colspan="4">"Total"</th><td class="num total">{o.total.to_string()}</td></tr></tfoot>
                    </table>
                </div>
            }
        }}
    }
}
