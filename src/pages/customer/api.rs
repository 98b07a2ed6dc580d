//! The customer pages' server functions: thin adapters over the service,
//! like the REST routes, with the same status codes. Anyone may call them;
//! what they reveal is what the REST API reveals to an anonymous caller.
//!
//! The two forms (checkout, find an order) also work before the page is
//! hydrated: the browser then posts them itself, so success redirects to the
//! tracking page and a failure redirects back to the form's page with the
//! error in the address, where `ServerAction` picks it up and the page shows
//! it in place.
//!
//! Tracking tokens travel in query strings (`/track?token=…`), never in
//! paths: the access log records paths only, and `Referrer-Policy:
//! same-origin` keeps the address from other sites.

use super::cart::CartLine;
use crate::domain::{Address, AppError, Order, Product};
use leptos::prelude::*;

/// The catalogue, sorted by name, out-of-stock products included.
#[server(prefix = "/api/fn", endpoint = "catalogue", output = crate::pages::wire::Json)]
pub async fn catalogue() -> Result<Vec<Product>, AppError> {
    use crate::server::server_fns::{answer, service};
    answer(service().products(None, false).await)
}

/// Places the shopper's order (see `Service::checkout`), then goes to its
/// tracking page. Form fields: `name`, `email`, `phone`, the delivery
/// address as `address[name]`, `address[line1]`, … (`Address`'s fields),
/// `items[i][product]`, `items[i][quantity]`, and `attempt`, the form's
/// idempotency key.
#[server(prefix = "/api/fn", endpoint = "checkout", output = crate::pages::wire::Json)]
pub async fn checkout(
    name: String,
    email: String,
    phone: String,
    #[server(default)] address: Address,
    #[server(default)] items: Vec<CartLine>,
    #[server(default)] attempt: String,
) -> Result<(), AppError> {
    use super::cart::cart_param;
    use crate::domain::NewCustomer;
    use crate::server::http::AppState;
    use crate::server::server_fns::form_failure;
    use leptos::server_fn::ServerFn;
    let state = expect_context::<AppState>();
    let placed = async {
        let lines = items
            .iter()
            .enumerate()
            .map(|(i, line)| line.order_line(i))
            .collect::<Result<Vec<_>, _>>()?;
        let customer = NewCustomer {
            name: name.clone(),
            email: email.clone(),
            phone: phone.clone(),
        };
        let attempt = Some(attempt).filter(|key| !key.is_empty());
        state
            .service
            .checkout(customer, address.clone(), lines, attempt)
            .await
    }
    .await;
    match placed {
        Ok(placed) => {
            leptos_axum::redirect(&format!("/track?token={}&placed=1", placed.tracking_token));
            Ok(())
        }
        Err(e) => {
            // Back to the form as it was sent. The address is the shopper's
            // own: the access log and other sites (same-origin referrers) never see it.
            let optional = |v: &Option<String>| v.clone().unwrap_or_default();
            let form = serde_urlencoded::to_string([
                ("cart", cart_param(&items).as_str()),
                ("name", &name),
                ("email", &email),
                ("phone", &phone),
                ("address[name]", &address.name),
                ("address[line1]", &address.line1),
                ("address[line2]", &optional(&address.line2)),
                ("address[city]", &address.city),
                ("address[region]", &optional(&address.region)),
                ("address[postalCode]", &address.postal_code),
                ("address[country]", &address.country),
            ])
            .unwrap_or_default();
            form_failure(&format!("/?{form}#checkout"), Checkout::PATH, e)
        }
    }
}

/// The order this tracking token was issued for, as its customer sees it.
/// The token goes in the body, not the address.
#[server(prefix = "/api/fn", endpoint = "tracked_order", output = crate::pages::wire::Json)]
pub async fn tracked_order(token: String) -> Result<Order, AppError> {
    use crate::server::http::AppState;
    use crate::server::server_fns::answer;
    let state = expect_context::<AppState>();
    answer(state.service.tracked_order(&token).await)
}

/// How the shop takes payment (`IGNIFLO_PAYMENT_INSTRUCTIONS`), if it says.
#[server(prefix = "/api/fn", endpoint = "payment_instructions", output = crate::pages::wire::Json)]
pub async fn payment_instructions() -> Result<Option<String>, AppError> {
    use crate::server::http::AppState;
    Ok(expect_context::<AppState>()
        .payment_instructions
        .as_deref()
        .map(String::from))
}

/// The country the checkout's delivery address starts with
/// (`IGNIFLO_DEFAULT_COUNTRY`).
#[server(prefix = "/api/fn", endpoint = "default_country", output = crate::pages::wire::Json)]
pub async fn default_country() -> Result<String, AppError> {
    use crate::server::http::AppState;
    Ok(expect_context::<AppState>().default_country.to_string())
}

/// Finds an order by its number and the customer's email and goes to its
/// tracking page with a newly issued link (see
/// `Service::reissue_tracking_token`).
#[server(prefix = "/api/fn", endpoint = "find_order", output = crate::pages::wire::Json)]
pub async fn find_order(number: String, email: String) -> Result<(), AppError> {
    use crate::server::http::AppState;
    use crate::server::server_fns::form_failure;
    use leptos::server_fn::ServerFn;
    let state = expect_context::<AppState>();
    match state.service.reissue_tracking_token(&number, &email).await {
        Ok(found) => {
            leptos_axum::redirect(&format!("/track?token={}", found.tracking_token));
            Ok(())
        }
        Err(e) => form_failure("/track", FindOrder::PATH, e),
    }
}
