//! The cart and the checkout form. The browser runs the order engine's own
//! checks (`domain::validate`, the stock it last heard of) to show messages
//! as the shopper types; the server runs them again and its refusals are
//! shown beside the line or field they concern, with nothing typed lost.

use super::api::Checkout as PlaceOrder;
use super::cart::{self, CartLine};
use crate::components::toast::use_toasts;
use crate::domain::{validate, AppError, Id, Product};
use leptos::ev::MouseEvent;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The customer's details, as the checkout form names them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Detail {
    Name,
    Email,
    Phone,
}

impl Detail {
    fn field(self) -> &'static str {
        match self {
            Detail::Name => "name",
            Detail::Email => "email",
            Detail::Phone => "phone",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Detail::Name => "Name",
            Detail::Email => "Email",
            Detail::Phone => "Phone",
        }
    }

    fn problem(self, value: &str) -> Option<AppError> {
        match self {
            Detail::Name => validate::name("name", value).err(),
            Detail::Email => validate::email(value).err(),
            Detail::Phone => validate::phone(value).err(),
        }
    }
}

/// A message for one field or line, in the shopper's words.
fn describe(error: &AppError) -> String {
    match error {
        AppError::Invalid { field, message } => {
            let subject = match field.as_str() {
                "name" => "Name",
                "email" => "Email",
                "phone" => "Phone",
                f if f.ends_with(".quantity") => "Quantity",
                f if f.ends_with(".product") => "This product",
                f => f,
            };
            format!("{subject} {message}.")
        }
        AppError::OutOfStock { available: 0, .. } => {
            "Sold out: remove this line to order the rest.".into()
        }
        AppError::OutOfStock { available, .. } => {
            format!("Only {available} in stock: lower the quantity.")
        }
        other => format!("{other}."),
    }
}

/// The line a server error concerns, if it concerns one.
fn line_of(error: &AppError) -> Option<usize> {
    match error {
        AppError::OutOfStock { line, .. } => Some(*line),
        AppError::Invalid { field, .. } => field
            .strip_prefix("items[")?
            .split_once(']')?
            .0
            .parse()
            .ok(),
        _ => None,
    }
}

fn is_about(error: &AppError, detail: Detail) -> bool {
    matches!(error, AppError::Invalid { field, .. } if field == detail.field())
}

const EMPTY_CART: &str = "Add at least one product to your cart.";

/// What to say about a refusal above the button: the reason itself when it
/// belongs to no single line or field, else a pointer to the highlighted ones.
fn general_message(error: &AppError) -> String {
    let specific = line_of(error).is_some()
        || [Detail::Name, Detail::Email, Detail::Phone]
            .iter()
            .any(|d| is_about(error, *d));
    match error {
        _ if specific => "Your order was not placed: please check the highlighted fields.".into(),
        AppError::Invalid { field, .. } if field == "items" => EMPTY_CART.into(),
        AppError::TooManyRequests { retry_after_secs } => {
            format!("Too many orders from your address; try again in {retry_after_secs} s.")
        }
        other => format!("{other}."),
    }
}

