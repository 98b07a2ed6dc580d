//! The shop's own doors into the order engine: a guest checkout that reuses
//! a returning customer's record, and finding an order again by its number
//! and email. The REST API keeps its separate steps (register, then order);
//! a shopper should not have to know their customer id.

use super::{Placement, Service};
use crate::domain::{
    validate, Actor, Address, AppError, Customer, NewCustomer, NewOrder, NewOrderLine, Page,
    PlacedOrder,
};
use crate::server::secrets;

/// Order numbers are 11 characters; anything much longer is not one.
const MAX_ORDER_NUMBER_CHARS: usize = 32;

impl Service {
    /// The customer with this email, registered now if there is none. An
    /// existing record is kept as it is: anyone can type an email, so a
    /// checkout must not rewrite someone's name or phone.
    pub async fn find_or_register_customer(
        &self,
        input: NewCustomer,
    ) -> Result<Customer, AppError> {
        match self.register_customer(input).await {
            // `value` is the email as validation normalised it.
            Err(AppError::Duplicate { field, value }) if field == "email" => {
                self.customer_by_email(&value).await
            }
            registered => registered,
        }
    }

    /// The store searches customers by substring; walk its pages for the
    /// exact address (emails are stored lower-cased by `validate::email`).
    async fn customer_by_email(&self, email: &str) -> Result<Customer, AppError> {
        let mut page = Page {
            limit: Page::MAX_LIMIT,
            before: None,
        };
        loop {
            let found = self.store.customers(Some(email), page).await?;
            if let Some(customer) = found.iter().find(|c| c.email == email) {
                return Ok(customer.clone());
            }
            match found.last() {
                Some(last) if found.len() == page.limit as usize => page.before = Some(last.id),
                _ => break,
            }
        }
        tracing::error!("an email reported as taken has no customer");
        Err(AppError::Internal)
    }

    /// Places a shopper's order in one step: the details and the cart are
    /// checked before anything is written, then the customer is found or
    /// registered and the order placed with the same rules as the REST API.
    /// The order comes back as its customer sees it (contact details
    /// masked): the email typed may belong to an earlier customer record.
    /// `attempt` is the form's idempotency key: the same form sent twice
    /// (a double click, a retry after a lost answer) places one order.
    pub async fn checkout(
        &self,
        customer: NewCustomer,
        shipping_address: Address,
        items: Vec<NewOrderLine>,
        attempt: Option<String>,
    ) -> Result<PlacedOrder, AppError> {
        let customer = validate::new_customer(customer)?;
        let shipping_address = validate::address("shippingAddress", &shipping_address)?;
        validate::order_lines(&items)?;
        let customer = self.find_or_register_customer(customer).await?;
        let Placement { placed, .. } = self
            .place_order(
                NewOrder {
                    customer: customer.id,
                    items,
                    shipping_address: Some(shipping_address),
                    payment_received: false,
                },
                attempt,
                Actor::customer(),
            )
            .await?;
        Ok(PlacedOrder {
            order: placed.order.for_customer(),
            tracking_token: placed.tracking_token,
        })
    }

    /// A new tracking token for the order with this number, if `email` is
    /// its customer's. Only tokens' hashes are kept, so a lost link cannot
    /// be shown again: a new one is issued and earlier links stop working
    /// (which is also how a customer revokes a link they shared). A wrong
    /// number and a wrong email fail alike, so neither is revealed.
    pub async fn reissue_tracking_token(
        &self,
        number: &str,
        email: &str,
    ) -> Result<PlacedOrder, AppError> {
        let email = validate::email(email)?;
        let not_found = || AppError::not_found("order", "with this number and email");
        if number.trim().is_empty() || number.chars().count() > MAX_ORDER_NUMBER_CHARS {
            return Err(not_found());
        }
        let number = super::orders::order_number_as_issued(number);
        let order = self
            .store
            .order_by_number(&number)
            .await?
            .filter(|order| secrets::same_secret(&order.customer.email, &email))
            .ok_or_else(not_found)?;
        let tracking_token = secrets::random_token(16)?;
        self.store
            .replace_tracking_hash(order.id, secrets::token_hash(&tracking_token))
            .await?;
        Ok(PlacedOrder {
            order: order.for_customer(),
            tracking_token,
        })
    }
}
