//! `/track?token=…`: one order as its customer sees it — status, items,
//! total and timeline — kept current by the live feed, which the token lets
//! this page follow. Without a token (or with one that no longer works) the
//! page offers the lookup form instead.

use super::api::{self, payment_instructions, tracked_order};
use super::lookup::FindOrderForm;
use crate::components::live::follow_live_feed;
use crate::components::toast::use_toasts;
use crate::components::OrderStatusBadge;
use crate::domain::shop_time;
use crate::domain::{
    ActorKind, AppError, FulfillmentStatus, LiveMessage, Order, OrderStatus, TimelineEntry,
    TimelineKind,
};
use crate::pages::titles;
use leptos::either::EitherOf3;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn TrackingPage() -> impl IntoView {
    let query = use_query_map();
    let token = Memo::new(move |_| query.with(|q| q.get("token").filter(|t| !t.trim().is_empty())));
    let just_placed = Memo::new(move |_| query.with(|q| q.get_str("placed").is_some()));
    let order = Resource::new(
        move || token.get(),
        |token| async move {
            match token {
                Some(token) => tracked_order(token.clone()).await.map(|o| Some((o, token))),
                None => Ok(None),
            }
        },
    );
    let how_to_pay = Resource::new(|| (), |_| payment_instructions());
    view! {
        <section class="tracking">
            <Suspense fallback=|| view! { <p class="loading">"Loading your order…"</p> }>
                {move || Suspend::new(async move {
                    let how_to_pay = how_to_pay.await.ok().flatten();
                    match order.await {
                        Ok(Some((order, token))) => EitherOf3::A(view! {
                            <OrderTracker order token just_placed=just_placed.get_untracked() how_to_pay/>
                        }),
                        Ok(None) => EitherOf3::B(view! {
                            <div class="page narrow">
                                <h1>"Find your order"</h1>
                                <FindOrderForm/>
                            </div>
                        }),
                        Err(e) => EitherOf3::C(view! {
                            <div class="page narrow">
                                <h1>"Find your order"</h1>
                                <p class="error" role="alert">{not_tracked(&e)}</p>
                                <FindOrderForm/>
                            </div>
                        }),
                    }
                })}
            </Suspense>
        </section>
    }
}

fn not_tracked(error: &AppError) -> String {
    match error {
        AppError::NotFound { .. } => "This tracking link does not lead to an order. It may be \
            incomplete, or a newer link for the order has replaced it."
            .into(),
        other => format!("Your order could not be loaded: {other}."),
    }
}

/// What the order's state means to the customer.
fn explain(order: &Order) -> &'static str {
    match (order.status, order.fulfillment_status) {
        (OrderStatus::Pending, _) => "We have your order and are waiting for your payment.",
        (OrderStatus::Paid, FulfillmentStatus::PartiallyFulfilled) => {
            "Part of your order is on its way; we are preparing the rest."
        }
        (OrderStatus::Paid, _) => "Your payment has arrived; we are preparing your order.",
        (OrderStatus::Fulfilled, _) => "Your order is complete and on its way to you.",
        (OrderStatus::Cancelled, _) => "This order was cancelled.",
    }
}

/// A timeline entry in the customer's words.
fn milestone(entry: &TimelineEntry) -> String {
    match (entry.kind, entry.status) {
        (TimelineKind::Status, Some(OrderStatus::Pending)) => "Order placed".into(),
        (TimelineKind::Status, Some(OrderStatus::Paid)) => "Payment received".into(),
        (TimelineKind::Status, Some(OrderStatus::Fulfilled)) => "Everything has shipped".into(),
        (TimelineKind::Status, _) => "Order cancelled".into(),
        (TimelineKind::Note, _) => format!("Message from the shop: {}", entry.summary),
        _ => entry.summary.clone(),
    }
}

