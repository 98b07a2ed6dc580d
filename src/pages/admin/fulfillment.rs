//! The order page's after-payment work: ship a parcel, take a return,
//! refund, add a note. Each is a plain form post to a server function (so
//! it works before hydration and with JavaScript off: the browser comes
//! back to the order page, with the error in the address if it failed),
//! and each form offers only what the order's state allows.

use crate::domain::{AppError, Order, OrderLine, OrderStatus, Permission, ReturnReason, Role};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::server::server_fns::{as_staff, form_failure, form_success};

/// One line's quantity as a form sends it: a product id and what was typed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LineQuantity {
    pub product: String,
    #[serde(default)]
    pub quantity: String,
}

/// The lines with a quantity above 0; a quantity that is not a whole number
/// is an error naming its line.
#[cfg(feature = "ssr")]
fn picked(lines: &[LineQuantity]) -> Result<Vec<crate::domain::ItemQuantity>, AppError> {
    let mut items = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let typed = line.quantity.trim();
        if typed.is_empty() || typed == "0" {
            continue;
        }
        let quantity = typed.parse::<i64>().map_err(|_| {
            AppError::invalid(format!("items[{i}].quantity"), "must be a whole number")
        })?;
        items.push(crate::domain::ItemQuantity {
            product: line.product.clone(),
            quantity,
        });
    }
    if items.is_empty() {
        return Err(AppError::invalid("items", "must have at least one unit"));
    }
    Ok(items)
}

/// An amount as typed (`12.50` or `12,50`), blank as none.
#[cfg(feature = "ssr")]
fn amount(field: &str, typed: &str) -> Result<Option<crate::domain::Money>, AppError> {
    let typed = typed.trim().replace(',', ".");
    if typed.is_empty() {
        return Ok(None);
    }
    let value: f64 = typed
        .parse()
        .map_err(|_| AppError::invalid(field, "must be an amount such as 12.50"))?;
    crate::domain::Money::from_decimal(value)
        .map(Some)
        .map_err(|message| AppError::invalid(field, message))
}

/// Runs a command from a form of the order page and answers it: back to
/// the order page for a browser that posted the form itself.
#[cfg(feature = "ssr")]
async fn on_order<F, Fut>(
    id: String,
    path: &str,
    permission: Permission,
    command: F,
) -> Result<Order, AppError>
where
    F: FnOnce(crate::server::service::Service, crate::domain::Id, crate::domain::Actor) -> Fut,
    Fut: std::future::Future<Output = Result<Order, AppError>>,
{
    // Back to the order's page, built from the id once it is known to be
    // one: a form must never send the browser anywhere else.
    let parsed: Option<crate::domain::Id> = id.parse().ok();
    let back = parsed.map_or_else(|| "/admin".to_string(), |id| format!("/admin/orders/{id}"));
    let done = as_staff(permission, |service, staff| async move {
        let id = parsed.ok_or_else(|| AppError::not_found("order", &id))?;
        command(service, id, staff.actor).await
    })
    .await;
    match done {
        Ok(order) => {
            form_success(&back);
            Ok(order)
        }
        Err(e) => form_failure(&back, path, e),
    }
}

/// Ships the quantities typed per line, with the carrier and tracking given.
#[server(prefix = "/api/fn", endpoint = "ship_order", output = crate::pages::wire::Json)]
pub async fn ship_order(
    id: String,
    #[server(default)] items: Vec<LineQuantity>,
    #[server(default)] carrier: String,
    #[server(default)] tracking_number: String,
    #[server(default)] tracking_url: String,
    #[server(default)] attempt: String,
) -> Result<Order, AppError> {
    use crate::domain::NewShipment;
    use leptos::server_fn::ServerFn;
    on_order(
        id,
        ShipOrder::PATH,
        Permission::Fulfil,
        |service, id, actor| async move {
            let input = NewShipment {
                items: Some(picked(&items)?),
                carrier: Some(carrier),
                tracking_number: Some(tracking_number),
                tracking_url: Some(tracking_url),
            };
            let key = Some(attempt).filter(|k| !k.is_empty());
            Ok(service.ship(id, input, key, actor).await?.order)
        },
    )
    .await
}

