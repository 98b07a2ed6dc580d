//! Customers: registering them and finding them.

use super::Service;
use crate::domain::{validate, Actor, AppError, Customer, Id, NewCustomer, Page, Timestamp};
use crate::server::store::records::Record;
use crate::server::store::Change;

impl Service {
    pub async fn register_customer(&self, input: NewCustomer) -> Result<Customer, AppError> {
        let input = validate::new_customer(input)?;
        let now = Timestamp::now();
        let customer = Customer {
            id: Id::generate(),
            name: input.name,
            email: input.email,
            phone: input.phone,
            created_at: now,
        };
        let mut change = Change::new(now, Actor::customer());
        change.inserts.push(Record::Customer(customer.clone()));
        self.store.apply(change).await?.unguarded()?;
        Ok(customer)
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
}
