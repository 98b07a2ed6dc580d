//! The order list's query — status, text, customer, dates, page — read and
//! checked in one place for the REST API, the server functions and the
//! admin page, so a malformed value is the same error everywhere.

use super::{shop_time, AppError, Id, OrderFilter, OrderStatus, Page, Timestamp};
use serde::{Deserialize, Serialize};

/// The order list's query string; every field is checked and named on error.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct OrdersQuery {
    /// PENDING, PAID, FULFILLED or CANCELLED.
    pub status: Option<String>,
    /// UNPAID, PAID, PARTIALLY_REFUNDED or REFUNDED.
    #[serde(rename = "paymentStatus")]
    pub payment_status: Option<String>,
    /// UNFULFILLED, PARTIALLY_FULFILLED or FULFILLED.
    #[serde(rename = "fulfillmentStatus")]
    pub fulfillment_status: Option<String>,
    /// An order number, or part of a customer's name or email.
    pub q: Option<String>,
    /// Only this customer's orders (an id).
    pub customer: Option<String>,
    /// Placed at or after: `YYYY-MM-DD` (from the start of that day in the
    /// shop's time zone) or an RFC 3339 date-time.
    pub from: Option<String>,
    /// Placed to: `YYYY-MM-DD` takes in that whole day (in the shop's time
    /// zone), so a range from and to the same day finds that day's orders;
    /// an RFC 3339 date-time is an exclusive bound ("placed before").
    pub to: Option<String>,
    /// `newest` (the default) or `oldest` first.
    pub sort: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<String>,
    /// The `cursor` of the `Link: rel="next"` header of the previous page.
    pub cursor: Option<String>,
}

impl OrdersQuery {
    pub fn filter(&self) -> Result<OrderFilter, AppError> {
        // A day is the shop's calendar day: from its first instant, to the
        // first instant of the next (so "to" takes in the whole day). An
        // RFC 3339 date-time is the instant it says.
        let time = |field: &str, v: &Option<String>, day_bound: fn(i64, u32, u32) -> Timestamp| {
            let Some(text) = v.as_deref().filter(|v| !v.is_empty()) else {
                return Ok(None);
            };
            let at: Timestamp = text.parse().map_err(|_| {
                AppError::invalid(field, "must be YYYY-MM-DD or an RFC 3339 date-time")
            })?;
            let date_only = text.len() == "YYYY-MM-DD".len();
            Ok(Some(if date_only {
                let (y, m, d) = at.date();
                day_bound(y, m, d)
            } else {
                at
            }))
        };
        Ok(OrderFilter {
            status: self
                .status
                .as_deref()
                .filter(|v| !v.is_empty())
                .map(|v| {
                    v.parse::<OrderStatus>().map_err(|_| {
                        AppError::invalid("status", "must be PENDING, PAID, FULFILLED or CANCELLED")
                    })
                })
                .transpose()?,
            payment_status: parse_param(
                "paymentStatus",
                &self.payment_status,
                "must be UNPAID, PAID, PARTIALLY_REFUNDED or REFUNDED",
            )?,
            fulfillment_status: parse_param(
                "fulfillmentStatus",
                &self.fulfillment_status,
                "must be UNFULFILLED, PARTIALLY_FULFILLED or FULFILLED",
            )?,
            q: self.q.clone().filter(|q| !q.trim().is_empty()),
            oldest_first: match self.sort.as_deref().unwrap_or_default() {
                "" | "newest" => false,
                "oldest" => true,
                _ => return Err(AppError::invalid("sort", "must be newest or oldest")),
            },
            customer: parse_id_param("customer", &self.customer)?,
            from: time("from", &self.from, shop_time::day_starts)?,
            to: time("to", &self.to, shop_time::next_day_starts)?,
        })
    }

    pub fn page(&self) -> Result<Page, AppError> {
        Page::parse(&self.limit, &self.cursor)
    }

    /// The query as a page's address has it, parameter by parameter.
    pub fn from_params(param: impl Fn(&str) -> Option<String>) -> OrdersQuery {
        OrdersQuery {
            status: param("status"),
            payment_status: param("paymentStatus"),
            fulfillment_status: param("fulfillmentStatus"),
            q: param("q"),
            customer: param("customer"),
            from: param("from"),
            to: param("to"),
            sort: param("sort"),
            limit: param("limit"),
            cursor: param("cursor"),
        }
    }
}

/// A query parameter naming one of an enum's wire values, blank as absent.
fn parse_param<T: std::str::FromStr>(
    field: &str,
    value: &Option<String>,
    message: &str,
) -> Result<Option<T>, AppError> {
    value
        .as_deref()
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<T>()
                .map_err(|_| AppError::invalid(field, message))
        })
        .transpose()
}

impl Page {
    /// The page a list's `limit` (1–200, default 50) and `cursor` (the last
    /// id of the previous page) parameters ask for.
    pub fn parse(limit: &Option<String>, cursor: &Option<String>) -> Result<Page, AppError> {
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
}

/// An optional id parameter; a malformed one is a 422 naming `field`.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn between(from: &str, to: &str) -> OrderFilter {
        OrdersQuery {
            from: Some(from.into()),
            to: Some(to.into()),
            ..Default::default()
        }
        .filter()
        .unwrap()
    }

    fn at(text: &str) -> Option<Timestamp> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn a_range_of_dates_takes_in_the_whole_last_day() {
        let same_day = between("2026-11-30", "2026-11-30");
        assert_eq!(same_day.from, at("2026-11-30T00:00:00Z"));
        assert_eq!(same_day.to, at("2026-12-01T00:00:00Z"));
        // An instant stays the exclusive bound it says.
        let until_noon = between("2026-11-30", "2026-11-30T12:00:00Z");
        assert_eq!(until_noon.to, at("2026-11-30T12:00:00Z"));
    }
}
