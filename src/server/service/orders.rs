//! Orders: placing them (prices from the catalogue, stock for every line or
//! none, idempotent retries), moving them through their lifecycle, reading
//! and listing them.

use super::{integration_events, Service};
use crate::domain::{
    is_staff_activity, validate, ActivityEntry, Actor, AppError, CommandKey, Currency, Customer,
    FulfillmentStatus, Id, Money, NewNote, NewOrder, NewRefund, NewReturn, NewShipment, Order,
    OrderChange, OrderFilter, OrderStatus, Page, PaymentStatus, PlacedOrder, Product, StatusEntry,
    StatusUpdate, StockReason, Timestamp,
};
use crate::server::metrics::metrics;
use crate::server::secrets;
use crate::server::store::records::{OrderActivity, Record, StoredOrder};
use crate::server::store::{
    Applied, Change, IdempotencyKey, LineDraft, OrderUpdate, OutboxEvent, StockDelta,
};
use std::collections::HashMap;

/// How often a command on an order that lost a race is re-read and
/// re-judged. Every lost race means another change to that order
/// committed, so this many staff and integrations acting on one order at
/// once all get a verdict rather than "try again".
const ORDER_COMMAND_RETRIES: usize = 64;

/// Order numbers are random; a clash is retried with a new number.
const NUMBER_RETRIES: usize = 5;
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;

/// What a command on an existing order did.
#[derive(Debug)]
pub struct OrderCommand {
    pub order: Order,
    /// True when an earlier request with the same Idempotency-Key did it.
    pub replayed: bool,
}

/// What placing an order did.
#[derive(Debug)]
pub struct Placement {
    pub placed: PlacedOrder,
    /// True when an earlier request with the same Idempotency-Key placed it.
    pub replayed: bool,
}

impl Service {
    /// Prices the order from the current catalogue, then has the store take
    /// stock for every line and write it, all or nothing. With an
    /// idempotency key, a retry of the same request returns the first order.
    pub async fn place_order(
        &self,
        input: NewOrder,
        idempotency_key: Option<String>,
        actor: Actor,
    ) -> Result<Placement, AppError> {
        validate::new_order(&input)?;
        let shipping_address = input
            .shipping_address
            .as_ref()
            .map(|a| validate::address("shippingAddress", a))
            .transpose()?;
        let idempotency = match idempotency_key {
            Some(key) => Some(IdempotencyKey {
                fingerprint: fingerprint(&input)?,
                key: idempotency_key_text(&key)?,
            }),
            None => None,
        };
        // Two independent reads, one round trip's wait.
        let (customer, lines) = tokio::join!(
            self.store.customer(input.customer),
            self.price_lines(&input)
        );
        let customer = customer?
            .ok_or_else(|| AppError::invalid("customer", "is not a registered customer"))?;
        let (lines, priced) = lines?;
        let total = lines
            .iter()
            .try_fold(Money::default(), |sum, l| {
                l.unit_price.checked_mul(l.quantity)?.checked_add(sum)
            })
            .filter(|total| *total <= Money::MAX_AMOUNT)
            .ok_or_else(|| AppError::invalid("items", "the order total is too large"))?;
        let tracking_token = secrets::random_token(16)?;
        let placed_at = Timestamp::now();
        let mut order = StoredOrder {
            id: Id::generate(),
            number: String::new(),
            customer: customer.id,
            lines,
            total,
            payment_received: input.payment_received,
            status: OrderStatus::Pending,
            history: vec![StatusEntry {
                status: OrderStatus::Pending,
                at: placed_at,
                actor: actor.clone(),
                reason: None,
            }],
            shipping_address,
            currency: Currency::shop(),
            activity: OrderActivity::default(),
            refunded_total: Money::default(),
            payment_status: PaymentStatus::of(input.payment_received, Money::default(), total),
            fulfillment_status: FulfillmentStatus::Unfulfilled,
            created_at: placed_at,
            updated_at: placed_at,
            version: 0,
            idempotency,
            tracking_hash: Some(secrets::token_hash(&tracking_token)),
        };
        for _ in 0..NUMBER_RETRIES {
            order.number = order_number()?;
            let mut change = Change::new(placed_at, actor.clone());
            change.announce = Some(integration_events::order_placed(
                order.clone(),
                &customer,
                &priced,
                placed_at,
                self.mail
                    .as_deref()
                    .map(|mail| (mail, tracking_token.as_str())),
            )?);
            change.stock = order
                .lines
                .iter()
                .map(|l| StockDelta {
                    movement: Id::generate(),
                    product: l.product,
                    sku: l.sku.clone(),
                    delta: -l.quantity,
                    reason: StockReason::Ordered,
                    order: Some(order.id),
                    expected_stock: None,
                })
                .collect();
            change.inserts.push(Record::Order(Box::new(order.clone())));
            match self.store.apply(change).await {
                Ok(Applied::Done {
                    products,
                    movements,
                }) => {
                    let placed = populated(order, &customer, &products)?;
                    self.announce(Some(&placed), &products, &movements);
                    metrics().order_placed();
                    return Ok(Placement {
                        placed: PlacedOrder {
                            order: placed,
                            tracking_token,
                        },
                        replayed: false,
                    });
                }
                Ok(Applied::ShortOfStock { delta, available }) => {
                    metrics().out_of_stock();
                    let line = order.lines.get(delta).ok_or(AppError::Internal)?;
                    return Err(AppError::OutOfStock {
                        line: delta,
                        sku: line.sku.clone(),
                        requested: line.quantity,
                        available,
                    });
                }
                Ok(Applied::Stale) => {
                    tracing::error!("placing an order, which expects nothing, was stale");
                    return Err(AppError::Internal);
                }
                Err(AppError::Duplicate { field, .. }) if field == "number" => continue,
                Err(AppError::Duplicate { field, .. }) if field == "idempotencyKey" => {
                    return self.replay(order, tracking_token).await;
                }
                Err(e) => return Err(e),
            }
        }
        tracing::error!("could not draw an unused order number");
        Err(AppError::Internal)
    }

