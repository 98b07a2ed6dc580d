//! The order engine. Every rule lives here — validation, prices and totals,
//! the transition table, idempotency — and every change is announced on the
//! live hub. Routes and server functions parse and authorize, then call in;
//! the store below only persists, atomically.

use crate::domain::{
    validate, Actor, AppError, Customer, Dashboard, DayTotal, Id, Login, Money, NewCustomer,
    NewOrder, NewProduct, Order, OrderFilter, OrderStatus, Page, PlacedOrder, Product,
    ProductUpdate, Timestamp, LOW_STOCK,
};
use crate::server::auth;
use crate::server::live::{LiveEvent, LiveHub};
use crate::server::store::{
    IdempotencyKey, LineDraft, Moved, OrderDraft, Placed, SharedStore, StatusMove,
};
use std::collections::HashMap;
use std::sync::Arc;

mod shop;

/// How often a compare-and-set status move is retried after losing a race.
const STATUS_RETRIES: usize = 5;
/// Order numbers are random; a clash is retried with a new number.
const NUMBER_RETRIES: usize = 5;
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;
/// The one admin login's name.
pub const ADMIN_USERNAME: &str = "admin";

#[derive(Clone)]
pub struct Service {
    store: SharedStore,
    hub: LiveHub,
    /// False when the store feeds the hub from the database's own change
    /// feed, which carries every instance's changes, this one's included:
    /// announcing them here as well would send each twice.
    announces: bool,
}

/// What placing an order did.
#[derive(Debug)]
pub struct Placement {
    pub placed: PlacedOrder,
    /// True when an earlier request with the same Idempotency-Key placed it.
    pub replayed: bool,
}

impl Service {
    pub fn new(store: SharedStore, hub: LiveHub) -> Service {
        let announces = !store.watch_changes(&hub);
        Service {
            store,
            hub,
            announces,
        }
    }

    pub fn hub(&self) -> &LiveHub {
        &self.hub
    }

    pub async fn ready(&self) -> Result<(), AppError> {
        self.store.ping().await
    }

    pub async fn close(&self) {
        self.store.close().await
    }

    // ---- customers -----------------------------------------------------------

    pub async fn register_customer(&self, input: NewCustomer) -> Result<Customer, AppError> {
        let input = validate::new_customer(input)?;
        self.store
            .insert_customer(Customer {
                id: Id::generate(),
                name: input.name,
                email: input.email,
                phone: input.phone,
                created_at: Timestamp::now(),
            })
            .await
    }

    pub async fn customers(&self, q: Option<&str>, page: Page) -> Result<Vec<Customer>, AppError> {
        self.store.customers(q, page).await
    }

    pub async fn customer(&self, id: Id) -> Result<Customer, AppError> {
        self.store
            .customer(id)
            .await?
            .ok_or_else(|| AppError::not_found("customer", id))
    }

    // ---- products ------------------------------------------------------------

    pub async fn add_product(&self, input: NewProduct) -> Result<Product, AppError> {
        let input = validate::new_product(input)?;
        let now = Timestamp::now();
        let product = self
            .store
            .insert_product(Product {
                id: Id::generate(),
                name: input.name,
                sku: input.sku,
                stock: input.stock,
                price: input.price,
                created_at: now,
                updated_at: now,
            })
            .await?;
        self.announce(LiveEvent::ProductUpdated(Arc::new(product.clone())));
        Ok(product)
    }

    pub async fn update_product(&self, id: Id, update: ProductUpdate) -> Result<Product, AppError> {
        let update = validate::product_update(update)?;
        let product = self
            .store
            .update_product(id, update, Timestamp::now())
            .await?;
        self.announce(LiveEvent::ProductUpdated(Arc::new(product.clone())));
        Ok(product)
    }

    pub async fn product(&self, id: Id) -> Result<Product, AppError> {
        let found = self.store.products_by_key(&[id.to_string()]).await?;
        found
            .into_iter()
            .find(|p| p.id == id)
            .ok_or_else(|| AppError::not_found("product", id))
    }

    pub async fn products(&self, q: Option<&str>) -> Result<Vec<Product>, AppError> {
        self.store.products(q).await
    }

