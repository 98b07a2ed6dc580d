//! Whole records out of MongoDB, for `igniflo migrate` (records go in
//! through `apply`, like every other change).

use super::docs::oid;
use super::errors::db_error;
use super::MongoStore;
use crate::domain::Id;
use crate::server::store::records::{Kind, Record, Records};
use crate::server::store::StoreResult;
use async_trait::async_trait;
use bson::{doc, Document};
use mongodb::Collection;
use serde::de::DeserializeOwned;

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
}

#[async_trait]
impl Records for MongoStore {
    async fn count(&self, kind: Kind) -> StoreResult<u64> {
        self.ready().await?;
        let counted = match kind {
            Kind::Customers => self.customers.count_documents(doc! {}).await,
            Kind::Products => self.products.count_documents(doc! {}).await,
            Kind::Orders => self.orders.count_documents(doc! {}).await,
            Kind::Movements => self.movements().count_documents(doc! {}).await,
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
                .map(|o| Record::Order(Box::new(o.into())))
                .collect(),
            Kind::Movements => self
                .page(&self.movements(), after, limit)
                .await?
                .into_iter()
                .map(|m| Record::Movement(m.into()))
                .collect(),
        })
    }

    async fn clear(&self) -> StoreResult<()> {
        self.ready().await?;
        self.outbox().delete_many(doc! {}).await.map_err(db_error)?;
        self.movements()
            .delete_many(doc! {})
            .await
            .map_err(db_error)?;
        self.orders.delete_many(doc! {}).await.map_err(db_error)?;
        self.products.delete_many(doc! {}).await.map_err(db_error)?;
        self.customers
            .delete_many(doc! {})
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