    /// An order with this one's idempotency key exists: the same request
    /// sent again gets that order, another request with the key is refused.
    async fn replay(
        &self,
        attempt: StoredOrder,
        tracking_token: String,
    ) -> Result<Placement, AppError> {
        let (Some(idempotency), Some(tracking_hash)) = (attempt.idempotency, attempt.tracking_hash)
        else {
            return Err(AppError::Internal);
        };
        let (order, fingerprint) = self
            .store
            .order_by_idempotency_key(&idempotency.key)
            .await?
            .ok_or(AppError::Internal)?;
        if fingerprint != idempotency.fingerprint {
            return Err(AppError::IdempotencyKeyReused);
        }
        // The first response (and its token) may never have arrived; only
        // the hash was kept, so the retry gets a fresh token and the lost
        // one stops working.
        self.store
            .replace_tracking_hash(order.id, tracking_hash)
            .await?;
        Ok(Placement {
            placed: PlacedOrder {
                order,
                tracking_token,
            },
            replayed: true,
        })
    }

    /// Resolves each line's product (by id or SKU) and snapshots its name,
    /// SKU and price; also hands back the products as read.
    async fn price_lines(
        &self,
        input: &NewOrder,
    ) -> Result<(Vec<LineDraft>, Vec<Product>), AppError> {
        let keys: Vec<String> = input
            .items
            .iter()
            .map(|l| l.product.trim().to_string())
            .collect();
        let products = self.store.products_by_key(&keys).await?;
        let by_id: HashMap<String, &Product> =
            products.iter().map(|p| (p.id.to_string(), p)).collect();
        let by_sku: HashMap<&str, &Product> =
            products.iter().map(|p| (p.sku.as_str(), p)).collect();
        let lines = keys
            .iter()
            .zip(&input.items)
            .enumerate()
            .map(|(i, (key, line))| {
                let product = by_id
                    .get(&key.to_ascii_lowercase())
                    .or_else(|| by_sku.get(key.as_str()))
                    .ok_or_else(|| {
                        AppError::invalid(
                            format!("items[{i}].product"),
                            "is not a product id or SKU",
                        )
                    })?;
                Ok(LineDraft {
                    product: product.id,
                    name: product.name.clone(),
                    sku: product.sku.clone(),
                    unit_price: product.price,
                    quantity: line.quantity,
                })
            })
            .collect::<Result<_, AppError>>()?;
        Ok((lines, products))
    }

    /// Applies the transition table. Setting the status an order already has
    /// succeeds and changes nothing; a move that lost a race is re-judged
    /// against the order as it now is.
    pub async fn change_status(
        &self,
        id: Id,
        update: impl Into<StatusUpdate>,
        actor: Actor,
    ) -> Result<Order, AppError> {
        let update = update.into();
        let done = self
            .change_order(id, &actor, None, |order, at| {
                order.moved_to(&update, at, actor.clone())
            })
            .await?;
        Ok(done.order)
    }

    /// Records a parcel (PAID orders only); the last one makes it FULFILLED.
    pub async fn ship(
        &self,
        id: Id,
        input: NewShipment,
        key: Option<String>,
        actor: Actor,
    ) -> Result<OrderCommand, AppError> {
        let key = command_key(key, &input)?;
        self.change_order(id, &actor, key, |order, at| {
            order.shipped(&input, at, actor.clone()).map(Some)
        })
        .await
    }

