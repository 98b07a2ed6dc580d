//! The benchmark's shop: a service on a database of its own, with customers
//! and well-stocked products to order from.

use super::*;

/// A service on a database of its own, with customers and well-stocked
/// products to order from.
pub(crate) struct Shop {
    pub(crate) service: Service,
    pub(crate) database: Database,
    pub(crate) customers: Vec<Id>,
    pub(crate) products: Vec<Id>,
}

impl Shop {
    pub(crate) async fn open(target: &Target, name: &str) -> Result<Arc<Shop>, String> {
        let (store, database) = target.database(name).await?;
        // As the server runs it: the webhook sender drains the outbox.
        let service =
            Service::new(store, LiveHub::default()).send_webhooks(WebhookSettings::default());
        let mut customers = Vec::with_capacity(CUSTOMERS);
        for c in 0..CUSTOMERS {
            let customer = service
                .register_customer(NewCustomer {
                    name: format!("Bench Customer {c}"),
                    email: format!("customer{c}@bench.example"),
                    phone: "+44 20 7946 0958".into(),
                })
                .await
                .map_err(|e| format!("registering a customer failed: {e}"))?;
            customers.push(customer.id);
        }
        let mut products = Vec::with_capacity(PRODUCTS);
        for p in 0..PRODUCTS {
            let product = service
                .add_product(
                    NewProduct {
                        name: format!("Bench Product {p}"),
                        sku: format!("BENCH-{p:03}"),
                        stock: STOCK,
                        price: Money::from_cents(100 + 25 * p as i64),
                        low_stock_threshold: None,
                    },
                    Actor::system(),
                )
                .await
                .map_err(|e| format!("adding a product failed: {e}"))?;
            products.push(product.id);
        }
        Ok(Arc::new(Shop {
            service,
            database,
            customers,
            products,
        }))
    }

    /// The `i`th order: a rotating customer and 3 different products.
    pub(crate) fn order(&self, i: usize) -> NewOrder {
        NewOrder {
            customer: self.customers[i % self.customers.len()],
            items: (0..LINES_PER_ORDER)
                .map(|k| NewOrderLine {
                    product: self.products[(LINES_PER_ORDER * i + k) % self.products.len()]
                        .to_string(),
                    quantity: 1,
                })
                .collect(),
            shipping_address: None,
            payment_received: false,
        }
    }

    pub(crate) fn order_json(&self, i: usize) -> Vec<u8> {
        serde_json::to_vec(&self.order(i)).expect("orders serialize")
    }

    pub(crate) async fn place(&self, i: usize) -> Result<Id, String> {
        let placed = self
            .service
            .place_order(self.order(i), None, Actor::customer())
            .await
            .map_err(|e| format!("placing an order failed: {e}"))?;
        Ok(placed.placed.order.id)
    }
}
