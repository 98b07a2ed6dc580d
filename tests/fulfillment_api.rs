//! Orders that leave the building, over real HTTP against the real server
//! on both stores: a delivery address and currency on the order, parcels
//! with tracking, returns, refunds and notes, what the tracking link shows,
//! the list's new filters, and hostile input to every new endpoint.

mod common;

use common::api::{public_client, Api};
use common::live::{live_feed, next_order_event};
use common::{on_every_store, Backend, Server};
use reqwest::StatusCode;
use serde_json::{json, Value};

on_every_store!(
    an_order_ships_in_two_parcels_and_comes_back,
    the_seed_fulfilled_move_ships_everything,
    retried_refunds_refund_once,
    hostile_fulfillment_input_gets_a_clear_4xx_and_changes_nothing,
);

fn address() -> Value {
    json!({"name": "Ada Lovelace", "line1": "Hauptstrasse 1", "city": "Berlin",
           "postalCode": "10115", "country": "de"})
}

/// A shop with 10 × A at 10.00 and 10 × B at 5.00, and a PAID order of
/// 3 × A and 2 × B (40.00) going to Berlin, placed as a shopper would.
async fn paid_order(api: &Api) -> (Value, String) {
    let ada = api.customer("ada@example.com").await;
    api.product("A", 10, 10.0).await;
    api.product("B", 10, 5.0).await;
    let r = public_client()
        .post(api.url("/api/orders"))
        .json(
            &json!({"customer": ada["_id"], "shippingAddress": address(),
                      "items": [{"product": "A", "quantity": 3}, {"product": "B", "quantity": 2}]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let placed: Value = r.json().await.unwrap();
    let token = placed["trackingToken"].as_str().unwrap().to_string();
    let (status, paid) = api.set_status(&placed, "PAID").await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    (paid, token)
}

fn path(order: &Value, what: &str) -> String {
    format!("/api/orders/{}/{what}", order["_id"].as_str().unwrap())
}

async fn an_order_ships_in_two_parcels_and_comes_back(backend: Backend) {
    let api = Api::start_on(backend);
    let (order, token) = paid_order(&api).await;
    assert_eq!(order["currency"], "USD");
    assert_eq!(order["paymentStatus"], "PAID");
    assert_eq!(order["fulfillmentStatus"], "UNFULFILLED");
    assert_eq!(order["refundedTotal"], json!(0));
    assert_eq!(
        order["shippingAddress"]["country"], "DE",
        "stored as the code"
    );
    assert_eq!(order["shippingAddress"].get("line2"), None);
    let (_, products) = api.get("/api/products").await;
    assert_eq!(products[0]["currency"], "USD");

    let mut tracker = live_feed(&api.server.url, &format!("?track={token}"), false).await;
    let (status, first) = api
        .post(
            &path(&order, "shipments"),
            json!({"items": [{"product": "A", "quantity": 2}], "carrier": "DHL",
                   "trackingNumber": "JD0001", "trackingUrl": "https://track.example/JD0001"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["fulfillmentStatus"], "PARTIALLY_FULFILLED");
    assert_eq!(first["status"], "PAID");
    assert_eq!(first["items"][0]["shippedQuantity"], 2);
    let seen = next_order_event(&mut tracker).await;
    assert_eq!(seen["shipments"][0]["trackingNumber"], "JD0001", "{seen}");
    assert_eq!(
        seen["customer"]["email"], "a••@example.com",
        "as the customer sees it"
    );

    let (status, rest) = api
        .post(
            &path(&order, "shipments"),
            json!({"carrier": "UPS", "trackingNumber": "1Z999"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rest}");
    assert_eq!(rest["status"], "FULFILLED");
    assert_eq!(rest["fulfillmentStatus"], "FULFILLED");
    assert_eq!(rest["shipments"].as_array().unwrap().len(), 2);
    let seen = next_order_event(&mut tracker).await;
    assert_eq!(seen["status"], "FULFILLED");

    let (status, returned) = api
        .post(
            &path(&order, "returns"),
            json!({"items": [{"product": "A", "quantity": 1}], "reason": "DAMAGED",
                   "note": "box crushed", "restock": true, "refund": 10}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{returned}");
    assert_eq!(returned["items"][0]["returnedQuantity"], 1);
    assert_eq!(returned["refundedTotal"], json!(10));
    assert_eq!(returned["paymentStatus"], "PARTIALLY_REFUNDED");
    assert_eq!(
        api.stock("A").await,
        8,
        "10 − 3 ordered + 1 returned to stock"
    );

    let (status, too_much) = api
        .post(&path(&order, "refunds"), json!({"amount": 30.01}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(too_much["code"], "refund_too_large");
    assert_eq!(too_much["details"]["refundable"], json!(30));
    let (status, refunded) = api
        .post(
            &path(&order, "refunds"),
            json!({"amount": 5.5, "reason": "late"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{refunded}");
    assert_eq!(refunded["refundedTotal"], json!(15.5));

    for (text, visible) in [
        ("Packed with care", true),
        ("Asked twice for a discount", false),
    ] {
        let (status, noted) = api
            .post(
                &path(&order, "notes"),
                json!({"text": text, "visibleToCustomer": visible}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{noted}");
    }
    let (_, staff) = api
        .get(&format!("/api/orders/{}", order["_id"].as_str().unwrap()))
        .await;
    let kinds: Vec<&str> = staff["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "STATUS", "STATUS", "SHIPMENT", "SHIPMENT", "STATUS", "RETURN", "REFUND", "REFUND",
            "NOTE", "NOTE"
        ]
    );

    let tracked: Value = public_client()
        .get(api.url(&format!(
            "/api/orders/{}?token={token}",
            order["_id"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        tracked["shipments"][0]["trackingUrl"],
        "https://track.example/JD0001"
    );
    assert_eq!(tracked["notes"].as_array().unwrap().len(), 1);
    let text = tracked.to_string();
    for secret in ["discount", "box crushed", "\"late\""] {
        assert!(
            !text.contains(secret),
            "{secret} shown to the customer: {text}"
        );
    }

    let listed = |query: &str| {
        let api = &api;
        let query = query.to_string();
        async move {
            let (status, list) = api.get(&format!("/api/orders?{query}")).await;
            assert_eq!(status, StatusCode::OK, "{list}");
            list.as_array().unwrap().len()
        }
    };
    assert_eq!(listed("paymentStatus=PARTIALLY_REFUNDED").await, 1);
    assert_eq!(listed("paymentStatus=PAID").await, 0);
    assert_eq!(listed("fulfillmentStatus=FULFILLED").await, 1);
    assert_eq!(listed("fulfillmentStatus=UNFULFILLED").await, 0);

    let (_, openapi) = api.get("/api/openapi.json").await;
    for route in ["shipments", "returns", "refunds", "notes"] {
        assert!(
            openapi["paths"][format!("/api/orders/{{id}}/{route}")]["post"].is_object(),
            "{route} is documented"
        );
    }
}

async fn the_seed_fulfilled_move_ships_everything(backend: Backend) {
    let api = Api::start_on(backend);
    let (order, _) = paid_order(&api).await;
    let (status, fulfilled) = api.set_status(&order, "FULFILLED").await;
    assert_eq!(status, StatusCode::OK, "{fulfilled}");
    assert_eq!(fulfilled["fulfillmentStatus"], "FULFILLED");
    let shipment = &fulfilled["shipments"][0];
    assert_eq!(shipment["items"].as_array().unwrap().len(), 2);
    assert_eq!(shipment.get("trackingNumber"), None, "no tracking");

    let (status, paid) = paid_order_in(&api, "bob@example.com").await;
    assert_eq!(status, StatusCode::OK);
    let (_, cancelled) = api.set_status(&paid, "CANCELLED").await;
    assert_eq!(cancelled["paymentStatus"], "REFUNDED", "{cancelled}");
    assert_eq!(cancelled["refundedTotal"], json!(10));
}

/// Another PAID order (1 × A) by a new customer.
async fn paid_order_in(api: &Api, email: &str) -> (StatusCode, Value) {
    let bob = api.customer(email).await;
    let (_, placed) = api.order(&bob, &[("A", 1)]).await;
    api.set_status(&placed, "PAID").await
}

async fn retried_refunds_refund_once(backend: Backend) {
    let api = Api::start_on(backend);
    let (order, _) = paid_order(&api).await;
    let refund = |amount: f64| {
        api.http
            .post(api.url(&path(&order, "refunds")))
            .header("idempotency-key", "refund-7")
            .json(&json!({"amount": amount}))
            .send()
    };
    let first = refund(12.0).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let again = refund(12.0).await.unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["refundedTotal"], json!(12));
    let other = refund(13.0).await.unwrap();
    assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = other.json().await.unwrap();
    assert_eq!(body["code"], "idempotency_key_reused");
    let (_, read) = api
        .get(&format!("/api/orders/{}", order["_id"].as_str().unwrap()))
        .await;
    assert_eq!(read["refunds"].as_array().unwrap().len(), 1);
}

async fn hostile_fulfillment_input_gets_a_clear_4xx_and_changes_nothing(backend: Backend) {
    let api = Api::start_on(backend);
    let (order, _) = paid_order(&api).await;
    let ada = api.get("/api/customers").await.1[0].clone();
    let (_, pending) = api.order(&ada, &[("B", 1)]).await;
    let snapshot = || async {
        (
            api.get("/api/products").await.1,
            api.get("/api/orders").await.1,
        )
    };
    let before = snapshot().await;
    let ship = path(&order, "shipments");
    let back = path(&order, "returns");
    let refund = path(&order, "refunds");
    let note = path(&order, "notes");
    let unknown = "/api/orders/6745f0a1c2d3e4f5a6b7c8d9/shipments".to_string();
    let with_address = |a: Value| {
        json!({"customer": ada["_id"], "items": [{"product": "A", "quantity": 1}], "shippingAddress": a})
            .to_string()
    };
    let address_with = |field: &str, value: Value| {
        let mut a = address();
        a[field] = value;
        with_address(a)
    };
    let ret = |items: Value, extra: Value| {
        let mut body = json!({"items": items, "reason": "DAMAGED", "restock": true});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body.to_string()
    };
    // (path, body, expected status, expected code)
    let cases: Vec<(String, String, u16, &str)> = vec![
        (
            ship.clone(),
            json!({"items": [{"product": "NOPE", "quantity": 1}]}).to_string(),
            422,
            "invalid_value",
        ),
        (
            ship.clone(),
            json!({"items": [{"product": "A", "quantity": 4}]}).to_string(),
            422,
            "invalid_value",
        ),
        (
            ship.clone(),
            json!({"items": [{"product": "A", "quantity": -1}]}).to_string(),
            422,
            "invalid_value",
        ),
        (
            ship.clone(),
            json!({"items": [{"product": "A", "quantity": 0}]}).to_string(),
            422,
            "invalid_value",
        ),
        (
            ship.clone(),
            json!({"items": [{"product": "A", "quantity": 1.5}]}).to_string(),
            422,
            "invalid_value",
        ),
        (
            ship.clone(),
            json!({"items": [{"product": "A", "quantity": "1"}]}).to_string(),
            422,
            "invalid_value",
        ),
        (
            ship.clone(),
            json!({"items": []}).to_string(),
            409,
            "order_state_conflict",
        ),
        (
            ship.clone(),
            json!({"trackingUrl": "javascript:alert(1)"}).to_string(),
            422,
            "invalid_value",
        ),
        (
            ship.clone(),
            json!({"trackingUrl": "data:text/html,<script>alert(1)</script>"}).to_string(),
            422,
            "invalid_value",
        ),
        (
            ship.clone(),
            json!({"trackingUrl": "https://user@evil.example/"}).to_string(),
            422,
            "invalid_value",
        ),
        (
            ship.clone(),
            json!({"carrier": "x".repeat(101)}).to_string(),
            422,
            "invalid_value",
        ),
        (
            ship.clone(),
            json!({"trackingNumber": "a\u{0}b"}).to_string(),
            422,
            "invalid_value",
        ),
        (
            ship.clone(),
            json!({"status": "SHIPPED"}).to_string(),
            422,
            "invalid_value",
        ),
        (
            path(&pending, "shipments"),
            json!({}).to_string(),
            409,
            "order_state_conflict",
        ),
        (unknown, json!({}).to_string(), 404, "not_found"),
        (
            back.clone(),
            ret(json!([{"product": "A", "quantity": 1}]), json!({})),
            422,
            "invalid_value",
        ),
        (
            back.clone(),
            ret(json!([]), json!({})),
            422,
            "invalid_value",
        ),
        (
            back.clone(),
            json!({"items": [{"product": "A", "quantity": 1}], "reason": "BORED", "restock": true})
                .to_string(),
            422,
            "invalid_value",
        ),
        (
            back.clone(),
            json!({"items": [{"product": "A", "quantity": 1}], "reason": "DAMAGED"}).to_string(),
            422,
            "invalid_value",
        ),
        (
            refund.clone(),
            json!({"amount": 40.01}).to_string(),
            422,
            "refund_too_large",
        ),
        (
            refund.clone(),
            json!({"amount": 0}).to_string(),
            422,
            "invalid_value",
        ),
        (
            refund.clone(),
            json!({"amount": -5}).to_string(),
            422,
            "invalid_value",
        ),
        (
            refund.clone(),
            json!({"amount": 1.005}).to_string(),
            422,
            "invalid_value",
        ),
        (
            refund.clone(),
            json!({"amount": "10"}).to_string(),
            422,
            "invalid_value",
        ),
        (
            refund.clone(),
            json!({"amount": 1, "reason": "r".repeat(501)}).to_string(),
            422,
            "invalid_value",
        ),
        (
            path(&pending, "refunds"),
            json!({"amount": 1}).to_string(),
            409,
            "order_state_conflict",
        ),
        (
            note.clone(),
            json!({"text": ""}).to_string(),
            422,
            "invalid_value",
        ),
        (
            note.clone(),
            json!({"text": "n".repeat(2001)}).to_string(),
            422,
            "invalid_value",
        ),
        (
            note.clone(),
            json!({"text": 5}).to_string(),
            422,
            "invalid_value",
        ),
        (
            "/api/orders".into(),
            address_with("country", json!("XX")),
            422,
            "invalid_value",
        ),
        (
            "/api/orders".into(),
            address_with("country", json!("Germany")),
            422,
            "invalid_value",
        ),
        (
            "/api/orders".into(),
            address_with("city", json!("")),
            422,
            "invalid_value",
        ),
        (
            "/api/orders".into(),
            address_with("name", json!("n".repeat(201))),
            422,
            "invalid_value",
        ),
        (
            "/api/orders".into(),
            address_with("line2", json!("a\nb")),
            422,
            "invalid_value",
        ),
        (
            "/api/orders".into(),
            address_with("planet", json!("Mars")),
            422,
            "invalid_value",
        ),
        (
            "/api/orders".into(),
            with_address(json!("Hauptstrasse 1, Berlin")),
            422,
            "invalid_value",
        ),
    ];
    assert!(cases.len() >= 25);
    for (path, body, expected, code) in &cases {
        let (status, answer) = api.post(path, serde_json::from_str(body).unwrap()).await;
        assert_eq!(
            status.as_u16(),
            *expected,
            "POST {path} {body:.200}: {answer}"
        );
        assert_eq!(answer["code"], *code, "POST {path} {body:.200}: {answer}");
        assert!(answer["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    let bad_country = serde_json::from_str(&address_with("country", json!("XX"))).unwrap();
    let (status, field) = api.post("/api/orders", bad_country).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field["details"]["field"], "shippingAddress.country");
    for query in ["paymentStatus=paid", "fulfillmentStatus=SHIPPED"] {
        let (status, answer) = api.get(&format!("/api/orders?{query}")).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {answer}"
        );
    }
    let anonymous = public_client()
        .post(api.url(&refund))
        .json(&json!({"amount": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    // A form posted from elsewhere with a crafted order id is sent back
    // within the console, never to another site.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for id in [
        "../..//evil.example",
        "..%2F..%2F%2Fevil.example",
        "//evil.example",
    ] {
        let r = no_redirects
            .post(api.url("/api/fn/ship_order"))
            .header("accept", "text/html")
            .form(&[("id", id)])
            .send()
            .await
            .unwrap();
        let location = r
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string())
            .unwrap_or_default();
        assert!(
            !location.contains("evil.example") && !location.starts_with("//"),
            "{id}: {} to {location}",
            r.status()
        );
    }
    assert_eq!(snapshot().await, before, "nothing changed");
}

/// A shopper retrying an order with its Idempotency-Key gets the order as
/// its tracking link shows it, whatever staff have added since.
#[tokio::test]
async fn a_replayed_order_shows_a_shopper_only_what_is_theirs() {
    let api = Api::on(Server::start());
    let ada = api.customer("ada@example.com").await;
    api.product("A", 5, 10.0).await;
    let place = || {
        public_client()
            .post(api.url("/api/orders"))
            .header("idempotency-key", "shopper-retry-1")
            .json(&json!({"customer": ada["_id"], "items": [{"product": "A", "quantity": 1}]}))
            .send()
    };
    let first: Value = place().await.unwrap().json().await.unwrap();
    let (status, _) = api
        .post(
            &path(&first, "notes"),
            json!({"text": "Suspected fraud, hold", "visibleToCustomer": false}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let again = place().await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["_id"], first["_id"]);
    assert!(!again.to_string().contains("fraud"), "{again}");
    assert_eq!(again["customer"]["email"], "a••@example.com");
}

/// The currency a shop is configured with is on every price and order.
#[tokio::test]
async fn a_shop_in_euros_says_so() {
    let api = Api::on(Server::start_with(&[("IGNIFLO_CURRENCY", "eur")]));
    let product = api.product("A", 1, 9.99).await;
    assert_eq!(product["currency"], "EUR");
    let ada = api.customer("ada@example.com").await;
    let (_, order) = api.order(&ada, &[("A", 1)]).await;
    assert_eq!(order["currency"], "EUR");
}