    /// Takes goods back, restocking and refunding as asked.
    pub async fn take_return(
        &self,
        id: Id,
        input: NewReturn,
        key: Option<String>,
        actor: Actor,
    ) -> Result<OrderCommand, AppError> {
        let key = command_key(key, &input)?;
        self.change_order(id, &actor, key, |order, at| {
            order.returned(&input, at, actor.clone()).map(Some)
        })
        .await
    }

    /// Sends money back, never more than was paid and not yet refunded.
    pub async fn refund(
        &self,
        id: Id,
        input: NewRefund,
        key: Option<String>,
        actor: Actor,
    ) -> Result<OrderCommand, AppError> {
        let key = command_key(key, &input)?;
        self.change_order(id, &actor, key, |order, at| {
            order.refunded(&input, at, actor.clone()).map(Some)
        })
        .await
    }

    pub async fn add_note(&self, id: Id, input: NewNote, actor: Actor) -> Result<Order, AppError> {
        let done = self
            .change_order(id, &actor, None, |order, at| {
                order.noted(&input, at, actor.clone()).map(Some)
            })
            .await?;
        Ok(done.order)
    }

    /// Runs one command on an order: reads it, has `decide` judge it
    /// (`None`: nothing to do), and has the store write the result over the
    /// version read, with the stock it moves. A lost race is re-read and
    /// re-judged. With a retry key, a command the order already records
    /// under that key is not run again: its order is returned.
    async fn change_order(
        &self,
        id: Id,
        actor: &Actor,
        key: Option<CommandKey>,
        decide: impl Fn(&Order, Timestamp) -> Result<Option<OrderChange>, AppError>,
    ) -> Result<OrderCommand, AppError> {
        for _ in 0..ORDER_COMMAND_RETRIES {
            let order = self.order(id).await?;
            if let Some(key) = &key {
                if let Some(earlier) = order.command_keys.iter().find(|k| k.key == key.key) {
                    if earlier.fingerprint != key.fingerprint {
                        return Err(AppError::IdempotencyKeyReused);
                    }
                    return Ok(OrderCommand {
                        order,
                        replayed: true,
                    });
                }
            }
            let at = Timestamp::now();
            let Some(OrderChange {
                order: mut changed,
                stock,
            }) = decide(&order, at)?
            else {
                return Ok(OrderCommand {
                    order,
                    replayed: false,
                });
            };
            changed.command_keys.extend(key.clone());
            let mut change = Change::new(at, actor.clone());
            change.announce = Some(integration_events::order_changed(
                &order,
                changed.clone(),
                at,
                self.mail.clone(),
            ));
            change.stock = stock
                .into_iter()
                .map(|m| StockDelta {
                    movement: Id::generate(),
                    product: m.product,
                    sku: m.sku,
                    delta: m.delta,
                    reason: m.reason,
                    order: Some(order.id),
                    expected_stock: None,
                })
                .collect();
            if is_staff_activity(actor) {
                change.activity = ActivityEntry::of_order(&order, &changed, at, actor);
            }
            change.order_updates.push(OrderUpdate {
                order: StoredOrder::from_order(&changed),
                read_version: order.version,
            });
            match self.store.apply(change).await? {
                Applied::Done {
                    products,
                    movements,
                } => {
                    let changed = with_products(changed, &products);
                    self.announce(Some(&changed), &products, &movements);
                    if changed.status != order.status {
                        metrics().status_moved(changed.status.as_str());
                    }
                    return Ok(OrderCommand {
                        order: changed,
                        replayed: false,
                    });
                }
                Applied::Stale => continue,
                Applied::ShortOfStock { .. } => {
                    tracing::error!("giving stock back came out short");
                    return Err(AppError::Internal);
                }
            }
        }
        Err(AppError::Unavailable)
    }

    pub async fn order(&self, id: Id) -> Result<Order, AppError> {
        self.store
            .order(id)
            .await?
            .ok_or_else(|| AppError::not_found("order", id))
    }

    /// The order this tracking token was issued for, as its customer sees it.
    pub async fn tracked_order(&self, token: &str) -> Result<Order, AppError> {
        let token = token.trim();
        if token.is_empty() || token.len() > 128 {
            return Err(AppError::not_found("order", "for this tracking token"));
        }
        self.store
            .order_by_tracking_hash(&secrets::token_hash(token))
            .await?
            .map(Order::for_customer)
            .ok_or_else(|| AppError::not_found("order", "for this tracking token"))
    }

    pub async fn order_by_number(&self, number: &str) -> Result<Order, AppError> {
        self.store
            .order_by_number(number)
            .await?
            .ok_or_else(|| AppError::not_found("order", number.trim()))
    }

