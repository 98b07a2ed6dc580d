//! The live hub of every server instance on one database, fed from one
//! change stream on the database (orders and products, so their events keep
//! the order they were committed in). Each instance hears each change once,
//! whichever instance made it. After a lost connection the stream reopens
//! from the last resume token it delivered, so nothing is missed or repeated;
//! when the database no longer holds that point, clients are told to resync.
//! Ledger movements are followed too, to announce a product falling to its
//! low-stock threshold: a transaction writes the product before its
//! movements, so the product's latest state is already known here.

use super::docs::{MovementDoc, OrderDoc, ProductDoc};
use super::{MongoStore, MOVEMENTS, ORDERS, PRODUCTS};
use crate::domain::{Id, Product, StockMovement};
use crate::server::events::{LiveEvent, LiveHub};
use bson::{doc, Document};
use futures_util::StreamExt;
use mongodb::change_stream::event::{ChangeStreamEvent, ResumeToken};
use mongodb::options::FullDocumentType;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// How long to wait before reopening a change stream that failed.
const REOPEN_AFTER: Duration = Duration::from_secs(1);
/// mongod's code for a resume token older than the oplog holds.
const HISTORY_LOST: i32 = 286;

/// Where the next change stream starts.
#[derive(Clone, Debug)]
pub enum StartAt {
    /// Where the store first reached the database, so nothing committed
    /// after the store was opened is missed.
    Time(bson::Timestamp),
    /// Just after the last change delivered.
    Token(ResumeToken),
    Now,
}

impl MongoStore {
    /// Follows the change stream into `hub` until the task is aborted.
    pub(super) async fn follow_changes(self, hub: LiveHub, mut start: StartAt) {
        let mut was_down = false;
        let mut products: HashMap<Id, Arc<Product>> = HashMap::new();
        loop {
            let mut watch = self
                .db
                .watch()
                .pipeline([
                    doc! { "$match": { "ns.coll": { "$in": [ORDERS, PRODUCTS, MOVEMENTS] } } },
                ])
                .full_document(FullDocumentType::UpdateLookup);
            watch = match &start {
                StartAt::Time(time) => watch.start_at_operation_time(*time),
                StartAt::Token(token) => watch.resume_after(token.clone()),
                StartAt::Now => watch,
            };
            let mut stream = match watch.await {
                Ok(stream) => stream,
                Err(e) => {
                    if super::errors::command_code(&e) == Some(HISTORY_LOST) {
                        tracing::warn!("the change stream's resume point is gone; clients resync");
                        hub.publish(LiveEvent::Resync);
                        start = StartAt::Now;
                        continue;
                    }
                    if !was_down {
                        tracing::warn!(error = %e, "cannot follow MongoDB's changes; retrying");
                        was_down = true;
                    }
                    tokio::time::sleep(REOPEN_AFTER).await;
                    continue;
                }
            };
            if was_down {
                tracing::info!("MongoDB is back; following its changes again");
                was_down = false;
            }
            while let Some(next) = stream.next().await {
                match next {
                    Ok(change) => {
                        let token = change.id.clone();
                        if let Some(event) = self.live_event(change, &mut products).await {
                            hub.publish(event);
                        }
                        start = StartAt::Token(token);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "MongoDB's change stream broke; reopening");
                        was_down = true;
                        break;
                    }
                }
            }
            // The stream's own token moves on even while nothing changes.
            if let Some(token) = stream.resume_token() {
                start = StartAt::Token(token);
            }
            tokio::time::sleep(REOPEN_AFTER).await;
        }
    }

    /// The hub's event for one change: an order populated as readers see it,
    /// or a product as it now is. Deletions and other changes announce nothing.
    async fn live_event(
        &self,
        change: ChangeStreamEvent<Document>,
        products: &mut HashMap<Id, Arc<Product>>,
    ) -> Option<LiveEvent> {
        // A new tracking token (an idempotent retry) changes nothing anyone sees.
        if let Some(update) = &change.update_description {
            if update.removed_fields.is_empty()
                && update
                    .updated_fields
                    .keys()
                    .all(|field| field == "trackingHash")
            {
                return None;
            }
        }
        let collection = change.ns.and_then(|ns| ns.coll)?;
        let document = change.full_document?;
        let event = match collection.as_str() {
            ORDERS => self.order_event(document).await,
            PRODUCTS => bson::from_document::<ProductDoc>(document)
                .map(|p| {
                    let product = Arc::new(Product::from(p));
                    products.insert(product.id, product.clone());
                    LiveEvent::ProductUpdated(product)
                })
                .map_err(|e| e.to_string()),
            MOVEMENTS => {
                let movement = bson::from_document::<MovementDoc>(document)
                    .map(StockMovement::from)
                    .map_err(|e| e.to_string());
                match movement {
                    Ok(m) => {
                        let product = products.get(&m.product)?;
                        return m
                            .crosses_down(product.low_stock_threshold)
                            .then(|| LiveEvent::LowStock(product.clone()));
                    }
                    Err(e) => Err(e),
                }
            }
            _ => return None,
        };
        event
            .map_err(|e| tracing::warn!(error = %e, collection, "could not announce a change"))
            .ok()
    }

    async fn order_event(&self, document: Document) -> Result<LiveEvent, String> {
        let order: OrderDoc = bson::from_document(document).map_err(|e| e.to_string())?;
        let mut populated = self
            .populate(vec![order])
            .await
            .map_err(|e| e.to_string())?;
        Ok(LiveEvent::OrderUpdated(Arc::new(populated.remove(0))))
    }
}
