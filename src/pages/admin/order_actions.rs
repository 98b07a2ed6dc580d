//! The console's ways to move an order. Each next status is a plain form
//! post, so it works before hydration and with JavaScript off. Cancelling
//! cannot be undone, so it asks first: it names the order, says what
//! happens to its stock and payment, and takes an optional reason for the
//! history — in a dialog on the spot once the page is hydrated, and before
//! that (or without JavaScript) on a page of its own,
//! `/admin/orders/:id/cancel`.

use super::fns::{admin_order, MoveOrder};
use super::AdminNav;
use crate::components::toast::use_toasts;
use crate::domain::{Order, OrderStatus, Permission, Role};
use crate::pages::titles;
use leptos::html::Dialog;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

/// A form per next status of `order`, posted to `action`; a browser that
/// posts it itself comes back to `back`. Cancelling asks first (see
/// `CancelButton`), and is not offered once a parcel has shipped.
#[component]
pub fn StatusActions(
    order: Order,
    action: ServerAction<MoveOrder>,
    back: String,
    /// The signed-in role: only the moves it may make are offered.
    role: Option<Role>,
    #[prop(optional)] small: bool,
) -> impl IntoView {
    let id = order.id.to_string();
    let number = order.number.clone();
    // Once a parcel has left, what left comes back as a return, not a cancellation.
    let shipped = !order.shipments.is_empty();
    order
        .status
        .next_statuses()
        .iter()
        .filter(|&&to| !(shipped && to == OrderStatus::Cancelled))
        .filter(|&&to| super::allows(role, Permission::to_move_to(to)))
        .map(|&to| {
            let (id, number, back) = (id.clone(), number.clone(), back.clone());
            if to == OrderStatus::Cancelled {
                view! { <CancelButton order=order.clone() back small/> }.into_any()
            } else {
                view! {
                    <ActionForm action attr:class="status-form">
                        <input type="hidden" name="id" value=id/>
                        <input type="hidden" name="status" value=to.as_str()/>
                        <input type="hidden" name="back" value=back/>
                        <button class="button" class:small=small type="submit"
                            aria-label=format!("Mark order {number} {to}")>"Mark " {to.as_str()}</button>
                    </ActionForm>
                }
                .into_any()
            }
        })
        .collect_view()
}

/// The order a console page is asking whether to cancel (and where a form
/// posted without JavaScript would return). The page holds it, not the
/// order's row, so a live update that redraws the row leaves the question
/// open.
#[derive(Clone, Copy)]
pub struct CancelQuestion(RwSignal<Option<(Order, String)>>);

impl CancelQuestion {
    /// Gives the page's "Cancel…" buttons a dialog to ask in: place the
    /// returned question's `CancelDialog` on the page.
    pub fn provide() -> CancelQuestion {
        let question = CancelQuestion(RwSignal::new(None));
        provide_context(question);
        question
    }
}

/// "Cancel…": a link to the page that asks first; once the page is
/// hydrated, it asks in the page's dialog on the spot instead, and the list
/// or order page behind it shows the outcome.
#[component]
fn CancelButton(order: Order, back: String, small: bool) -> impl IntoView {
    let href = format!("/admin/orders/{}/cancel", order.id);
    let label = format!("Cancel order {}…", order.number);
    let question = use_context::<CancelQuestion>();
    let asked = StoredValue::new((order, back));
    view! {
        <a class="button danger" class:small=small href=href aria-label=label
            on:click=move |ev| {
                if let Some(CancelQuestion(asking)) = question {
                    ev.prevent_default();
                    asking.set(Some(asked.get_value()));
                }
            }>"Cancel…"</a>
    }
}

/// The dialog the page's "Cancel…" buttons ask in. It closes when the
/// order is cancelled, on "Keep the order" and on Escape.
#[component]
pub fn CancelDialog(question: CancelQuestion, action: ServerAction<MoveOrder>) -> impl IntoView {
    let CancelQuestion(asking) = question;
    Effect::new(move |_| {
        let cancelled = action.value().with(|v| match v {
            Some(Ok(saved)) => Some(saved.id),
            _ => None,
        });
        if cancelled.is_some()
            && asking.with_untracked(|a| a.as_ref().map(|(o, _)| o.id)) == cancelled
        {
            asking.set(None);
        }
    });
    let dialog = NodeRef::<Dialog>::new();
    Effect::new(move |_| {
        if let Some(dialog) = dialog.get() {
            if !dialog.open() {
                let _ = dialog.show_modal();
            }
        }
    });
    view! {
        <Show when=move || asking.with(Option::is_some)>
            <dialog node_ref=dialog class="confirm" aria-labelledby="cancel-question"
                on:close=move |_| asking.set(None)>
                {move || asking.get().map(|(order, back)| view! { <CancelConfirmation order action back dialog/> })}
            </dialog>
        </Show>
    }
}