#[component]
fn OrderTracker(
    order: Order,
    token: String,
    just_placed: bool,
    how_to_pay: Option<String>,
) -> impl IntoView {
    let toasts = use_toasts();
    let id = order.id;
    let order = RwSignal::new(order);
    let refetch_token = token.clone();
    follow_live_feed(vec![token.clone()], move |message| match message {
        LiveMessage::OrderUpdated(changed) if changed.id == id => {
            let before = order.with_untracked(|o| o.status);
            if changed.status != before {
                let news = format!("Your order is now {}.", changed.status);
                if changed.status == OrderStatus::Cancelled {
                    toasts.notice(news);
                } else {
                    toasts.success(news);
                }
            }
            order.set(*changed);
        }
        LiveMessage::Resync => {
            let token = refetch_token.clone();
            leptos::task::spawn_local(async move {
                if let Ok(fresh) = api::tracked_order(token).await {
                    order.set(fresh);
                }
            });
        }
        _ => {}
    });
    let number = order.with_untracked(|o| o.number.clone());
    let link = StoredValue::new(format!("/track?token={token}"));
    let link = move || link.get_value();
    let title = titles::tracked_order(&number);
    let number = StoredValue::new(number);
    let number = move || number.get_value();
    let status = move || order.with(|o| o.status);
    view! {
        <Title text=title/>
        <article class="page tracker">
            <header class="tracker-header">
                <h1>"Order " <span class="order-number">{number()}</span></h1>
                {move || view! { <OrderStatusBadge status=status()/> }}
            </header>
            // The thanks hold only while the order stands.
            {move || (just_placed && status() != OrderStatus::Cancelled).then(|| view! {
                <div class="confirmation" role="status">
                    <h2>"Thank you! Your order is placed."</h2>
                    <p>"Your order number is " <strong class="order-number">{number()}</strong> "."</p>
                    <p>
                        "This page is your private tracking link: "
                        <a href=link()>"bookmark it"</a>
                        " to come back. Anyone with the link can see the order, so keep it to yourself."
                    </p>
                    <p><a href="/">"Continue shopping"</a></p>
                </div>
            })}
            <p class="status-explainer" class:bad-news=move || status() == OrderStatus::Cancelled>{move || order.with(explain)}</p>
            {how_to_pay.map(|text| view! {
                <Show when=move || status() == OrderStatus::Pending>
                    <section class="how-to-pay" aria-labelledby="how-to-pay-heading">
                        <h2 id="how-to-pay-heading">"How to pay"</h2>
                        <p>{text.clone()}</p>
                        <p class="fineprint">"Quote your order number " <strong>{number()}</strong> " with the payment."</p>
                    </section>
                </Show>
            })}
            <div class="tracker-grid">
                <section aria-labelledby="items-heading">
                    <h2 id="items-heading">"Items"</h2>
                    <table class="items">
                        <thead>
                            <tr><th scope="col">"Product"</th><th scope="col" class="num">"Qty"</th><th scope="col" class="num">"Price"</th><th scope="col" class="num">"Total"</th></tr>
                        </thead>
                        <tbody>
                            {move || order.with(|o| o.items.iter().map(|line| view! {
                                <tr>
                                    <td>
                                        {line.name.clone()} " " <span class="sku">{line.sku.clone()}</span>
                                        {(line.shipped_quantity > 0).then(|| view! {
                                            <span class="shipped">{format!("{} of {} shipped", line.shipped_quantity, line.quantity)}</span>
                                        })}
                                        {(line.returned_quantity > 0).then(|| view! {
                                            <span class="shipped">{format!("{} returned", line.returned_quantity)}</span>
                                        })}
                                    </td>
                                    <td class="num">{line.quantity}</td>
                                    <td class="num">{o.currency.format(line.unit_price)}</td>
                                    <td class="num">{o.currency.format(line.line_total)}</td>
                                </tr>
                            }).collect_view())}
                        </tbody>
                        <tfoot>
                            <tr><th scope="row" colspan="3">"Total"</th><td class="num total">{move || order.with(|o| o.currency.format(o.total))}</td></tr>
                            {move || order.with(|o| (o.refunded_total.cents() > 0).then(|| view! {
                                <tr><th scope="row" colspan="3">"Refunded"</th><td class="num">{o.currency.format(o.refunded_total)}</td></tr>
                            }))}
                        </tfoot>
                    </table>
                    {move || order.with(|o| (!o.shipments.is_empty()).then(|| view! {
                        <h2>"Parcels"</h2>
                        <ul class="parcels">
                            {o.shipments.iter().map(|s| view! {
                                <li>
                                    <strong>{s.carrier.clone().unwrap_or_else(|| "Parcel".into())}</strong>
                                    {s.tracking_number.clone().map(|t| view! { " · tracking number " <span class="tracking-number">{t}</span> })}
                                    <span class="muted">" · " {s.items.iter().map(|i| format!("{} × {}", i.quantity, i.sku)).collect::<Vec<_>>().join(", ")}</span>
                                    {s.tracking_url.clone().map(|url| view! { <a class="track-parcel" href=url rel="noopener noreferrer" target="_blank">"Track this parcel"</a> })}
                                </li>
                            }).collect_view()}
                        </ul>
                    }))}
                </section>
                <section aria-labelledby="timeline-heading">
                    <h2 id="timeline-heading">"Timeline"</h2>
                    <ol class="timeline">
                        {move || order.with(|o| o.timeline.iter().rev().map(|entry| view! {
                            <li>
                                {match entry.status {
                                    Some(status) => view! { <OrderStatusBadge status/> }.into_any(),
                                    None => view! { <span class="badge neutral">{kind_label(entry.kind)}</span> }.into_any(),
                                }}
                                <div>
                                    <span class="milestone">{milestone(entry)}</span>
                                    <span class="when">
                                        <time datetime=entry.at.to_string()>{shop_time::minute_text_with_offset(entry.at)}</time>
                                        {match entry.actor.kind { ActorKind::Customer => " · by you", ActorKind::Staff | ActorKind::Token | ActorKind::System => " · by the shop" }}
                                    </span>
                                </div>
                            </li>
                        }).collect_view())}
                    </ol>
                    <h2>"Your details"</h2>
                    <p class="contact">
                        {move || order.with(|o| o.customer.name.clone())}<br/>
                        {move || order.with(|o| o.customer.email.clone())}<br/>
                        {move || order.with(|o| o.customer.phone.clone())}
                    </p>
                    {move || order.with(|o| o.shipping_address.as_ref().map(|a| view! {
                        <h2>"Delivery address"</h2>
                        <address class="address">{a.lines().into_iter().map(|l| view! { {l}<br/> }).collect_view()}</address>
                    }))}
                </section>
            </div>
            <p class="fineprint">"This page updates by itself when your order's status changes."</p>
        </article>
    }
}

fn kind_label(kind: TimelineKind) -> &'static str {
    match kind {
        TimelineKind::Status => "Status",
        TimelineKind::Shipment => "Shipped",
        TimelineKind::Return => "Returned",
        TimelineKind::Refund => "Refund",
        TimelineKind::Note => "Message",
    }
}
