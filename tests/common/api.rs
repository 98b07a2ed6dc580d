//! The one HTTP client of the tests: reqwest with a 30 s timeout, as an
//! integration (the admin bearer token) or as a shopper (no credentials),
//! and `Api`, the REST API of one running server spoken as JSON.

use super::{Backend, Server, ADMIN_TOKEN};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

/// An integration's client: every request carries the admin bearer token.
pub fn admin_client() -> Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "authorization",
        format!("Bearer {ADMIN_TOKEN}").parse().unwrap(),
    );
    Client::builder()
        .timeout(Duration::from_secs(30))
        .default_headers(headers)
        .build()
        .unwrap()
}

/// A shopper's client: no credentials at all.
pub fn public_client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// The REST API of one running server, as JSON: an integration's requests
/// carry the admin token (`http`), a shopper's carry nothing (`public`).
pub struct Api {
    pub server: Server,
    /// Carries the admin token.
    pub http: Client,
    /// Anonymous.
    pub public: Client,
}

impl Api {
    pub fn start_on(backend: Backend) -> Api {
        Api::on(Server::start_on(backend))
    }

    pub fn on(server: Server) -> Api {
        Api {
            server,
            http: admin_client(),
            public: public_client(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url)
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status(), r.json().await.unwrap_or(Value::Null))
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .http
            .patch(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status(), r.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let r = self.http.get(self.url(path)).send().await.unwrap();
        (r.status(), r.json().await.unwrap_or(Value::Null))
    }

    /// Registers a customer anonymously, as a shopper would.
    pub async fn customer(&self, email: &str) -> Value {
        let body = json!({"name": "Ada Lovelace", "email": email, "phone": "+44 20 7946 0958"});
        let r = self
            .public
            .post(self.url("/api/customers"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    pub async fn product(&self, sku: &str, stock: i64, price: f64) -> Value {
        let (status, body) = self
            .post("/api/products", json!({"name": format!("Product {sku}"), "sku": sku, "stock": stock, "price": price}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    /// Places an order anonymously, as a shopper would.
    pub async fn order(&self, customer: &Value, lines: &[(&str, i64)]) -> (StatusCode, Value) {
        let items: Vec<Value> = lines
            .iter()
            .map(|(p, q)| json!({"product": p, "quantity": q}))
            .collect();
        let body = json!({"customer": customer["_id"], "items": items, "paymentReceived": false});
        let r = self
            .public
            .post(self.url("/api/orders"))
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status(), r.json().await.unwrap_or(Value::Null))
    }

    pub async fn stock(&self, sku: &str) -> i64 {
        let (_, products) = self.get("/api/products").await;
        products
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["sku"] == sku)
            .unwrap()["stock"]
            .as_i64()
            .unwrap()
    }

    pub async fn set_status(&self, order: &Value, status: &str) -> (StatusCode, Value) {
        self.patch(
            &format!("/api/orders/{}/status", order["_id"].as_str().unwrap()),
            json!({"status": status}),
        )
        .await
    }
}