    pub async fn orders(&self, filter: &OrderFilter, page: Page) -> Result<Vec<Order>, AppError> {
        if let Some(q) = &filter.q {
            if q.chars().count() > validate::MAX_EMAIL_CHARS {
                return Err(AppError::invalid("q", "is too long"));
            }
        }
        self.store.orders(filter, page).await
    }

    pub async fn count_orders(&self, filter: &OrderFilter) -> Result<u64, AppError> {
        self.store.count_orders(filter).await
    }

    /// The outbox's first `limit` events, oldest first: what committed
    /// changes announced to integrations.
    pub async fn oldest_outbox_events(&self, limit: u32) -> Result<Vec<OutboxEvent>, AppError> {
        self.store.oldest_outbox_events(limit).await
    }
}

/// A newly placed order as readers see it, from what the service already
/// holds and the products as the order left them: no further reads.
pub(super) fn populated(
    order: StoredOrder,
    customer: &Customer,
    products: &[Product],
) -> Result<Order, AppError> {
    let customers = HashMap::from([(customer.id, customer.clone())]);
    let products = products.iter().map(|p| (p.id, p.clone())).collect();
    order.populate(&customers, &products)
}

/// The order with its lines' products replaced by the ones a change left.
pub(super) fn with_products(mut order: Order, products: &[Product]) -> Order {
    for line in &mut order.items {
        if let Some(product) = products.iter().find(|p| p.id == line.product.id) {
            line.product = product.clone();
        }
    }
    order
}

fn idempotency_key_text(key: &str) -> Result<String, AppError> {
    let key = key.trim();
    if key.is_empty()
        || key.len() > MAX_IDEMPOTENCY_KEY_CHARS
        || !key.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(AppError::invalid(
            "Idempotency-Key",
            format!("must be 1 to {MAX_IDEMPOTENCY_KEY_CHARS} visible ASCII characters"),
        ));
    }
    Ok(key.to_string())
}

/// What identifies "the same request" for an idempotency key.
fn fingerprint(input: &impl serde::Serialize) -> Result<String, AppError> {
    serde_json::to_string(input).map_err(|e| {
        tracing::error!(error = %e, "a request would not serialize");
        AppError::Internal
    })
}

/// A command's retry key, checked, with the fingerprint of its request.
fn command_key(
    key: Option<String>,
    input: &impl serde::Serialize,
) -> Result<Option<CommandKey>, AppError> {
    key.map(|key| {
        Ok(CommandKey {
            key: idempotency_key_text(&key)?,
            fingerprint: fingerprint(input)?,
        })
    })
    .transpose()
}

/// A random order number such as `7KQ2M-9XD4P`: 50 bits in Crockford's
/// base32, whose alphabet leaves out the look-alikes I, L, O and U.
fn order_number() -> Result<String, AppError> {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let random = secrets::random_bytes::<10>()?;
    let mut number = String::with_capacity(11);
    for (i, b) in random.iter().enumerate() {
        if i == 5 {
            number.push('-');
        }
        number.push(ALPHABET[(*b & 31) as usize] as char);
    }
    Ok(number)
}

/// An order number as a customer may type it — lower case, without the
/// dash, with spaces, an O for a 0 or an I or L for a 1 — as it was issued.
/// Anything that is not ten such characters is returned trimmed, as typed.
pub(super) fn order_number_as_issued(typed: &str) -> String {
    let symbols: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    if symbols.len() == 10 && symbols.chars().all(|c| c.is_ascii_alphanumeric()) {
        format!("{}-{}", &symbols[..5], &symbols[5..])
    } else {
        typed.trim().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_numbers_are_found_as_customers_type_them() {
        for typed in ["7KQ2M-9XD4P", "7kq2m9xd4p", " 7KQ2M 9XD4P ", "7kq2m-9xd4p"] {
            assert_eq!(order_number_as_issued(typed), "7KQ2M-9XD4P", "{typed:?}");
        }
        assert_eq!(order_number_as_issued("oil2m9xd4p"), "0112M-9XD4P");
        assert_eq!(
            order_number_as_issued(" ORD-1 "),
            "ORD-1",
            "not ours: as typed"
        );
    }

    #[test]
    fn order_numbers_are_readable() {
        for _ in 0..100 {
            let n = order_number().unwrap();
            assert_eq!(n.len(), 11);
            assert_eq!(&n[5..6], "-");
            assert!(n
                .chars()
                .all(|c| c == '-' || (c.is_ascii_alphanumeric() && !"OILU".contains(c))));
        }
    }

    #[test]
    fn idempotency_keys_are_bounded() {
        assert!(idempotency_key_text("retry-1").is_ok());
        assert!(idempotency_key_text("").is_err());
        assert!(idempotency_key_text(&"k".repeat(256)).is_err());
        assert!(idempotency_key_text("has space").is_err());
    }
}
