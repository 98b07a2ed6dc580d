//! The record a page names, looked up before the page renders so its title
//! is in the head the server sends (leptos streams the head before a
//! screen's data has loaded). The lookup asks for what the screen's own data
//! asks for: a title says nothing the screen would not show its caller.

use crate::domain::{Id, Permission};
use crate::pages::titles::{self, RecordTitle};
use crate::server::auth::Caller;
use crate::server::http::AppState;
use axum::extract::{Request, State};
use axum::http::{Method, Uri};
use axum::middleware::Next;
use axum::response::Response;

pub async fn name_the_record(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    if request.method() == Method::GET {
        // The console's pages come through `guard_admin_pages`, which left
        // the staff caller in the request.
        let caller = request.extensions().get::<Caller>().cloned();
        if let Some(title) = record_title(&state, request.uri(), caller).await {
            request.extensions_mut().insert(RecordTitle(title));
        }
    }
    next.run(request).await
}

async fn record_title(state: &AppState, uri: &Uri, caller: Option<Caller>) -> Option<String> {
    let service = &state.service;
    let path: Vec<&str> = uri.path().trim_matches('/').split('/').collect();
    let staff_may = |permission| {
        caller
            .as_ref()
            .is_some_and(|caller| caller.may(permission).is_ok())
    };
    let id = |text: &str| text.parse::<Id>().ok();
    match path.as_slice() {
        ["track"] => {
            // The token the page follows: the last one given, if not blank.
            let query = uri.query()?;
            let (_, token) = serde_urlencoded::from_str::<Vec<(String, String)>>(query)
                .ok()?
                .into_iter()
                .rev()
                .find(|(key, _)| key == "token")
                .filter(|(_, token)| !token.trim().is_empty())?;
            let order = service.tracked_order(&token).await.ok()?;
            Some(titles::tracked_order(&order.number))
        }
        ["admin", "orders", order, screen @ ..] if staff_may(Permission::SeeOrders) => {
            let title = match screen {
                [] => titles::order,
                ["cancel"] => titles::cancel_order,
                ["packing-slip"] => titles::packing_slip,
                _ => return None,
            };
            Some(title(&service.order(id(order)?).await.ok()?.number))
        }
        ["admin", "products", product, "stock"] if staff_may(Permission::SeeStock) => Some(
            titles::stock_history(&service.product(id(product)?).await.ok()?.name),
        ),
        ["admin", "webhooks", endpoint] if staff_may(Permission::ManageWebhooks) => {
            let endpoint = service.webhook_endpoint(id(endpoint)?).await.ok()?;
            Some(titles::webhook_deliveries(&endpoint.url))
        }
        _ => None,
    }
}
