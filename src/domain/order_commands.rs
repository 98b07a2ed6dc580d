//! The commands on an order, decided without I/O: a status move, a
//! shipment, a return, a refund, a note. Each returns the order as it
//! becomes (one version on, settled) and the stock it moves; the service
//! has the store apply both at once. Server-side only: new records' ids
//! are drawn here.

use super::fulfillment::{ItemQuantity, ParcelItem};
use super::{
    validate, Actor, AppError, Id, Money, NewNote, NewRefund, NewReturn, NewShipment, Note, Order,
    OrderChange, OrderLine, OrderStatus, PaymentStatus, Refund, Return, Shipment, StatusEntry,
    StatusUpdate, StockMove, StockReason, Timestamp,
};

impl Order {
    /// Moves the order to `update.status`: `None` when it is already there,
    /// `InvalidTransition` when the lifecycle forbids the move. FULFILLED
    /// ships whatever is left in one parcel; CANCELLED gives every line's
    /// stock back and refunds what was paid, and is refused once a parcel
    /// has left (what left comes back as a return).
    pub fn moved_to(
        &self,
        update: &StatusUpdate,
        at: Timestamp,
        actor: Actor,
    ) -> Result<Option<OrderChange>, AppError> {
        let to = update.status;
        let reason = validate::reason(update.reason.as_deref())?;
        if self.status == to {
            return Ok(None);
        }
        if !self.status.can_move_to(to) {
            return Err(AppError::InvalidTransition {
                from: self.status,
                to,
                allowed: self.status.next_statuses().to_vec(),
            });
        }
        let mut order = self.next_version(at);
        let mut stock = Vec::new();
        match to {
            OrderStatus::Fulfilled => {
                let items = order.unshipped_items();
                if !items.is_empty() {
                    order.shipments.push(Shipment {
                        id: Id::generate(),
                        items,
                        carrier: None,
                        tracking_number: None,
                        tracking_url: None,
                        at,
                        actor: actor.clone(),
                    });
                }
            }
            OrderStatus::Cancelled => {
                if !order.shipments.is_empty() {
                    return Err(cannot(
                        "be cancelled",
                        "a parcel has already shipped; take the goods back as a return",
                    ));
                }
                let refundable = order.refundable();
                if refundable.cents() > 0 {
                    order.refunds.push(Refund {
                        id: Id::generate(),
                        amount: refundable,
                        reason: Some("Order cancelled".into()),
                        at,
                        actor: actor.clone(),
                    });
                }
                stock = order
                    .items
                    .iter()
                    .map(|l| StockMove {
                        product: l.product.id,
                        sku: l.sku.clone(),
                        delta: l.quantity,
                        reason: StockReason::Cancelled,
                    })
                    .collect();
            }
            OrderStatus::Paid => order.payment_received = true,
            OrderStatus::Pending => {}
        }
        order.push_status(to, at, actor, reason);
        Ok(Some(OrderChange {
            order: order.settle(),
            stock,
        }))
    }

    /// Records a parcel. Only a PAID order ships, at most what is unshipped
    /// of each line; shipping the last units makes the order FULFILLED.
    pub fn shipped(
        &self,
        input: &NewShipment,
        at: Timestamp,
        actor: Actor,
    ) -> Result<OrderChange, AppError> {
        match self.status {
            OrderStatus::Paid => {}
            OrderStatus::Pending => return Err(cannot("ship", "it has not been paid yet")),
            OrderStatus::Cancelled => return Err(cannot("ship", "it was cancelled")),
            OrderStatus::Fulfilled => return Err(cannot("ship", "everything has shipped already")),
        }
        if self.payment_status == PaymentStatus::Refunded && self.total.cents() > 0 {
            return Err(cannot("ship", "its payment has been refunded in full"));
        }
        let carrier = validate::optional_text("carrier", input.carrier.as_deref(), 100)?;
        let tracking_number =
            validate::optional_text("trackingNumber", input.tracking_number.as_deref(), 100)?;
        let tracking_url = validate::tracking_url(input.tracking_url.as_deref())?;
        let items = match &input.items {
            None => self.unshipped_items(),
            Some(items) => self.pick(
                "items",
                items,
                |l| l.quantity - l.shipped_quantity,
                "unshipped",
            )?,
        };
        if items.is_empty() {
            return Err(cannot("ship", "everything has shipped already"));
        }
        let mut order = self.next_version(at);
        order.shipments.push(Shipment {
            id: Id::generate(),
            items,
            carrier,
            tracking_number,
            tracking_url,
            at,
            actor: actor.clone(),
        });
        let mut order = order.settle();
        if !order.has_unshipped() {
            order.push_status(OrderStatus::Fulfilled, at, actor, None);
            order = order.settle();
        }
        Ok(OrderChange {
            order,
            stock: Vec::new(),
        })
    }

    /// Takes back shipped units, puts them on sale again if `restock`, and
    /// refunds `refund` with them.
    pub fn returned(
        &self,
        input: &NewReturn,
        at: Timestamp,
        actor: Actor,
    ) -> Result<OrderChange, AppError> {
        if input.items.is_empty() {
            return Err(AppError::invalid("items", "must name at least one line"));
        }
        let note =
            validate::optional_text("note", input.note.as_deref(), validate::MAX_NOTE_CHARS)?;
        let items = self.pick(
            "items",
            &input.items,
            |l| l.shipped_quantity - l.returned_quantity,
            "shipped and not yet returned",
        )?;
        let mut order = self.next_version(at);
        let refund = match input.refund.filter(|r| r.cents() > 0) {
            Some(amount) => Some(order.push_refund(amount, None, "refund", at, actor.clone())?),
            None => None,
        };
        let stock = if input.restock {
            items
                .iter()
                .map(|i| StockMove {
                    product: i.product,
                    sku: i.sku.clone(),
                    delta: i.quantity,
                    reason: StockReason::Returned,
                })
                .collect()
        } else {
            Vec::new()
        };
        order.returns.push(Return {
            id: Id::generate(),
            items,
            reason: input.reason,
            note,
            restock: input.restock,
            refund,
            at,
            actor: actor.clone(),
        });
        Ok(OrderChange {
            order: order.settle(),
            stock,
        })
    }

