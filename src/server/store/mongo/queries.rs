//! Reads: orders populated with their customers and products (one `$in`
//! query per collection, whatever the number of orders), the order list's
//! filter, and the helpers every read shares.

use super::docs::{date, id, oid, CustomerDoc, OrderDoc, ProductDoc};
use super::errors::db_error;
use super::MongoStore;
use crate::domain::{AppError, Customer, Id, Order, OrderFilter, Product};
use crate::server::store::records::{referenced_ids, StoredOrder};
use crate::server::store::StoreResult;
use bson::oid::ObjectId;
use bson::{doc, Document, Regex};
use futures_util::TryStreamExt;
use std::collections::HashMap;

impl MongoStore {
    /// Fills in the orders' customers and products: one `$in` query per
    /// collection, run together, whatever the number of orders.
    pub(super) async fn populate(&self, docs: Vec<OrderDoc>) -> StoreResult<Vec<Order>> {
        if docs.is_empty() {
            return Ok(Vec::new());
        }
        let orders: Vec<StoredOrder> = docs.into_iter().map(StoredOrder::from).collect();
        let (customer_ids, product_ids) = referenced_ids(&orders);
        let (customers, products) = tokio::try_join!(
            self.customers_by_id(customer_ids),
            self.products_by_id(product_ids)
        )?;
        orders
            .into_iter()
            .map(|o| o.populate(&customers, &products))
            .collect()
    }

    async fn customers_by_id(&self, ids: Vec<Id>) -> StoreResult<HashMap<Id, Customer>> {
        let ids: Vec<ObjectId> = ids.into_iter().map(oid).collect();
        let found: Vec<CustomerDoc> =
            collect(self.customers.find(doc! { "_id": { "$in": ids } }).await).await?;
        Ok(found
            .into_iter()
            .map(|c| (id(c.id), Customer::from(c)))
            .collect())
    }

    async fn products_by_id(&self, ids: Vec<Id>) -> StoreResult<HashMap<Id, Product>> {
        let ids: Vec<ObjectId> = ids.into_iter().map(oid).collect();
        let found: Vec<ProductDoc> =
            collect(self.products.find(doc! { "_id": { "$in": ids } }).await).await?;
        Ok(found
            .into_iter()
            .map(|p| (id(p.id), Product::from(p)))
            .collect())
    }

    pub(super) async fn load_order(&self, filter: Document) -> StoreResult<Option<Order>> {
        self.ready().await?;
        match self.orders.find_one(filter).await.map_err(db_error)? {
            Some(doc) => Ok(self.populate(vec![doc]).await?.pop()),
            None => Ok(None),
        }
    }

    /// The query for an order filter. A text query matches the order number
    /// exactly or customers by name or email, which takes one query for the
    /// matching customers' ids.
    pub(super) async fn order_query(&self, filter: &OrderFilter) -> StoreResult<Document> {
        let mut query = Document::new();
        if let Some(status) = filter.status {
            query.insert("status", status.as_str());
        }
        if let Some(payment) = filter.payment_status {
            query.insert("paymentStatus", payment.as_str());
        }
        if let Some(fulfillment) = filter.fulfillment_status {
            query.insert("fulfillmentStatus", fulfillment.as_str());
        }
        if let Some(customer) = filter.customer {
            query.insert("customer", oid(customer));
        }
        let mut placed = Document::new();
        if let Some(from) = filter.from {
            placed.insert("$gte", date(from));
        }
        if let Some(to) = filter.to {
            placed.insert("$lt", date(to));
        }
        if !placed.is_empty() {
            query.insert("createdAt", placed);
        }
        if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            let pattern = contains(q);
            let matching: Vec<CustomerDoc> = collect(
                self.customers
                    .find(doc! { "$or": [{ "name": &pattern }, { "email": &pattern }] })
                    .await,
            )
            .await?;
            let ids: Vec<ObjectId> = matching.into_iter().map(|c| c.id).collect();
            query.insert(
                "$or",
                vec![
                    doc! { "number": q.to_ascii_uppercase() },
                    doc! { "customer": { "$in": ids } },
                ],
            );
        }
        Ok(query)
    }
}

/// A whole number from an aggregation, which sums to whichever integer type fits.
pub(super) fn whole(value: Option<&bson::Bson>) -> StoreResult<i64> {
    match value {
        Some(bson::Bson::Int32(n)) => Ok(i64::from(*n)),
        Some(bson::Bson::Int64(n)) => Ok(*n),
        _ => Err(AppError::Internal),
    }
}

/// A case-insensitive substring match with the text taken literally.
pub(super) fn contains(text: &str) -> Regex {
    let mut pattern = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if c.is_ascii_punctuation() {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    Regex {
        pattern,
        options: "i".into(),
    }
}

/// Drains a cursor into a vector.
pub(super) async fn collect<T>(
    cursor: mongodb::error::Result<mongodb::Cursor<T>>,
) -> StoreResult<Vec<T>>
where
    T: serde::de::DeserializeOwned + Send + Sync + Unpin,
{
    cursor
        .map_err(db_error)?
        .try_collect()
        .await
        .map_err(db_error)
}
