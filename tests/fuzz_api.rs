//! Property test: whatever JSON arrives — random values, or the right field
//! names with values of random types and sizes — the API answers with a
//! JSON error or success, never a 5xx.

mod common;

use common::api::public_client;
use common::{Backend, Server, ADMIN_TOKEN};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Map, Value};

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "\\PC{0,40}".prop_map(Value::String),
        Just(json!("6745f0a1c2d3e4f5a6b7c8d9")),
        Just(json!("MUG")),
        Just(json!("x".repeat(300))),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An object with the endpoint's own field names, each holding anything.
fn shaped(fields: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop::collection::vec(
        (prop::sample::select(fields), any_json()),
        0..fields.len() + 2,
    )
    .prop_map(|pairs| {
        let mut map = Map::new();
        for (k, v) in pairs {
            map.insert(k.to_string(), v);
        }
        Value::Object(map)
    })
}

#[test]
fn no_input_gets_a_5xx_on_sqlite() {
    no_input_gets_a_5xx(Backend::Sqlite);
}

#[test]
fn no_input_gets_a_5xx_on_mongo() {
    no_input_gets_a_5xx(Backend::Mongo);
}

fn no_input_gets_a_5xx(backend: Backend) {
    let server = Server::start_on(backend);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let http = public_client();
    let (customer, order, mug) = rt.block_on(async {
        let post = |path: &str, body: Value| {
            http.post(format!("{}{path}", server.url))
                .bearer_auth(ADMIN_TOKEN)
                .json(&body)
                .send()
        };
        let mug: Value = post(
            "/api/products",
            json!({"name": "Mug", "sku": "MUG", "stock": 100000, "price": 9.5}),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        let c: Value = post(
            "/api/customers",
            json!({"name": "Ada", "email": "ada@example.com", "phone": "5551234"}),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        let o: Value = post(
            "/api/orders",
            json!({"customer": c["_id"], "items": [{"product": "MUG", "quantity": 1}]}),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        (
            c["_id"].as_str().unwrap().to_string(),
            o["_id"].as_str().unwrap().to_string(),
            mug["_id"].as_str().unwrap().to_string(),
        )
    });
    let endpoints: Vec<(&str, String, BoxedStrategy<Value>)> = vec![
        (
            "POST",
            "/api/orders".into(),
            shaped(&["customer", "items", "paymentReceived"]).boxed(),
        ),
        (
            "POST",
            "/api/orders".into(),
            any_json()
                .prop_map(move |items| json!({"customer": customer, "items": items}))
                .boxed(),
        ),
        ("POST", "/api/orders".into(), any_json().boxed()),
        (
            "POST",
            "/api/customers".into(),
            shaped(&["name", "email", "phone"]).boxed(),
        ),
        (
            "POST",
            "/api/products".into(),
            shaped(&["name", "sku", "stock", "price"]).boxed(),
        ),
        (
            "PATCH",
            format!("/api/orders/{order}/status"),
            shaped(&["status"]).boxed(),
        ),
        (
            "PATCH",
            "/api/products/6745f0a1c2d3e4f5a6b7c8d9".into(),
            shaped(&["name", "price", "stock", "stockAdjustment"]).boxed(),
        ),
        (
            "PATCH",
            format!("/api/products/{mug}"),
            shaped(&[
                "name",
                "price",
                "stock",
                "stockAdjustment",
                "lowStockThreshold",
            ])
            .boxed(),
        ),
        (
            "GET",
            format!("/api/products/{mug}/movements"),
            any_json().boxed(),
        ),
        (
            "POST",
            "/api/auth/login".into(),
            shaped(&["username", "password"]).boxed(),
        ),
    ];
    for (method, path, strategy) in endpoints {
        let mut runner = TestRunner::new(Config {
            cases: 150,
            failure_persistence: None,
            ..Config::default()
        });
        runner
            .run(&strategy, |body| {
                let status = rt.block_on(async {
                    http.request(method.parse().unwrap(), format!("{}{path}", server.url))
                        .bearer_auth(ADMIN_TOKEN)
                        .json(&body)
                        .send()
                        .await
                        .unwrap()
                        .status()
                });
                prop_assert!(status.as_u16() < 500, "{method} {path} {body} -> {status}");
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{e}"));
    }
    // Whatever was accepted, the stock still adds up.
    let check: Value = rt.block_on(async {
        http.get(format!("{}/api/stock/check", server.url))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(check, json!({"ok": true, "mismatches": []}));
}