    /// Sends money back: only what was paid and not yet refunded.
    pub fn refunded(
        &self,
        input: &NewRefund,
        at: Timestamp,
        actor: Actor,
    ) -> Result<OrderChange, AppError> {
        if !self.payment_received {
            return Err(cannot("be refunded", "no payment has been received"));
        }
        if input.amount.cents() <= 0 {
            return Err(AppError::invalid("amount", "must be more than 0"));
        }
        let reason = validate::reason(input.reason.as_deref())?;
        let mut order = self.next_version(at);
        order.push_refund(input.amount, reason, "amount", at, actor)?;
        Ok(OrderChange {
            order: order.settle(),
            stock: Vec::new(),
        })
    }

    /// Adds a staff note, internal or for the customer.
    pub fn noted(
        &self,
        input: &NewNote,
        at: Timestamp,
        actor: Actor,
    ) -> Result<OrderChange, AppError> {
        let text = validate::optional_text("text", Some(&input.text), validate::MAX_NOTE_CHARS)?
            .ok_or_else(|| AppError::invalid("text", "must not be empty"))?;
        let mut order = self.next_version(at);
        order.notes.push(Note {
            id: Id::generate(),
            text,
            visible_to_customer: input.visible_to_customer,
            at,
            actor: actor.clone(),
        });
        Ok(OrderChange {
            order: order.settle(),
            stock: Vec::new(),
        })
    }

    fn next_version(&self, at: Timestamp) -> Order {
        let mut order = self.clone();
        order.updated_at = at;
        order.version += 1;
        order
    }

    fn push_status(
        &mut self,
        to: OrderStatus,
        at: Timestamp,
        actor: Actor,
        reason: Option<String>,
    ) {
        self.status = to;
        self.status_history.push(StatusEntry {
            status: to,
            at,
            actor,
            reason,
        });
    }

    /// Records a refund of `amount` if that much is refundable.
    fn push_refund(
        &mut self,
        amount: Money,
        reason: Option<String>,
        field: &str,
        at: Timestamp,
        actor: Actor,
    ) -> Result<Id, AppError> {
        if !self.payment_received {
            return Err(cannot("be refunded", "no payment has been received"));
        }
        let refundable = self.refundable();
        if amount > refundable {
            return Err(AppError::RefundTooLarge {
                field: field.into(),
                requested: amount,
                refundable,
            });
        }
        let id = Id::generate();
        self.refunds.push(Refund {
            id,
            amount,
            reason,
            at,
            actor: actor.clone(),
        });
        self.refunded_total = self
            .refunded_total
            .checked_add(amount)
            .unwrap_or(self.total);
        Ok(id)
    }

    /// Everything not yet shipped, line by line.
    fn unshipped_items(&self) -> Vec<ParcelItem> {
        let mut items: Vec<ParcelItem> = Vec::new();
        for l in self
            .items
            .iter()
            .filter(|l| l.shipped_quantity < l.quantity)
        {
            let left = l.quantity - l.shipped_quantity;
            match items.iter_mut().find(|i| i.product == l.product.id) {
                Some(item) => item.quantity += left,
                None => items.push(ParcelItem {
                    product: l.product.id,
                    sku: l.sku.clone(),
                    quantity: left,
                }),
            }
        }
        items
    }

    /// The order's products the request names (by product id or SKU), each
    /// at most what `available` leaves of it over all its lines (an order
    /// may have a product on two lines); several mentions add up.
    fn pick(
        &self,
        field: &str,
        items: &[ItemQuantity],
        available: impl Fn(&OrderLine) -> i64,
        what: &str,
    ) -> Result<Vec<ParcelItem>, AppError> {
        if items.len() > validate::MAX_LINES {
            return Err(AppError::invalid(
                field,
                format!("must name at most {} lines", validate::MAX_LINES),
            ));
        }
        let mut picked: Vec<ParcelItem> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let key = item.product.trim();
            let line = self
                .items
                .iter()
                .find(|l| l.product.id.to_string() == key.to_ascii_lowercase() || l.sku == key)
                .ok_or_else(|| {
                    AppError::invalid(
                        format!("{field}[{i}].product"),
                        "is not a line of this order",
                    )
                })?;
            let quantity_field = format!("{field}[{i}].quantity");
            validate::quantity(&quantity_field, item.quantity)?;
            let so_far = picked
                .iter()
                .find(|p| p.product == line.product.id)
                .map_or(0, |p| p.quantity);
            let left: i64 = self
                .items
                .iter()
                .filter(|l| l.product.id == line.product.id)
                .map(&available)
                .sum();
            if so_far + item.quantity > left {
                return Err(AppError::invalid(
                    quantity_field,
                    format!("is more than the {left} {what} of {}", line.sku),
                ));
            }
            match picked.iter_mut().find(|p| p.product == line.product.id) {
                Some(p) => p.quantity += item.quantity,
                None => picked.push(ParcelItem {
                    product: line.product.id,
                    sku: line.sku.clone(),
                    quantity: item.quantity,
                }),
            }
        }
        Ok(picked)
    }
}

fn cannot(action: &str, why: &str) -> AppError {
    AppError::OrderCannot {
        action: action.into(),
        why: why.into(),
    }
}
