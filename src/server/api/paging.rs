//! Pages of a list, the same way for every list: `limit` (1–200, default
//! 50) and a `cursor` (the last id of the previous page), with the next
//! page's address in a `Link: <…>; rel="next"` header.

use crate::domain::{AppError, Id, Page};
use axum::http::{header, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// The page a list's `limit` and `cursor` parameters ask for.
pub fn page(limit: &Option<String>, cursor: &Option<String>) -> Result<Page, AppError> {
    let limit = match limit.as_deref().filter(|v| !v.is_empty()) {
        None => Page::DEFAULT_LIMIT,
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=Page::MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                AppError::invalid(
                    "limit",
                    format!("must be a whole number from 1 to {}", Page::MAX_LIMIT),
                )
            })?,
    };
    Ok(Page {
        limit,
        before: parse_id_param("cursor", cursor)?,
    })
}

pub fn parse_id_param(field: &str, value: &Option<String>) -> Result<Option<Id>, AppError> {
    value
        .as_deref()
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse()
                .map_err(|_| AppError::invalid(field, "must be an id"))
        })
        .transpose()
}

/// One page as a JSON array; when it is full, `Link` points at the next.
pub fn paged<T: Serialize>(items: Vec<T>, page: Page, uri: &Uri, id_of: fn(&T) -> Id) -> Response {
    let next = (items.len() == page.limit as usize)
        .then(|| items.last().map(id_of))
        .flatten();
    let mut response = Json(items).into_response();
    // The link echoes the client's query (percent-encoded); should it still
    // not make a header, the page goes out without one rather than failing.
    if let Some(link) = next.and_then(|last| HeaderValue::from_str(&next_page_link(uri, last)).ok())
    {
        response.headers_mut().insert(header::LINK, link);
    }
    response
}

/// The same query with `cursor` set to the last id of this page.
fn next_page_link(uri: &Uri, last: Id) -> String {
    let mut pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(uri.query().unwrap_or_default()).unwrap_or_default();
    pairs.retain(|(k, _)| k != "cursor");
    pairs.push(("cursor".into(), last.to_string()));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("<{}?{query}>; rel=\"next\"", uri.path())
}
