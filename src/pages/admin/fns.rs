//! The admin console's server functions. Each one asks who is calling (the
//! same rules as the REST routes: a signed-in admin, changes only from our
//! own origin), then calls the same service function as its REST twin.

use crate::domain::webhook::{Delivery, WebhookEndpoint, WebhookWithSecret};
use crate::domain::{
    AppError, Customer, Dashboard, Order, OrderStatus, OrdersQuery, Product, StockMovement,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::domain::Permission;
#[cfg(feature = "ssr")]
use crate::server::server_fns::as_staff;

/// One page of the order list; the arguments are the list's query string.
#[server(prefix = "/api/fn", endpoint = "admin_orders", output = crate::pages::wire::Json)]
pub async fn admin_orders(#[server(default)] query: OrdersQuery) -> Result<Vec<Order>, AppError> {
    as_staff(Permission::SeeOrders, |service, _| async move {
        let query = OrdersQuery {
            limit: None,
            ..query
        };
        service.orders(&query.filter()?, query.page()?).await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "admin_order", output = crate::pages::wire::Json)]
pub async fn admin_order(id: String) -> Result<Order, AppError> {
    as_staff(Permission::SeeOrders, |service, _| async move {
        let id = id.parse().map_err(|_| AppError::not_found("order", &id))?;
        service.order(id).await
    })
    .await
}

/// Moves an order from the console: the buttons of the order list and the
/// order page, and the cancel confirmation (`reason` goes into the status
/// history). A browser that posted the form itself is sent on to `back`, a
/// console page (the list or the order), with the error if it failed.
#[server(prefix = "/api/fn", endpoint = "move_order", output = crate::pages::wire::Json)]
pub async fn move_order(
    id: String,
    status: OrderStatus,
    reason: Option<String>,
    back: Option<String>,
) -> Result<Order, AppError> {
    use crate::domain::StatusUpdate;
    use crate::server::server_fns::{form_failure, form_success};
    use leptos::server_fn::ServerFn;
    // Only console pages: a form must not send the browser elsewhere.
    let back = back
        .filter(|b| b.starts_with("/admin") && !b.contains("//"))
        .unwrap_or_else(|| "/admin".into());
    let moved = as_staff(Permission::SeeOrders, |service, staff| async move {
        let id = id.parse().map_err(|_| AppError::not_found("order", &id))?;
        if !staff.role.may(Permission::to_move_to(status)) {
            return Err(AppError::Forbidden);
        }
        service
            .change_status(id, StatusUpdate { status, reason }, staff.actor)
            .await
    })
    .await;
    match moved {
        Ok(order) => {
            form_success(&back);
            Ok(order)
        }
        Err(e) => form_failure(&back, MoveOrder::PATH, e),
    }
}

#[server(prefix = "/api/fn", endpoint = "admin_products", output = crate::pages::wire::Json)]
pub async fn admin_products() -> Result<Vec<Product>, AppError> {
    as_staff(Permission::SeeStock, |service, _| async move {
        service.products(None, false).await
    })
    .await
}

/// Adds a product from the products screen's form (prices as typed, e.g. `12.50`).
#[server(prefix = "/api/fn", endpoint = "add_product", output = crate::pages::wire::Json)]
pub async fn add_product(
    name: String,
    sku: String,
    stock: String,
    price: String,
) -> Result<Product, AppError> {
    use crate::domain::NewProduct;
    as_staff(Permission::ManageCatalogue, |service, staff| async move {
        let stock = stock
            .trim()
            .parse()
            .map_err(|_| AppError::invalid("stock", "must be a whole number"))?;
        let price = parse_price(&price)?;
        service
            .add_product(
                NewProduct {
                    name,
                    sku,
                    stock,
                    price,
                    low_stock_threshold: None,
                },
                staff.actor,
            )
            .await
    })
    .await
}

/// Changes a product from its row on the products screen; empty fields
/// stay as they are. `stock_adjustment` is relative (`-3`, `+10`).
#[server(prefix = "/api/fn", endpoint = "update_product", output = crate::pages::wire::Json)]
pub async fn update_product(
    id: String,
    name: Option<String>,
    price: Option<String>,
    stock_adjustment: Option<String>,
) -> Result<Product, AppError> {
    use crate::domain::ProductUpdate;
    as_staff(Permission::ManageCatalogue, |service, staff| async move {
        let id = id
            .parse()
            .map_err(|_| AppError::not_found("product", &id))?;
        let given = |v: Option<String>| v.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let stock_adjustment = given(stock_adjustment)
            .map(|v| v.trim_start_matches('+').parse::<i64>())
            .transpose()
            .map_err(|_| {
                AppError::invalid("stockAdjustment", "must be a whole number like -3 or +10")
            })?;
        let update = ProductUpdate {
            name: given(name),
            price: given(price).map(|p| parse_price(&p)).transpose()?,
            stock: None,
            stock_adjustment,
            low_stock_threshold: None,
        };
        service.update_product(id, update, staff.actor).await
    })
    .await
}

/// A product and the newest entries of its stock ledger.
#[server(prefix = "/api/fn", endpoint = "admin_stock_history", output = crate::pages::wire::Json)]
pub async fn admin_stock_history(id: String) -> Result<StockHistory, AppError> {
    use crate::domain::Page;
    as_staff(Permission::SeeStock, |service, _| async move {
        let id = id
            .parse()
            .map_err(|_| AppError::not_found("product", &id))?;
        let page = Page {
            limit: Page::MAX_LIMIT,
            before: None,
        };
        let (product, movements) =
            futures_util::try_join!(service.product(id), service.movements(id, page))?;
        Ok(StockHistory { product, movements })
    })
    .await
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StockHistory {
    pub product: Product,
    /// Newest first; the REST API pages further back.
    pub movements: Vec<StockMovement>,
}

#[server(prefix = "/api/fn", endpoint = "admin_customers", output = crate::pages::wire::Json)]
pub async fn admin_customers(q: Option<String>) -> Result<Vec<Customer>, AppError> {
    use crate::domain::Page;
    as_staff(Permission::SeeCustomers, |service, _| async move {
        let page = Page {
            limit: Page::MAX_LIMIT,
            before: None,
        };
        service.customers(q.as_deref(), page).await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "admin_dashboard", output = crate::pages::wire::Json)]
pub async fn admin_dashboard() -> Result<Dashboard, AppError> {
    as_staff(Permission::SeeReports, |service, _| async move {
        service.dashboard(crate::domain::Timestamp::now()).await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "admin_webhooks", output = crate::pages::wire::Json)]
pub async fn admin_webhooks() -> Result<Vec<WebhookEndpoint>, AppError> {
    as_staff(Permission::ManageWebhooks, |service, _| async move {
        service.webhook_endpoints().await
    })
    .await
}

/// Subscribes a URL from the webhooks screen; the answer shows the secret.
#[server(prefix = "/api/fn", endpoint = "add_webhook", output = crate::pages::wire::Json)]
pub async fn add_webhook(
    url: String,
    #[server(default)] events: Vec<String>,
    description: Option<String>,
) -> Result<WebhookWithSecret, AppError> {
    use crate::domain::webhook::NewWebhook;
    as_staff(Permission::ManageWebhooks, |service, _| async move {
        service
            .add_webhook(NewWebhook {
                url,
                events,
                description,
            })
            .await
    })
    .await
}

/// What a button of an endpoint's row does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndpointAction {
    Ping,
    SwitchOn,
    SwitchOff,
    RotateSecret,
    Delete,
}

/// One of an endpoint's buttons. A rotated secret comes back to be shown
/// once; a browser that posted the form itself is sent back to the list.
#[server(prefix = "/api/fn", endpoint = "webhook_action", output = crate::pages::wire::Json)]
pub async fn webhook_action(
    id: String,
    action: EndpointAction,
) -> Result<Option<WebhookWithSecret>, AppError> {
    use crate::domain::webhook::WebhookPatch;
    use crate::server::server_fns::{form_failure, form_success};
    use leptos::server_fn::ServerFn;
    let done = as_staff(Permission::ManageWebhooks, |service, _| async move {
        let id = id
            .parse()
            .map_err(|_| AppError::not_found("webhook", &id))?;
        let switch = |active| WebhookPatch {
            active: Some(active),
            ..Default::default()
        };
        match action {
            EndpointAction::Ping => service.ping_webhook(id).await.map(|_| None),
            EndpointAction::SwitchOn => {
                service.change_webhook(id, switch(true)).await.map(|_| None)
            }
            EndpointAction::SwitchOff => service
                .change_webhook(id, switch(false))
                .await
                .map(|_| None),
            EndpointAction::RotateSecret => service.rotate_webhook_secret(id).await.map(Some),
            EndpointAction::Delete => service.delete_webhook(id).await.map(|_| None),
        }
    })
    .await;
    match done {
        Ok(answer) => {
            form_success("/admin/webhooks");
            Ok(answer)
        }
        Err(e) => form_failure("/admin/webhooks", WebhookAction::PATH, e),
    }
}

/// An endpoint and its newest deliveries, with every attempt.
#[server(prefix = "/api/fn", endpoint = "admin_webhook_deliveries", output = crate::pages::wire::Json)]
pub async fn admin_webhook_deliveries(id: String) -> Result<WebhookDeliveries, AppError> {
    use crate::domain::Page;
    as_staff(Permission::ManageWebhooks, |service, _| async move {
        let id = id
            .parse()
            .map_err(|_| AppError::not_found("webhook", &id))?;
        let page = Page {
            limit: Page::MAX_LIMIT,
            before: None,
        };
        let (endpoint, deliveries) = service.webhook_deliveries(id, page).await?;
        Ok(WebhookDeliveries {
            endpoint,
            deliveries,
        })
    })
    .await
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WebhookDeliveries {
    pub endpoint: WebhookEndpoint,
    /// Newest first; the REST API pages further back.
    pub deliveries: Vec<Delivery>,
}

/// Sends a delivery again, from the endpoint's deliveries screen.
#[server(prefix = "/api/fn", endpoint = "redeliver_webhook", output = crate::pages::wire::Json)]
pub async fn redeliver_webhook(id: String, delivery: String) -> Result<(), AppError> {
    use crate::server::server_fns::{form_failure, form_success};
    use leptos::server_fn::ServerFn;
    let endpoint: Result<crate::domain::Id, _> = id.parse();
    // Only this endpoint's own page: a form must not send the browser elsewhere.
    let back = endpoint
        .as_ref()
        .map_or("/admin/webhooks".to_string(), |id| {
            format!("/admin/webhooks/{id}")
        });
    let done = as_staff(Permission::ManageWebhooks, |service, _| async move {
        let id = endpoint.map_err(|_| AppError::not_found("webhook", &id))?;
        let delivery = delivery
            .parse()
            .map_err(|_| AppError::not_found("delivery", &delivery))?;
        service.redeliver(id, delivery).await
    })
    .await;
    match done {
        Ok(()) => {
            form_success(&back);
            Ok(())
        }
        Err(e) => form_failure(&back, RedeliverWebhook::PATH, e),
    }
}

/// A price as an admin types it: `12`, `12.5`, `12.50`, or with a decimal
/// comma, `34,90`.
#[cfg(feature = "ssr")]
fn parse_price(text: &str) -> Result<crate::domain::Money, AppError> {
    let text = text.trim();
    let text = if text.contains('.') {
        text.to_string()
    } else {
        text.replacen(',', ".", 1)
    };
    let value: f64 = text
        .parse()
        .map_err(|_| AppError::invalid("price", "must be a number like 12.50"))?;
    crate::domain::Money::from_decimal(value).map_err(|reason| AppError::invalid("price", reason))
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::parse_price;
    use crate::domain::Money;

    #[test]
    fn prices_take_a_decimal_point_or_comma() {
        for typed in ["34.90", "34,90", " 34,9 "] {
            assert_eq!(
                parse_price(typed).unwrap(),
                Money::from_cents(3490),
                "{typed}"
            );
        }
        for typed in ["34,90,1", "1,234.50", "abc", ""] {
            assert!(parse_price(typed).is_err(), "{typed}");
        }
    }
}
