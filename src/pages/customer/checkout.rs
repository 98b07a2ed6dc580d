//! The cart and the checkout form. The browser runs the order engine's own
//! checks (`domain::validate`, the stock it last heard of) to show messages
//! as the shopper types; the server runs them again and its refusals are
//! shown beside the line or field they concern, with nothing typed lost.

use super::api::Checkout as PlaceOrder;
use super::cart::{self, CartLine};
use crate::components::random_key;
use crate::components::toast::use_toasts;
use crate::domain::{validate, AppError, Id, Product, COUNTRIES};
use leptos::ev::MouseEvent;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The customer's details and delivery address, as the checkout form
/// names them. The country is a select of its own (`CountrySelect`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Detail {
    Name,
    Email,
    Phone,
    Recipient,
    Line1,
    Line2,
    City,
    Region,
    PostalCode,
}

impl Detail {
    const CONTACT: [Detail; 3] = [Detail::Name, Detail::Email, Detail::Phone];
    const ADDRESS: [Detail; 6] = [
        Detail::Recipient,
        Detail::Line1,
        Detail::Line2,
        Detail::City,
        Detail::Region,
        Detail::PostalCode,
    ];

    /// The form field's name.
    fn field(self) -> &'static str {
        match self {
            Detail::Name => "name",
            Detail::Email => "email",
            Detail::Phone => "phone",
            Detail::Recipient => "address[name]",
            Detail::Line1 => "address[line1]",
            Detail::Line2 => "address[line2]",
            Detail::City => "address[city]",
            Detail::Region => "address[region]",
            Detail::PostalCode => "address[postalCode]",
        }
    }

    /// The input's id.
    fn id(self) -> &'static str {
        match self {
            Detail::Name => "name",
            Detail::Email => "email",
            Detail::Phone => "phone",
            Detail::Recipient => "address-name",
            Detail::Line1 => "address-line1",
            Detail::Line2 => "address-line2",
            Detail::City => "address-city",
            Detail::Region => "address-region",
            Detail::PostalCode => "address-postal-code",
        }
    }

    /// The field as the server's errors name it.
    fn error_field(self) -> &'static str {
        match self {
            Detail::Recipient => "shippingAddress.name",
            Detail::Line1 => "shippingAddress.line1",
            Detail::Line2 => "shippingAddress.line2",
            Detail::City => "shippingAddress.city",
            Detail::Region => "shippingAddress.region",
            Detail::PostalCode => "shippingAddress.postalCode",
            contact => contact.field(),
        }
    }

    fn label(self) -> &'static str {
        match self {
            Detail::Name => "Name",
            Detail::Email => "Email",
            Detail::Phone => "Phone",
            Detail::Recipient => "Recipient",
            Detail::Line1 => "Street and number",
            Detail::Line2 => "Apartment, floor (optional)",
            Detail::City => "City",
            Detail::Region => "State or region (optional)",
            Detail::PostalCode => "Postal code",
        }
    }

    fn required(self) -> bool {
        !matches!(self, Detail::Line2 | Detail::Region)
    }

    fn problem(self, value: &str) -> Option<AppError> {
        match self {
            Detail::Email => validate::email(value).err(),
            Detail::Phone => validate::phone(value).err(),
            Detail::Line2 | Detail::Region => {
                validate::optional_text(self.error_field(), Some(value), validate::MAX_NAME_CHARS)
                    .err()
            }
            required => validate::name(required.error_field(), value).err(),
        }
    }

    fn input(self) -> (&'static str, &'static str) {
        match self {
            Detail::Name => ("text", "name"),
            Detail::Email => ("email", "email"),
            Detail::Phone => ("tel", "tel"),
            Detail::Recipient => ("text", "shipping name"),
            Detail::Line1 => ("text", "shipping address-line1"),
            Detail::Line2 => ("text", "shipping address-line2"),
            Detail::City => ("text", "shipping address-level2"),
            Detail::Region => ("text", "shipping address-level1"),
            Detail::PostalCode => ("text", "shipping postal-code"),
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
                "shippingAddress.country" => "Country",
                f if f.ends_with(".quantity") => "Quantity",
                f if f.ends_with(".product") => "This product",
                f => Detail::ADDRESS
                    .iter()
                    .find(|d| d.error_field() == f)
                    .map_or(f, |d| d.label()),
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
    matches!(error, AppError::Invalid { field, .. } if field == detail.error_field())
}

const EMPTY_CART: &str = "Add at least one product to your cart.";

/// What to say about a refusal above the button: the reason itself when it
/// belongs to no single line or field, else a pointer to the highlighted ones.
fn general_message(error: &AppError) -> String {
    let specific = line_of(error).is_some()
        || Detail::CONTACT
            .iter()
            .chain(&Detail::ADDRESS)
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

#[component]
pub fn Checkout(
    products: RwSignal<Vec<Product>>,
    cart: RwSignal<Vec<CartLine>>,
    default_country: String,
) -> impl IntoView {
    let toasts = use_toasts();
    let place = ServerAction::<PlaceOrder>::new();
    // A refusal from the server, shown until the shopper changes something.
    let refusal = RwSignal::new(place.value().get_untracked().and_then(Result::err));
    // A form the server refused before hydration comes back in the address.
    let query = use_query_map();
    let sent = |field: &str| query.with_untracked(|q| q.get(field).unwrap_or_default());
    let contact = Detail::CONTACT.map(|d| (d, RwSignal::new(sent(d.field()))));
    let address = Detail::ADDRESS.map(|d| (d, RwSignal::new(sent(d.field()))));
    let details: Vec<(Detail, RwSignal<String>)> =
        contact.iter().chain(&address).copied().collect();
    let details = StoredValue::new(details);
    let country = Some(sent("address[country]"))
        .filter(|c| !c.is_empty())
        .unwrap_or(default_country);
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
        details.with_value(|d| d.iter().for_each(|(_, value)| value.track()));
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
            && details.with_value(|d| {
                d.iter()
                    .all(|(d, value)| value.with(|v| d.problem(v)).is_none())
            })
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
        let currency = products.with(|p| cart::currency(p));
        total.map_or_else(|| "—".to_string(), |t| currency.format(t))
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
                <input type="hidden" name="attempt" value=random_key()/>
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
                    {contact.map(|(detail, value)| detail_field(detail, value, refusal, attempted)).collect_view()}
                </fieldset>
                <fieldset class="details address-fields">
                    <legend>"Delivery address"</legend>
                    {address.map(|(detail, value)| detail_field(detail, value, refusal, attempted)).collect_view()}
                    <CountrySelect selected=country refusal/>
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

/// One detail's input with its message: what is wrong with what was typed
/// (once the shopper left the field or tried to order), or what the server
/// said about it.
fn detail_field(
    detail: Detail,
    value: RwSignal<String>,
    refusal: RwSignal<Option<AppError>>,
    attempted: RwSignal<bool>,
) -> impl IntoView {
    let touched = RwSignal::new(false);
    let message = Signal::derive(move || {
        let refused = refusal.get().filter(|e| is_about(e, detail));
        let problem = (touched.get() || attempted.get())
            .then(|| value.with(|v| detail.problem(v)))
            .flatten();
        problem.or(refused).map(|e| describe(&e))
    });
    view! { <DetailField detail value touched message/> }
}

/// The delivery country: every ISO 3166-1 country by name.
#[component]
fn CountrySelect(selected: String, refusal: RwSignal<Option<AppError>>) -> impl IntoView {
    let message = move || {
        refusal
            .get()
            .filter(|e| matches!(e, AppError::Invalid { field, .. } if field == "shippingAddress.country"))
            .map(|e| describe(&e))
    };
    view! {
        <div class="field">
            <label for="address-country">"Country"</label>
            <select id="address-country" name="address[country]" autocomplete="shipping country" aria-describedby="address-country-error">
                {COUNTRIES.iter().map(|(code, name)| view! {
                    <option value=*code selected=*code == selected>{*name}</option>
                }).collect_view()}
            </select>
            <p class="field-error" id="address-country-error">{message}</p>
        </div>
    }
}

#[component]
fn DetailField(
    detail: Detail,
    value: RwSignal<String>,
    touched: RwSignal<bool>,
    message: Signal<Option<String>>,
) -> impl IntoView {
    let id = detail.id();
    let error_id = format!("{id}-error");
    let (kind, autocomplete) = detail.input();
    view! {
        <div class="field">
            <label for=id>{detail.label()}</label>
            <input
                id=id
                name=detail.field()
                type=kind
                autocomplete=autocomplete
                required=detail.required()
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
                        .and_then(|(line, p)| Some(p.currency.format(cart::line_total(&line, &p)?)))
                        .unwrap_or_else(|| "—".to_string())
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