    // ---- orders --------------------------------------------------------------

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
        let idempotency = match idempotency_key {
            Some(key) => Some(IdempotencyKey {
                fingerprint: fingerprint(&input),
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
        let lines = lines?;
        let total = lines
            .iter()
            .try_fold(Money::default(), |sum, l| {
                l.unit_price.checked_mul(l.quantity)?.checked_add(sum)
            })
            .ok_or_else(|| AppError::invalid("items", "the order total is too large"))?;
        let mut draft = OrderDraft {
            id: Id::generate(),
            number: String::new(),
            customer,
            lines,
            total,
            payment_received: input.payment_received,
            placed_at: Timestamp::now(),
            placed_by: actor,
            idempotency,
            tracking_hash: String::new(),
        };
        let tracking_token = auth::random_token(16)?;
        draft.tracking_hash = auth::token_hash(&tracking_token);
        for _ in 0..NUMBER_RETRIES {
            draft.number = order_number()?;
            match self.store.place_order(draft.clone()).await {
                Ok(Placed::New(order)) => {
                    self.announce_order(&order);
                    return Ok(Placement {
                        placed: PlacedOrder {
                            order,
                            tracking_token,
                        },
                        replayed: false,
                    });
                }
                Ok(Placed::Existing { order, fingerprint }) => {
                    let same = draft
                        .idempotency
                        .as_ref()
                        .is_some_and(|i| i.fingerprint == fingerprint);
                    if !same {
                        return Err(AppError::IdempotencyKeyReused);
                    }
                    // The first response (and its token) may never have
                    // arrived; only the hash was kept, so the retry gets a
                    // fresh token and the lost one stops working.
                    self.store
                        .replace_tracking_hash(order.id, draft.tracking_hash)
                        .await?;
                    return Ok(Placement {
                        placed: PlacedOrder {
                            order,
                            tracking_token,
                        },
                        replayed: true,
                    });
                }
                Err(AppError::Duplicate { field, .. }) if field == "number" => continue,
                Err(e) => return Err(e),
            }
        }
        tracing::error!("could not draw an unused order number");
        Err(AppError::Internal)
    }

    /// Resolves each line's product (by id or SKU) and snapshots its name,
    /// SKU and price.
    async fn price_lines(&self, input: &NewOrder) -> Result<Vec<LineDraft>, AppError> {
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
        keys.iter()
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
            .collect()
    }

    /// Applies the transition table. Setting the status an order already has
    /// succeeds and changes nothing; a move that lost a race is re-judged
    /// against the order as it now is.
    pub async fn change_status(
        &self,
        id: Id,
        to: OrderStatus,
        actor: Actor,
    ) -> Result<Order, AppError> {
        let mut order = self.order(id).await?;
        for _ in 0..STATUS_RETRIES {
            if order.status == to {
                return Ok(order);
            }
            if !order.status.can_move_to(to) {
                return Err(AppError::InvalidTransition {
                    from: order.status,
                    to,
                    allowed: order.status.next_statuses().to_vec(),
                });
            }
            let change = StatusMove {
                order: id,
                from: order.status,
                to,
                at: Timestamp::now(),
                actor,
            };
            match self.store.move_status(change).await? {
                Moved::Done(moved) => {
                    self.announce_order(&moved);
                    return Ok(moved);
                }
                Moved::Stale(now) => order = now,
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
            .order_by_tracking_hash(&auth::token_hash(token))
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

    /// The dashboard as of `now`: today, the last 7 and 30 days, the order
    /// backlog and the products running out.
    pub async fn dashboard(&self, now: Timestamp) -> Result<Dashboard, AppError> {
        let today = now.start_of_day();
        let first_day = today.plus_days(-29);
        let totals = self.store.daily_order_totals(first_day).await?;
        let mut days: Vec<DayTotal> = (0..30)
            .map(|i| DayTotal {
                day: first_day.plus_days(i),
                ..Default::default()
            })
            .collect();
        for total in &totals {
            let index = ((total.day.millis() - first_day.millis()) / 86_400_000) as usize;
            if let Some(day) = days.get_mut(index) {
                day.orders += total.orders;
                if total.status != OrderStatus::Cancelled {
                    day.revenue = day
                        .revenue
                        .checked_add(total.revenue)
                        .unwrap_or(day.revenue);
                }
            }
        }
        let mut by_status = Vec::new();
        for status in OrderStatus::ALL {
            let filter = OrderFilter {
                status: Some(status),
                ..Default::default()
            };
            by_status.push((status, self.store.count_orders(&filter).await?));
        }
        let count = |wanted: OrderStatus| {
            by_status
                .iter()
                .find(|(s, _)| *s == wanted)
                .map_or(0, |(_, n)| *n)
        };
        let last = days.last().cloned().unwrap_or_default();
        let revenue_last_7_days = days[23..]
            .iter()
            .try_fold(Money::default(), |sum, d| sum.checked_add(d.revenue))
            .ok_or(AppError::Internal)?;
        let mut low_stock: Vec<Product> = self
            .store
            .products(None)
            .await?
            .into_iter()
            .filter(|p| p.stock <= LOW_STOCK)
            .collect();
        low_stock.sort_by_key(|p| p.stock);
        Ok(Dashboard {
            orders_today: last.orders,
            revenue_today: last.revenue,
            revenue_last_7_days,
            awaiting_fulfilment: count(OrderStatus::Paid),
            awaiting_payment: count(OrderStatus::Pending),
            low_stock,
            days,
            by_status,
        })
    }

    // ---- the admin login ----------------------------------------------------

    /// Sets the admin password (ending every session), from
    /// `IGNIFLO_ADMIN_PASSWORD` or the `set-admin-password` command.
    pub async fn set_admin_password(&self, password: &str) -> Result<(), AppError> {
        if password.chars().count() < 12 {
            return Err(AppError::invalid(
                "password",
                "must be at least 12 characters",
            ));
        }
        let password = password.to_string();
        let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
            .await
            .map_err(|_| AppError::Internal)?;
        self.store
            .set_admin_password_hash(hash, Timestamp::now())
            .await
    }

    /// On a first start with no password configured, makes one up; the
    /// caller prints it once. None when a password already exists.
    pub async fn ensure_admin_password(&self) -> Result<Option<String>, AppError> {
        if self.store.admin_password_hash().await?.is_some() {
            return Ok(None);
        }
        let password = auth::generate_password();
        self.set_admin_password(&password).await?;
        Ok(Some(password))
    }

    /// Checks the admin's credentials and opens a session; returns its token.
    pub async fn sign_in(&self, login: &Login) -> Result<String, AppError> {
        let stored = self.store.admin_password_hash().await?;
        let password = login.password.clone();
        let valid = match stored {
            Some(hash) if login.username == ADMIN_USERNAME && login.password.len() <= 1024 => {
                tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
                    .await
                    .map_err(|_| AppError::Internal)?
            }
            _ => false,
        };
        if !valid {
            return Err(AppError::Unauthorized);
        }
        let token = auth::random_token(32)?;
        let expires = auth::session_expiry_from(Timestamp::now());
        self.store
            .create_session(auth::token_hash(&token), expires)
            .await?;
        Ok(token)
    }

    pub async fn sign_out(&self, session_token: &str) -> Result<(), AppError> {
        self.store
            .end_session(&auth::token_hash(session_token), Timestamp::now())
            .await
    }

    pub async fn admin_session_is_valid(&self, session_token: &str) -> Result<bool, AppError> {
        if session_token.len() > 128 {
            return Ok(false);
        }
        let expiry = self
            .store
            .session_expiry(&auth::token_hash(session_token))
            .await?;
        Ok(expiry.is_some_and(|at| at > Timestamp::now()))
    }

    /// An order changed: tell its watchers, and the catalogue watchers about
    /// the stock it took or returned.
    fn announce_order(&self, order: &Order) {
        self.announce(LiveEvent::OrderUpdated(Arc::new(order.clone())));
        let mut seen = Vec::new();
        for line in &order.items {
            if !seen.contains(&line.product.id) {
                seen.push(line.product.id);
                self.announce(LiveEvent::ProductUpdated(Arc::new(line.product.clone())));
            }
        }
    }

    fn announce(&self, event: LiveEvent) {
        if self.announces {
            self.hub.publish(event);
        }
    }
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
fn fingerprint(input: &NewOrder) -> String {
    serde_json::to_string(input).expect("orders serialize")
}

/// A random order number such as `7KQ2M-9XD4P`: 50 bits in Crockford's
/// base32, whose alphabet leaves out the look-alikes I, L, O and U.
fn order_number() -> Result<String, AppError> {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut random = [0u8; 10];
    getrandom::fill(&mut random).map_err(|e| {
        tracing::error!(error = %e, "the OS random source failed");
        AppError::Internal
    })?;
    let mut number = String::with_capacity(11);
    for (i, b) in random.iter().enumerate() {
        if i == 5 {
            number.push('-');
        }
        number.push(ALPHABET[(*b & 31) as usize] as char);
    }
    Ok(number)
}

#[cfg(test)]
mod tests {
    use super::*;

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