/// What a move that failed says, where the form was.
pub fn move_failure(action: ServerAction<MoveOrder>) -> impl IntoView {
    move || {
        action.value().with(|v| match v {
            Some(Err(e)) => {
                Some(view! { <p class="error" role="alert">"Not changed: " {e.to_string()}</p> })
            }
            _ => None,
        })
    }
}

/// `/admin/orders/:id/cancel`: asks before cancelling.
#[component]
pub fn CancelOrderPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let order = Resource::new(id, admin_order);
    // Page-level: the view below is replaced on every refetch.
    let action = ServerAction::<MoveOrder>::new();
    let toasts = use_toasts();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(cancelled)) = action.value().get() {
            toasts.notice(format!("Order {} is cancelled", cancelled.number));
            navigate(
                &format!("/admin/orders/{}", cancelled.id),
                Default::default(),
            );
        }
    });
    view! {
        <AdminNav/>
        <section class="page narrow">
            <Transition fallback=|| view! { <p class="loading">"Loading the order…"</p> }>
                {move || Suspend::new(async move {
                    match order.await {
                        Ok(order) => view! { <CancelOrder order action/> }.into_any(),
                        Err(e) => view! { <h1>"Cancel an order"</h1><p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn CancelOrder(order: Order, action: ServerAction<MoveOrder>) -> impl IntoView {
    let order_page = format!("/admin/orders/{}", order.id);
    let number = order.number.clone();
    let title = titles::cancel_order(&number);
    let refusal = if !order.status.can_move_to(OrderStatus::Cancelled) {
        Some(format!(
            "It is {}; only PENDING and PAID orders can be cancelled.",
            order.status
        ))
    } else if !order.shipments.is_empty() {
        Some("A parcel has already shipped: take what comes back as a return instead.".into())
    } else {
        None
    };
    if let Some(why) = refusal {
        return view! {
            <Title text=title/>
            <h1>"Order " {number.clone()} " cannot be cancelled"</h1>
            <p>{why}</p>
            <p><a class="button secondary" href=order_page>"Back to the order"</a></p>
        }
        .into_any();
    }
    view! {
        <Title text=title/>
        <CancelConfirmation order action back=order_page/>
    }
    .into_any()
}

/// The question cancelling asks: which order, what goes back into stock,
/// what happens to its payment, and an optional reason. As a page (the
/// order's heading, "Keep the order" leads back to it) or in `dialog` (which
/// "Keep the order" closes).
#[component]
fn CancelConfirmation(
    order: Order,
    action: ServerAction<MoveOrder>,
    back: String,
    #[prop(optional)] dialog: Option<NodeRef<Dialog>>,
) -> impl IntoView {
    let order_page = format!("/admin/orders/{}", order.id);
    let number = order.number.clone();
    let heading_id = "cancel-question";
    let question = format!("Cancel order {number}?");
    // In a dialog, the page's action may have failed for another order's
    // row: say why only once this question was answered.
    let answered = RwSignal::new(dialog.is_none());
    let units: i64 = order.items.iter().map(|l| l.quantity).sum();
    view! {
        {match dialog {
            Some(_) => view! { <h2 id=heading_id>{question}</h2> }.into_any(),
            None => view! { <h1 id=heading_id>{question}</h1> }.into_any(),
        }}
        <p>"Cancelling cannot be undone. " {order.customer.name.clone()} "’s tracking page will say the order was cancelled."</p>
        <p>{format!("Its {units} item{} go back into stock:", if units == 1 { "" } else { "s" })}</p>
        <ul class="cancel-lines">
            {order.items.iter().map(|l| view! { <li>{l.quantity} " × " {l.name.clone()} " (" {l.sku.clone()} ")"</li> }).collect_view()}
        </ul>
        {(order.refundable().cents() > 0).then(|| view! {
            <p class="warning">"Its payment has been received: " {order.currency.format(order.refundable())} " is recorded as refunded. Send the money back to the customer."</p>
        })}
        <ActionForm action attr:class="form">
            <input type="hidden" name="id" value=order.id.to_string()/>
            <input type="hidden" name="status" value="CANCELLED"/>
            <input type="hidden" name="back" value=back/>
            <label for=format!("reason-{}", order.id)>"Reason (optional, seen by staff only)"</label>
            <textarea id=format!("reason-{}", order.id) name="reason" rows="3" maxlength="500"></textarea>
            <div class="actions">
                <button class="button danger" type="submit" disabled=move || action.pending().get()
                    on:click=move |_| answered.set(true)>"Cancel order " {number.clone()}</button>
                {match dialog {
                    Some(dialog) => view! {
                        <button class="button secondary" type="button" on:click=move |_| {
                            if let Some(dialog) = dialog.get() {
                                dialog.close();
                            }
                        }>"Keep the order"</button>
                    }.into_any(),
                    None => view! { <a class="button secondary" href=order_page>"Keep the order"</a> }.into_any(),
                }}
            </div>
        </ActionForm>
        {move || answered.get().then(|| move_failure(action))}
    }
}
