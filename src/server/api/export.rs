//! `GET /api/orders/export.csv`: every order the filter matches (not just one
//! page), streamed in batches as the store pages through them, so an export
//! of any size holds one batch in memory.

use super::error::{ApiResult, ErrorBody};
use super::extract::ApiQuery;
use crate::domain::OrdersQuery;
use crate::domain::{Order, OrderFilter, Page};
use crate::server::auth::{door, May};
use crate::server::http::AppState;
use crate::server::service::Service;
use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::StreamExt;

const BATCH: u32 = 500;
const HEADER: &str =
    "number,id,placed_at,status,customer,email,phone,items,total,payment_received,updated_at\r\n";

pub fn router() -> Router<AppState> {
    Router::new().route("/api/orders/export.csv", get(export_orders))
}

/// Export orders as CSV (admins); takes the order list's filters.
#[utoipa::path(get, path = "/api/orders/export.csv", tag = "orders", params(OrdersQuery),
    responses((status = 200, description = "RFC 4180 CSV, newest first", content_type = "text/csv"),
              (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_orders(
    _: May<door::SeeReports>,
    State(service): State<Service>,
    ApiQuery(query): ApiQuery<OrdersQuery>,
) -> ApiResult<Response> {
    let filter = query.filter()?;
    let first = service
        .orders(
            &filter,
            Page {
                limit: BATCH,
                before: None,
            },
        )
        .await?;
    // Fused: a body wrapper (compression) may poll once more after the end.
    let batches = StreamExt::fuse(futures_util::stream::unfold(
        Some((service, filter, first, true)),
        next_batch,
    ));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"igniflo-orders.csv\"",
            ),
        ],
        Body::from_stream(batches),
    )
        .into_response())
}

type ExportState = Option<(Service, OrderFilter, Vec<Order>, bool)>;

/// Writes one batch and fetches the next; a store failure mid-way ends the
/// stream (the client sees a truncated download, never a wrong row).
async fn next_batch(state: ExportState) -> Option<(Result<String, std::io::Error>, ExportState)> {
    let (service, filter, orders, first) = state?;
    let mut text = if first {
        HEADER.to_string()
    } else {
        String::new()
    };
    if orders.is_empty() && !first {
        return None;
    }
    for order in &orders {
        text.push_str(&csv_row(order));
    }
    let next = match orders.last() {
        Some(last) if orders.len() == BATCH as usize => {
            match service
                .orders(
                    &filter,
                    Page {
                        limit: BATCH,
                        before: Some(last.id),
                    },
                )
                .await
            {
                Ok(more) => Some((service, filter, more, false)),
                Err(e) => return Some((Err(std::io::Error::other(e.to_string())), None)),
            }
        }
        _ => None,
    };
    Some((Ok(text), next))
}

fn csv_row(order: &Order) -> String {
    let items: Vec<String> = order
        .items
        .iter()
        .map(|l| format!("{} x {}", l.quantity, l.sku))
        .collect();
    let fields = [
        order.number.clone(),
        order.id.to_string(),
        order.created_at.to_string(),
        order.status.to_string(),
        order.customer.name.clone(),
        order.customer.email.clone(),
        order.customer.phone.clone(),
        items.join("; "),
        order.total.to_string(),
        order.payment_received.to_string(),
        order.updated_at.to_string(),
    ];
    let mut row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>();
    let last = row.len() - 1;
    row[last].push_str("\r\n");
    row.join(",")
}

/// RFC 4180 quoting, and a leading `'` on text a spreadsheet would run as a
/// formula (`=`, `+`, `-`, `@`): customer names are user input.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("Lovelace, Ada"), "\"Lovelace, Ada\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("+44 20"), "'+44 20");
    }
}