/// A new idempotency key for one checkout form, so that the form sent
/// twice (a double click, a retry after a lost answer) places one order.
/// Empty if no random source answers: the order is then placed without one.
fn new_attempt_key() -> String {
    let mut bytes = [0u8; 16];
    #[cfg(feature = "ssr")]
    let filled = getrandom::fill(&mut bytes).is_ok();
    #[cfg(not(feature = "ssr"))]
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        return String::new();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[component]
pub fn Checkout(products: RwSignal<Vec<Product>>, cart: RwSignal<Vec<CartLine>>) -> impl IntoView {
    let toasts = use_toasts();
    let place = ServerAction::<PlaceOrder>::new();
    // A refusal from the server, shown until the shopper changes something.
    let refusal = RwSignal::new(place.value().get_untracked().and_then(Result::err));
    // A form the server refused before hydration comes back in the address.
    let query = use_query_map();
    let details = [Detail::Name, Detail::Email, Detail::Phone].map(|d| {
        let sent = query.with_untracked(|q| q.get(d.field()).unwrap_or_default());
        (d, RwSignal::new(sent))
    });
    let attempted = RwSignal::new(false);

    Effect::new(move |_| {
        if let Some(Err(error)) = place.value().get() {
            if let AppError::OutOfStock { sku, available, .. } = &error {
                products.update(|list| {
                    if let Some(p) = list.iter_mut().find(|p| p.sku == *sku) {
                        p.stock = *available;
                    }
                });
            }
            let reason = match line_of(&error) {
                Some(_) => describe(&error),
                None => general_message(&error),
            };
            toasts.failure(format!("Not placed. {reason}"));
            refusal.set(Some(error));
        }
    });
    Effect::new(move |seen: Option<()>| {
        cart.track();
        details.iter().for_each(|(_, value)| value.track());
        if seen.is_some() {
            refusal.set(None);
        }
    });

    let line_problem = move |index: usize| -> Option<AppError> {
        let line = cart.with(|c| c.get(index).cloned())?;
        products
            .with(|list| {
                cart::line_problem(&line, index, list.iter().find(|p| p.id == line.product))
            })
            .or_else(|| refusal.get().filter(|e| line_of(e) == Some(index)))
    };
    let ready = move || {
        !cart.with(Vec::is_empty)
            && (0..cart.with(Vec::len)).all(|i| line_problem(i).is_none())
            && details
                .iter()
                .all(|(d, value)| value.with(|v| d.problem(v)).is_none())
    };
    let check_before_sending = move |ev: MouseEvent| {
        attempted.set(true);
        if !ready() {
            ev.prevent_default();
            toasts.failure("Please correct the highlighted fields.");
        }
    };
    let total = move || {
        let total = cart.with(|c| products.with(|p| cart::order_total(c, p)));
        total.map_or_else(|| "—".to_string(), cart::price)
    };
    let general = move || {
        let empty = attempted.get() && cart.with(Vec::is_empty);
        let message = refusal.get().map(|e| general_message(&e));
        message.or_else(|| empty.then(|| EMPTY_CART.to_string()))
    };

    view! {
        <aside class="checkout" id="checkout" aria-labelledby="cart-heading">
            <h2 id="cart-heading">"Your cart"</h2>
            <ActionForm action=place attr:class="checkout-form">
                <input type="hidden" name="attempt" value=new_attempt_key()/>
                <Show
                    when=move || !cart.with(Vec::is_empty)
                    fallback=|| view! { <p class="empty">"Your cart is empty. Add products from the catalogue."</p> }
                >
                    <ul class="cart-lines">
                        <For
                            each=move || cart.with(|c| c.iter().map(|l| l.product).enumerate().collect::<Vec<_>>())
                            key=|line| *line
                            children=move |(index, product)| view! {
                                <CartLineRow index product products cart problem=Signal::derive(move || line_problem(index))/>
                            }
                        />
                    </ul>
                </Show>
                <p class="order-total">"Total " <strong>{total}</strong></p>
                <fieldset class="details">
                    <legend>"Your details"</legend>
                    {details
                        .into_iter()
                        .map(|(detail, value)| {
                            let touched = RwSignal::new(false);
                            let message = Signal::derive(move || {
                                let refused = refusal.get().filter(|e| is_about(e, detail));
                                let problem = (touched.get() || attempted.get())
                                    .then(|| value.with(|v| detail.problem(v)))
                                    .flatten();
                                problem.or(refused).map(|e| describe(&e))
                            });
                            view! { <DetailField detail value touched message/> }
                        })
                        .collect_view()}
                </fieldset>
                {move || general().map(|message| view! { <p class="error" role="alert">{message}</p> })}
                <button
                    type="submit"
                    class="button primary place-order"
                    disabled=move || place.pending().get()
                    on:click=check_before_sending
                >
                    {move || if place.pending().get() { "Placing your order…" } else { "Place order" }}
                </button>
                <p class="fineprint">"You will get a private link to follow your order."</p>
            </ActionForm>
        </aside>
    }
}

#[component]
fn DetailField(
    detail: Detail,
    value: RwSignal<String>,
    touched: RwSignal<bool>,
    message: Signal<Option<String>>,
) -> impl IntoView {
    let field = detail.field();
    let error_id = format!("{field}-error");
    let (kind, autocomplete) = match detail {
        Detail::Name => ("text", "name"),
        Detail::Email => ("email", "email"),
        Detail::Phone => ("tel", "tel"),
    };
    view! {
        <div class="field">
            <label for=field>{detail.label()}</label>
            <input
                id=field
                name=field
                type=kind
                autocomplete=autocomplete
                required
                // The attribute for the server's HTML, the binding for later.
                value=value.get_untracked()
                bind:value=value
                on:blur=move |_| touched.set(true)
                aria-invalid=move || message.with(Option::is_some).to_string()
                aria-describedby=error_id.clone()
            />
            <p class="field-error" id=error_id>{message}</p>
        </div>
    }
}

#[component]
fn CartLineRow(
    index: usize,
    product: Id,
    products: RwSignal<Vec<Product>>,
    cart: RwSignal<Vec<CartLine>>,
    problem: Signal<Option<AppError>>,
) -> impl IntoView {
    let item = move || products.with(|list| list.iter().find(|p| p.id == product).cloned());
    let quantity =
        move || cart.with(|c| c.get(index).map(|l| l.quantity.clone()).unwrap_or_default());
    let units = move || cart.with(|c| cart::units_of(c, product));
    let stock = move || item().map_or(0, |p| p.stock);
    let name = move || item().map_or_else(|| "A product no longer sold".to_string(), |p| p.name);
    let change = move |ev: MouseEvent, to: fn(&[CartLine], Id) -> Vec<CartLine>| {
        ev.prevent_default();
        cart.update(|c| *c = to(c, product));
    };
    let leads_to = move |to: fn(&[CartLine], Id) -> Vec<CartLine>| {
        move || cart.with(|c| cart::cart_param(&to(c, product)))
    };
    let input_id = format!("quantity-{product}");
    let error_id = format!("quantity-{product}-error");
    view! {
        <li class="cart-line" class:invalid=move || problem.with(Option::is_some)>
            <input type="hidden" name=format!("items[{index}][product]") value=product.to_string()/>
            <div class="line-name">
                <span>{name}</span>
                <span class="sku">{move || item().map(|p| p.sku)}</span>
            </div>
            <div class="stepper">
                <button
                    type="submit" form="cart-edit" name="cart" class="step"
                    value=leads_to(cart::with_one_fewer)
                    disabled=move || { units() <= 1 }
                    aria-label=move || format!("One fewer {}", name())
                    on:click=move |ev| change(ev, cart::with_one_fewer)
                >"−"</button>
                <label class="visually-hidden" for=input_id.clone()>{move || format!("Quantity of {}", name())}</label>
                <input
                    id=input_id
                    class="quantity"
                    type="number"
                    inputmode="numeric"
                    min="1"
                    max=move || stock().max(1)
                    required
                    name=format!("items[{index}][quantity]")
                    // The attribute for the server's HTML, the property for later changes.
                    value=untrack(quantity)
                    prop:value=quantity
                    on:input=move |ev| {
                        let typed = event_target_value(&ev);
                        cart.update(|c| if let Some(line) = c.get_mut(index) { line.quantity = typed });
                    }
                    aria-invalid=move || problem.with(Option::is_some).to_string()
                    aria-describedby=error_id.clone()
                />
                <button
                    type="submit" form="cart-edit" name="cart" class="step"
                    value=leads_to(cart::with_one_more)
                    disabled=move || { units() >= stock() }
                    aria-label=move || format!("One more {}", name())
                    on:click=move |ev| change(ev, cart::with_one_more)
                >"+"</button>
            </div>
            <span class="line-total">
                {move || {
                    let line = cart.with(|c| c.get(index).cloned());
                    line.zip(item())
                        .and_then(|(line, p)| cart::line_total(&line, &p))
                        .map_or_else(|| "—".to_string(), cart::price)
                }}
            </span>
            <button
                type="submit" form="cart-edit" name="cart" class="link-button remove"
                value=leads_to(cart::without)
                aria-label=move || format!("Remove {}", name())
                on:click=move |ev| change(ev, cart::without)
            >"Remove"</button>
            <p class="field-error" id=error_id>{move || problem.get().map(|e| describe(&e))}</p>
        </li>
    }
}