/// Takes back the quantities typed per line.
#[server(prefix = "/api/fn", endpoint = "take_return", output = crate::pages::wire::Json)]
pub async fn take_return(
    id: String,
    #[server(default)] items: Vec<LineQuantity>,
    reason: ReturnReason,
    #[server(default)] note: String,
    #[server(default)] restock: Option<String>,
    #[server(default)] refund: String,
    #[server(default)] attempt: String,
) -> Result<Order, AppError> {
    use crate::domain::NewReturn;
    use leptos::server_fn::ServerFn;
    on_order(
        id,
        TakeReturn::PATH,
        Permission::ManageOrders,
        |service, id, actor| async move {
            let input = NewReturn {
                items: picked(&items)?,
                reason,
                note: Some(note),
                restock: restock.is_some(),
                refund: amount("refund", &refund)?,
            };
            let key = Some(attempt).filter(|k| !k.is_empty());
            Ok(service.take_return(id, input, key, actor).await?.order)
        },
    )
    .await
}

#[server(prefix = "/api/fn", endpoint = "refund_order", output = crate::pages::wire::Json)]
pub async fn refund_order(
    id: String,
    amount: String,
    #[server(default)] reason: String,
    #[server(default)] attempt: String,
) -> Result<Order, AppError> {
    use crate::domain::NewRefund;
    use leptos::server_fn::ServerFn;
    on_order(
        id,
        RefundOrder::PATH,
        Permission::ManageOrders,
        |service, id, actor| async move {
            let amount = self::amount("amount", &amount)?
                .ok_or_else(|| AppError::invalid("amount", "must not be empty"))?;
            let input = NewRefund {
                amount,
                reason: Some(reason),
            };
            let key = Some(attempt).filter(|k| !k.is_empty());
            Ok(service.refund(id, input, key, actor).await?.order)
        },
    )
    .await
}

#[server(prefix = "/api/fn", endpoint = "add_order_note", output = crate::pages::wire::Json)]
pub async fn add_order_note(
    id: String,
    text: String,
    #[server(default)] visible_to_customer: Option<String>,
) -> Result<Order, AppError> {
    use crate::domain::NewNote;
    use leptos::server_fn::ServerFn;
    on_order(
        id,
        AddOrderNote::PATH,
        Permission::Fulfil,
        |service, id, actor| async move {
            let input = NewNote {
                text,
                visible_to_customer: visible_to_customer.is_some(),
            };
            service.add_note(id, input, actor).await
        },
    )
    .await
}

/// The four actions of one order page, created once per page.
#[derive(Clone, Copy)]
pub struct FulfillmentActions {
    pub ship: ServerAction<ShipOrder>,
    pub take_return: ServerAction<TakeReturn>,
    pub refund: ServerAction<RefundOrder>,
    pub note: ServerAction<AddOrderNote>,
}

impl Default for FulfillmentActions {
    fn default() -> Self {
        FulfillmentActions {
            ship: ServerAction::new(),
            take_return: ServerAction::new(),
            refund: ServerAction::new(),
            note: ServerAction::new(),
        }
    }
}

