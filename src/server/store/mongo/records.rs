//! Whole records in and out of MongoDB, for `igniflo migrate`.

use super::docs::{oid, CustomerDoc, OrderDoc, ProductDoc};
use super::errors::{db_error, duplicate_field};
use super::MongoStore;
use crate::domain::{AppError, Id};
use crate::server::store::records::{Kind, Record, Records};
use crate::server::store::StoreResult;
use async_trait::async_trait;
use bson::{doc, Document};
use mongodb::Collection;
use serde::de::DeserializeOwned;
use serde::Serialize;

impl MongoStore {
    /// Up to `limit` documents with ids above `after`, in id order.
    async fn page<T>(
        &self,
        of: &Collection<T>,
        after: Option<Id>,
        limit: u32,
    ) -> StoreResult<Vec<T>>
    where
        T: DeserializeOwned + Send + Sync + Unpin,
    {
        let query = match after {
            Some(after) => doc! { "_id": { "$gt": oid(after) } },
            None => Document::new(),
        };
        super::queries::collect(
            of.find(query)
                .sort(doc! { "_id": 1 })
                .limit(i64::from(limit))
                .await,
        )
        .await
    }

    async fn insert_all<T>(&self, into: &Collection<T>, docs: Vec<T>) -> StoreResult<()>
    where
        T: Serialize + Send + Sync,
    {
        if docs.is_empty() {
            return Ok(());
        }
        match into.insert_many(docs).await {
            Ok(_) => Ok(()),
            Err(e) => Err(match duplicate_field(&e) {
                Some(field) => AppError::Duplicate {
                    field: field.into(),
                    value: format!("one of the {} being imported", into.name()),
                },
                None => db_error(e),
            }),
        }
    }
}

#[async_trait]
impl Records for MongoStore {
    async fn count(&self, kind: Kind) -> StoreResult<u64> {
        self.ready().await?;
        let counted = match kind {
            Kind::Customers => self.customers.count_documents(doc! {}).await,
            Kind::Products => self.products.count_documents(doc! {}).await,
            Kind::Orders => self.orders.count_documents(doc! {}).await,
        };
        counted.map_err(db_error)
    }

    async fn export(&self, kind: Kind, after: Option<Id>, limit: u32) -> StoreResult<Vec<Record>> {
        self.ready().await?;
        Ok(match kind {
            Kind::Customers => self
                .page(&self.customers, after, limit)
                .await?
                .into_iter()
                .map(|c| Record::Customer(c.into()))
                .collect(),
            Kind::Products => self
                .page(&self.products, after, limit)
                .await?
                .into_iter()
                .map(|p| Record::Product(p.into()))
                .collect(),
            Kind::Orders => self
                .page(&self.orders, after, limit)
                .await?
                .into_iter()
                .map(|o| Record::Order(o.into()))
                .collect(),
        })
    }

    async fn import(&self, records: Vec<Record>) -> StoreResult<()> {
        self.ready().await?;
        let (mut customers, mut products, mut orders) = (Vec::new(), Vec::new(), Vec::new());
        for record in &records {
            match record {
                Record::Customer(c) => customers.push(CustomerDoc::from(c)),
                Record::Product(p) => products.push(ProductDoc::from(p)),
                Record::Order(o) => orders.push(OrderDoc::from(o)),
            }
        }
        self.insert_all(&self.customers, customers).await?;
        self.insert_all(&self.products, products).await?;
        self.insert_all(&self.orders, orders).await
    }

    async fn clear(&self) -> StoreResult<()> {
        self.ready().await?;
        self.orders.delete_many(doc! {}).await.map_err(db_error)?;
        self.products.delete_many(doc! {}).await.map_err(db_error)?;
        self.customers
            .delete_many(doc! {})
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
