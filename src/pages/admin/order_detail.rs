//! `/admin/orders/:id`: one order — customer and delivery address, lines at
//! their snapshot prices with what shipped and came back, payment and
//! refunds, parcels, the timeline — with what can be done next: its next
//! statuses, ship, return, refund, note, and the packing slip.

use super::fns::{admin_order, MoveOrder};
use super::fulfillment::{FulfillmentActions, FulfillmentForms};
use super::order_actions::{move_failure, CancelDialog, CancelQuestion, StatusActions};
use super::{AdminNav, SignedInStaff};
use crate::components::live::follow_live_feed;
use crate::components::toast::use_toasts;
use crate::components::OrderStatusBadge;
use crate::domain::shop_time;
use crate::domain::{Actor, LiveMessage, Order, Role, TimelineKind};
use crate::pages::titles;
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
        LiveMessage::OrderUpdated(o) if o.id.to_string() == id() => latest.set(Some(*o)),
        LiveMessage::Resync => order.refetch(),
        _ => {}
    });
    Effect::new(move |_| {
        order.track();
        latest.set(None);
    });
    // Page-level: the view below is replaced on every refetch.
    let moves = ServerAction::<MoveOrder>::new();
    let cancel_question = CancelQuestion::provide();
    let toaster = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = moves.value().get() {
            toaster.success(format!("Order {} is {}", saved.number, saved.status));
            latest.set(Some(saved));
        }
    });
    let actions = FulfillmentActions::default();
    let staff = SignedInStaff::of_page();
    actions.on_success(move |saved, what| {
        toaster.success(format!("{what} on order {}", saved.number));
        latest.set(Some(saved));
    });
    view! {
        <AdminNav/>
        <CancelDialog question=cancel_question action=moves/>
        <section class="page">
            <Transition fallback=|| view! { <p class="loading">"Loading the order…"</p> }>
                {move || Suspend::new(async move {
                    let role = staff.role().await;
                    match order.await {
                        Ok(loaded) => view! { <OrderDetail loaded latest moves actions role/> }.into_any(),
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
    actions: FulfillmentActions,
    role: Option<Role>,
) -> impl IntoView {
    let loaded_number = loaded.number.clone();
    // The live version once there is one; a plain closure, so a refetch
    // that replaces this view leaves nothing reactive behind.
    let order = move || latest.get().unwrap_or_else(|| loaded.clone());
    view! {
        <Title text=titles::order(&loaded_number)/>
        {move || {
            let o = order();
            let money = move |m| o.currency.format(m);
            view! {
                <div class="page-header">
                    <h1>"Order " {o.number.clone()}</h1>
                    <OrderStatusBadge status=o.status/>
                    <a class="button secondary small" href=format!("/admin/orders/{}/packing-slip", o.id)>"Packing slip"</a>
                </div>
                <div class="detail-grid">
                    <div>
                        <h2>"Customer"</h2>
                        <p>{o.customer.name.clone()}<br/>{o.customer.email.clone()}<br/>{o.customer.phone.clone()}</p>
                        <h2>"Delivery address"</h2>
                        {match &o.shipping_address {
                            Some(a) => view! { <address class="address">{a.lines().into_iter().map(|l| view! { {l}<br/> }).collect_view()}</address> }.into_any(),
                            None => view! { <p class="muted">"None given"</p> }.into_any(),
                        }}
                        <h2>"Payment"</h2>
                        <p class="payment">
                            <span class="pill">{o.payment_status.label()}</span>
                            {(o.refunded_total.cents() > 0).then(|| format!(" · {} refunded", money(o.refunded_total)))}
                        </p>
                        <h2>"Shipping"</h2>
                        <p><span class="pill">{o.fulfillment_status.label()}</span></p>
                        <div class="actions">
                            <StatusActions order=o.clone() action=moves back=format!("/admin/orders/{}", o.id) role/>
                        </div>
                        {move_failure(moves)}
                    </div>
                    <div>
                        <h2>"Timeline"</h2>
                        <ol class="timeline">
                            // Newest first, as the customer's timeline.
                            {o.timeline.iter().rev().map(|e| view! {
                                <li class=format!("timeline-{}", format!("{:?}", e.kind).to_lowercase())>
                                    {match e.status {
                                        Some(status) if e.kind == TimelineKind::Status => view! { <OrderStatusBadge status/> }.into_any(),
                                        _ => view! { <span class="kind">{kind_label(e.kind)}</span> }.into_any(),
                                    }}
                                    " " {shop_time::minute_text(e.at)} " · " {actor_label(&e.actor)}
                                    // A status move says no more than its badge unless staff gave a reason.
                                    {(e.kind != TimelineKind::Status || e.status.is_none_or(|s| e.summary != s.label()))
                                        .then(|| view! { <span class="summary">{e.summary.clone()}</span> })}
                                </li>
                            }).collect_view()}
                        </ol>
                    </div>
                </div>
                // Wider than a phone: it scrolls, so it takes focus to scroll by keyboard.
                <div class="table-wrap" tabindex="0" role="region" aria-label="Order lines">
                    <table class="lines">
                        <thead><tr><th scope="col">"Product"</th><th scope="col">"SKU"</th><th scope="col" class="num">"Unit price"</th><th scope="col" class="num">"Qty"</th><th scope="col" class="num">"Shipped"</th><th scope="col" class="num">"Returned"</th><th scope="col" class="num">"Line total"</th></tr></thead>
                        <tbody>
                            {o.items.iter().map(|l| view! {
                                <tr><td>{l.name.clone()}</td><td>{l.sku.clone()}</td><td class="num">{money(l.unit_price)}</td><td class="num">{l.quantity}</td><td class="num">{l.shipped_quantity}</td><td class="num">{l.returned_quantity}</td><td class="num">{money(l.line_total)}</td></tr>
                            }).collect_view()}
                        </tbody>
                        <tfoot><tr><th scope="row" colspan="6">"Total"</th><td class="num total">{money(o.total)}</td></tr></tfoot>
                    </table>
                </div>
                {(!o.shipments.is_empty()).then(|| view! {
                    <h2>"Parcels"</h2>
                    <ul class="parcels">
                        {o.shipments.iter().map(|s| view! {
                            <li>
                                <strong>{s.carrier.clone().unwrap_or_else(|| "Parcel".into())}</strong>
                                {s.tracking_number.clone().map(|t| view! { " · " {t} })}
                                {s.tracking_url.clone().map(|url| view! { " · " <a href=url rel="noopener noreferrer" target="_blank">"Track"</a> })}
                                <span class="muted">" · " {s.items.iter().map(|i| format!("{} × {}", i.quantity, i.sku)).collect::<Vec<_>>().join(", ")}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                })}
                <FulfillmentForms order=o.clone() actions role/>
            }
        }}
    }
}

fn kind_label(kind: TimelineKind) -> &'static str {
    match kind {
        TimelineKind::Status => "Status",
        TimelineKind::Shipment => "Shipped",
        TimelineKind::Return => "Returned",
        TimelineKind::Refund => "Refunded",
        TimelineKind::Note => "Note",
    }
}

/// Who did it, as staff read the timeline: the staff member's or token's
/// name, or "customer" / "Igniflo".
fn actor_label(actor: &Actor) -> String {
    actor.name.clone()
}
