//! Pages of a list, the same way for every list: `limit` and `cursor` read
//! by `Page::parse`, the next page's address in a `Link: <…>; rel="next"`
//! header.

use crate::domain::{AppError, Id, Page};
use axum::http::{header, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

/// A list's page in a query string.
#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1–200 (default 50).
    limit: Option<String>,
    /// The `cursor` of the `Link: rel="next"` header of the previous page.
    cursor: Option<String>,
}

impl PageQuery {
    pub fn page(&self) -> Result<Page, AppError> {
        Page::parse(&self.limit, &self.cursor)
    }
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