impl FulfillmentActions {
    /// Calls `saved` with the order each action leaves when it succeeds,
    /// and what to tell the admin.
    pub fn on_success(&self, saved: impl Fn(Order, &'static str) + Copy + Send + Sync + 'static) {
        on_success(self.ship, "Shipment recorded", saved);
        on_success(self.take_return, "Return recorded", saved);
        on_success(self.refund, "Refund recorded", saved);
        on_success(self.note, "Note added", saved);
    }
}

fn on_success<T>(
    action: ServerAction<T>,
    what: &'static str,
    saved: impl Fn(Order, &'static str) + Send + Sync + 'static,
) where
    T: leptos::server_fn::ServerFn<Output = Order, Error = AppError>
        + Clone
        + Send
        + Sync
        + 'static,
{
    Effect::new(move |_| {
        if let Some(Ok(order)) = action.value().get() {
            saved(order, what);
        }
    });
}

/// A refusal of one action, shown by its form.
fn failure<T>(action: ServerAction<T>) -> impl IntoView
where
    T: leptos::server_fn::ServerFn<Output = Order, Error = AppError>
        + Clone
        + Send
        + Sync
        + 'static,
    T::Output: Send + Sync + 'static,
{
    move || {
        action.value().with(|v| match v {
            Some(Err(e)) => {
                Some(view! { <p class="error" role="alert">"Not recorded: " {e.to_string()}</p> })
            }
            _ => None,
        })
    }
}

/// A fresh retry key for one form, so a double submit records once.
fn attempt_key() -> String {
    crate::components::random_key()
}

/// The order's lines that have units `available`, each with a quantity
/// input (`items[i][quantity]`, beside its product id), set to all that is
/// available or to 0.
#[component]
fn PickLines(
    order: Order,
    id_prefix: &'static str,
    available_heading: &'static str,
    picked_heading: &'static str,
    available: fn(&OrderLine) -> i64,
    preset_all: bool,
) -> impl IntoView {
    let lines: Vec<_> = order
        .items
        .iter()
        .filter(|l| available(l) > 0)
        .cloned()
        .collect();
    view! {
        <table class="pick">
            <thead><tr><th scope="col">"Product"</th><th scope="col" class="num">{available_heading}</th><th scope="col" class="num">{picked_heading}</th></tr></thead>
            <tbody>
                {lines.into_iter().enumerate().map(|(i, l)| {
                    let left = available(&l);
                    let input_id = format!("{id_prefix}-{i}");
                    view! {
                        <tr>
                            <td><label for=input_id.clone()>{l.name.clone()} " (" {l.sku.clone()} ")"</label></td>
                            <td class="num">{left}</td>
                            <td class="num">
                                <input type="hidden" name=format!("items[{i}][product]") value=l.product.id.to_string()/>
                                <input id=input_id type="number" min="0" max=left value=if preset_all { left } else { 0 }
                                    inputmode="numeric" name=format!("items[{i}][quantity]")/>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// Ship a parcel: each line's unshipped units, carrier and tracking.
#[component]
pub fn ShipForm(order: Order, action: ServerAction<ShipOrder>) -> impl IntoView {
    view! {
        <ActionForm action attr:class="form fulfillment-form" attr:aria-label="Ship a parcel">
            <h3>"Ship a parcel"</h3>
            <input type="hidden" name="id" value=order.id.to_string()/>
            <input type="hidden" name="attempt" value=attempt_key()/>
            <PickLines order=order.clone() id_prefix="ship" available_heading="Unshipped" picked_heading="In this parcel"
                available=|l| l.quantity - l.shipped_quantity preset_all=true/>
            <div class="field-row">
                <div class="field"><label for="carrier">"Carrier"</label><input id="carrier" name="carrier" maxlength="100" autocomplete="off"/></div>
                <div class="field"><label for="tracking-number">"Tracking number"</label><input id="tracking-number" name="tracking_number" maxlength="100" autocomplete="off"/></div>
            </div>
            <div class="field"><label for="tracking-url">"Tracking link (https://…)"</label><input id="tracking-url" name="tracking_url" type="url" maxlength="2000" autocomplete="off"/></div>
            <button class="button primary" type="submit" disabled=move || action.pending().get()>"Ship"</button>
            {failure(action)}
        </ActionForm>
    }
}

/// Take a return: each line's shipped, not yet returned units.
#[component]
pub fn ReturnForm(order: Order, action: ServerAction<TakeReturn>) -> impl IntoView {
    let refundable = order.refundable();
    view! {
        <ActionForm action attr:class="form fulfillment-form" attr:aria-label="Take a return">
            <h3>"Take a return"</h3>
            <input type="hidden" name="id" value=order.id.to_string()/>
            <input type="hidden" name="attempt" value=attempt_key()/>
            <PickLines order=order.clone() id_prefix="return" available_heading="Returnable" picked_heading="Coming back"
                available=|l| l.shipped_quantity - l.returned_quantity preset_all=false/>
            <div class="field">
                <label for="return-reason">"Reason"</label>
                <select id="return-reason" name="reason">
                    {ReturnReason::ALL.iter().map(|r| view! { <option value=r.as_str()>{r.label()}</option> }).collect_view()}
                </select>
            </div>
            <div class="field"><label for="return-note">"Note (staff only)"</label><input id="return-note" name="note" maxlength="2000"/></div>
            <label class="check"><input type="checkbox" name="restock" checked/>" Put the units back on sale"</label>
            {(refundable.cents() > 0).then(|| view! {
                <div class="field">
                    <label for="return-refund">{format!("Refund with it (up to {})", order.currency.format(refundable))}</label>
                    <input id="return-refund" name="refund" inputmode="decimal" autocomplete="off"/>
                </div>
            })}
            <button class="button" type="submit" disabled=move || action.pending().get()>"Record the return"</button>
            {failure(action)}
        </ActionForm>
    }
}

/// Refund some of what was paid.
#[component]
pub fn RefundForm(order: Order, action: ServerAction<RefundOrder>) -> impl IntoView {
    let refundable = order.currency.format(order.refundable());
    view! {
        <ActionForm action attr:class="form fulfillment-form" attr:aria-label="Refund">
            <h3>"Refund"</h3>
            <input type="hidden" name="id" value=order.id.to_string()/>
            <input type="hidden" name="attempt" value=attempt_key()/>
            <div class="field">
                <label for="refund-amount">{format!("Amount (up to {refundable})")}</label>
                <input id="refund-amount" name="amount" inputmode="decimal" required autocomplete="off"/>
            </div>
            <div class="field"><label for="refund-reason">"Reason (staff only)"</label><input id="refund-reason" name="reason" maxlength="500"/></div>
            <button class="button" type="submit" disabled=move || action.pending().get()>"Refund"</button>
            {failure(action)}
        </ActionForm>
    }
}

/// Add a note, internal or for the customer.
#[component]
pub fn NoteForm(order: Order, action: ServerAction<AddOrderNote>) -> impl IntoView {
    view! {
        <ActionForm action attr:class="form fulfillment-form" attr:aria-label="Add a note">
            <h3>"Add a note"</h3>
            <input type="hidden" name="id" value=order.id.to_string()/>
            <label class="visually-hidden" for="note-text">"Note"</label>
            <textarea id="note-text" name="text" rows="2" maxlength="2000" required></textarea>
            <label class="check"><input type="checkbox" name="visible_to_customer"/>" Show it to the customer"</label>
            <button class="button" type="submit" disabled=move || action.pending().get()>"Add note"</button>
            {failure(action)}
        </ActionForm>
    }
}

/// The forms the order's state allows: ship while PAID with something
/// unshipped, a return once something shipped, a refund once paid.
#[component]
pub fn FulfillmentForms(
    order: Order,
    actions: FulfillmentActions,
    /// The signed-in role: only the forms it may use are shown.
    role: Option<Role>,
) -> impl IntoView {
    let may = |p| super::allows(role, p);
    let can_ship =
        order.status == OrderStatus::Paid && order.has_unshipped() && may(Permission::Fulfil);
    let can_return = order.has_returnable() && may(Permission::ManageOrders);
    let can_refund = order.refundable().cents() > 0 && may(Permission::ManageOrders);
    let can_note = may(Permission::Fulfil);
    // Fresh forms for every version of the order: a re-render would keep
    // what was typed into the inputs it reuses (a 0 left in a quantity, last
    // parcel's tracking number), whatever their new defaults.
    let version = order.version;
    view! {
        <For each=move || [version] key=|v| *v let:_version>
            <div class="fulfillment-forms">
                {can_ship.then(|| view! { <ShipForm order=order.clone() action=actions.ship/> })}
                {can_return.then(|| view! { <ReturnForm order=order.clone() action=actions.take_return/> })}
                {can_refund.then(|| view! { <RefundForm order=order.clone() action=actions.refund/> })}
                {can_note.then(|| view! { <NoteForm order=order.clone() action=actions.note/> })}
            </div>
        </For>
    }
}
