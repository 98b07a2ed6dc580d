//! The REST API, the live doors and the operational endpoints, over real HTTP
//! against the real server binary, each test on both stores: a temporary
//! SQLite file and a fresh MongoDB database (on SecantusDB).

mod common;

use common::api::Api;
use common::live::{live_feed, next_order_event, LiveFeed, SocketIoListener};
use common::{free_port, on_every_store, Backend, SecantusDb, Server, ADMIN_TOKEN};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

on_every_store!(
    the_seed_contract_round_trip,
    the_transition_table_over_http,
    cancelling_returns_stock_once_and_failed_orders_take_none,
    a_cancellation_keeps_its_reason_for_staff_only,
    an_idempotency_key_makes_retries_safe,
    a_hundred_buyers_race_for_twenty_units,
    hostile_input_gets_a_clear_4xx_and_changes_nothing,
    order_lists_page_with_a_link_header_and_filter,
    operations_endpoints_docs_pages_and_logs,
    websocket_clients_receive_order_updated,
    socket_io_clients_receive_order_updated,
    sigterm_finishes_and_closes_the_database,
    the_stock_ledger_over_http,
    a_shop_counts_days_and_shows_times_in_its_own_time_zone,
    metrics_count_what_the_shop_does_for_those_allowed_to_read_them,
);

fn assert_error_shape(body: &Value, code: &str) {
    assert!(
        body["error"].as_str().is_some_and(|e| !e.is_empty()),
        "no error sentence in {body}"
    );
    assert_eq!(body["code"], code, "{body}");
    assert!(body.get("details").is_some(), "no details in {body}");
}

async fn the_seed_contract_round_trip(backend: Backend) {
    let api = Api::start_on(backend);
    let ada = api.customer("ada@example.com").await;
    assert_eq!(ada["email"], "ada@example.com");
    assert_eq!(ada["_id"].as_str().unwrap().len(), 24);
    let (_, customers) = api.get("/api/customers").await;
    assert_eq!(customers.as_array().unwrap().len(), 1);

    let mug = api.product("MUG-01", 10, 14.5).await;
    assert_eq!(mug["price"], json!(14.5));
    assert_eq!(api.product("WHOLE", 1, 12.0).await["price"], json!(12));
    let bean = api.product("BEAN-1", 4, 24.99).await;
    let (status, dup) = api
        .post(
            "/api/products",
            json!({"name": "x", "sku": "MUG-01", "stock": 1, "price": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error_shape(&dup, "duplicate");
    assert_eq!(dup["error"], "A product with SKU \"MUG-01\" already exists");

    // `product` may be a SKU or an id.
    let r = api
        .http
        .post(api.url("/api/orders"))
        .json(&json!({"customer": ada["_id"], "items": [
            {"product": "MUG-01", "quantity": 2},
            {"product": bean["_id"], "quantity": 3}
        ], "paymentReceived": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let order: Value = r.json().await.unwrap();
    assert_eq!(
        location,
        format!("/api/orders/{}", order["_id"].as_str().unwrap())
    );
    assert_eq!(order["status"], "PENDING");
    assert_eq!(order["total"], json!(103.97));
    assert_eq!(order["paymentReceived"], false);
    assert_eq!(order["customer"]["email"], "ada@example.com");
    assert_eq!(order["items"][0]["product"]["sku"], "MUG-01");
    assert_eq!(order["items"][0]["unitPrice"], json!(14.5));
    assert_eq!(order["items"][1]["lineTotal"], json!(74.97));
    assert_eq!(order["statusHistory"][0]["status"], "PENDING");
    assert!(order["createdAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(api.stock("MUG-01").await, 8);
    assert_eq!(api.stock("BEAN-1").await, 1);

    let (_, second) = api.order(&ada, &[("MUG-01", 1)]).await;
    let (status, list) = api.get("/api/orders").await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![
            second["_id"].as_str().unwrap(),
            order["_id"].as_str().unwrap()
        ],
        "newest first"
    );
    assert_eq!(
        list[1]["customer"]["name"], "Ada Lovelace",
        "customer populated"
    );
    assert_eq!(
        list[1]["items"][1]["product"]["name"], "Product BEAN-1",
        "product populated"
    );

    let (status, one) = api.get(&location).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["_id"], order["_id"]);
    let (status, paid) = api.set_status(&order, "PAID").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (paid["status"].as_str(), paid["paymentReceived"].as_bool()),
        (Some("PAID"), Some(true))
    );

    let (status, patched) = api
        .patch(
            &format!("/api/products/{}", mug["_id"].as_str().unwrap()),
            json!({"price": 15.25, "stockAdjustment": -3}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(
        (patched["price"].clone(), patched["stock"].clone()),
        (json!(15.25), json!(4))
    );
}

async fn the_transition_table_over_http(backend: Backend) {
    let api = Api::start_on(backend);
    let ada = api.customer("ada@example.com").await;
    api.product("A", 10, 1.0).await;
    let (_, order) = api.order(&ada, &[("A", 1)]).await;
    let (status, body) = api.set_status(&order, "FULFILLED").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error_shape(&body, "invalid_transition");
    assert_eq!(body["details"]["allowed"], json!(["PAID", "CANCELLED"]));
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("PAID or CANCELLED"),
        "{body}"
    );
    assert_eq!(
        api.set_status(&order, "PENDING").await.0,
        StatusCode::OK,
        "same status is a no-op"
    );
    assert_eq!(api.set_status(&order, "PAID").await.0, StatusCode::OK);
    assert_eq!(api.set_status(&order, "FULFILLED").await.0, StatusCode::OK);
    let (status, body) = api.set_status(&order, "CANCELLED").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["details"]["allowed"], json!([]));
    let (status, body) = api.set_status(&order, "SHIPPED").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["details"]["field"], "status");
    let (status, body) = api
        .patch(
            "/api/orders/6745f0a1c2d3e4f5a6b7c8d9/status",
            json!({"status": "PAID"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error_shape(&body, "not_found");
}

async fn a_cancellation_keeps_its_reason_for_staff_only(backend: Backend) {
    let api = Api::start_on(backend);
    let ada = api.customer("ada@example.com").await;
    api.product("A", 10, 1.0).await;
    let (_, order) = api.order(&ada, &[("A", 3)]).await;
    let id = order["_id"].as_str().unwrap();
    let path = format!("/api/orders/{id}/status");

    // Too long a reason: refused, naming the field, and nothing changes.
    let (status, body) = api
        .patch(
            &path,
            json!({"status": "CANCELLED", "reason": "x".repeat(501)}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error_shape(&body, "invalid_value");
    assert_eq!(body["details"]["field"], "reason");
    assert_eq!(api.stock("A").await, 7);
    assert_eq!(
        api.get(&format!("/api/orders/{id}")).await.1["status"],
        "PENDING"
    );

    let (status, cancelled) = api
        .patch(
            &path,
            json!({"status": "CANCELLED", "reason": "  Customer asked by phone  "}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(api.stock("A").await, 10);
    let last = |o: &Value| {
        o["statusHistory"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone()
    };
    assert_eq!(last(&cancelled)["status"], "CANCELLED");
    assert_eq!(last(&cancelled)["reason"], "Customer asked by phone");
    let (_, stored) = api.get(&format!("/api/orders/{id}")).await;
    assert_eq!(last(&stored)["reason"], "Customer asked by phone", "kept");
    assert!(
        stored["statusHistory"][0].get("reason").is_none(),
        "no reason, no field"
    );

    // The customer's view leaves staff's reasons out.
    let token = order["trackingToken"].as_str().unwrap();
    let r = api
        .public
        .get(api.url(&format!("/api/orders/{id}")))
        .header("x-tracking-token", token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let seen: Value = r.json().await.unwrap();
    assert_eq!(last(&seen)["status"], "CANCELLED");
    assert!(last(&seen).get("reason").is_none(), "{seen}");
}

async fn cancelling_returns_stock_once_and_failed_orders_take_none(backend: Backend) {
    let api = Api::start_on(backend);
    let ada = api.customer("ada@example.com").await;
    api.product("A", 10, 1.0).await;
    api.product("B", 10, 2.0).await;
    api.product("C", 2, 3.0).await;

    let (status, body) = api.order(&ada, &[("A", 4), ("B", 5), ("C", 3)]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error_shape(&body, "out_of_stock");
    assert_eq!(
        body["details"],
        json!({"line": 2, "sku": "C", "requested": 3, "available": 2})
    );
    assert_eq!(
        (
            api.stock("A").await,
            api.stock("B").await,
            api.stock("C").await
        ),
        (10, 10, 2)
    );
    assert_eq!(api.get("/api/orders").await.1, json!([]));

    let (_, order) = api.order(&ada, &[("A", 4), ("B", 5)]).await;
    assert_eq!((api.stock("A").await, api.stock("B").await), (6, 5));
    assert_eq!(api.set_status(&order, "CANCELLED").await.0, StatusCode::OK);
    assert_eq!((api.stock("A").await, api.stock("B").await), (10, 10));
    assert_eq!(api.set_status(&order, "CANCELLED").await.0, StatusCode::OK);
    assert_eq!(
        (api.stock("A").await, api.stock("B").await),
        (10, 10),
        "returned once"
    );
}

async fn the_stock_ledger_over_http(backend: Backend) {
    let api = Api::start_on(backend);
    let ada = api.customer("ada@example.com").await;
    let mug = api.product("MUG", 6, 4.5).await;
    let id = mug["_id"].as_str().unwrap();
    assert_eq!(mug["lowStockThreshold"], 5);
    let (_, order) = api.order(&ada, &[("MUG", 2)]).await;
    let (status, _) = api
        .patch(
            &format!("/api/products/{id}"),
            json!({"stockAdjustment": 10, "lowStockThreshold": 20}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, ledger) = api.get(&format!("/api/products/{id}/movements")).await;
    assert_eq!(status, StatusCode::OK);
    let rows: Vec<(String, i64, i64)> = ledger
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["reason"].as_str().unwrap().to_string(),
                m["delta"].as_i64().unwrap(),
                m["stockAfter"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("ADJUSTED".into(), 10, 14),
            ("ORDERED".into(), -2, 4),
            ("RECEIVED".into(), 6, 6)
        ]
    );
    assert_eq!(ledger[1]["order"], order["_id"]);
    assert_eq!(ledger[1]["sku"], "MUG");
    assert_eq!(ledger[1]["actor"]["kind"], "customer");
    // Pages like the order list: a full page links to the next.
    let r = api
        .http
        .get(api.url(&format!("/api/products/{id}/movements?limit=2")))
        .send()
        .await
        .unwrap();
    let link = r.headers()["link"].to_str().unwrap().to_string();
    assert!(
        link.contains(&format!("cursor={}", ledger[1]["_id"].as_str().unwrap())),
        "{link}"
    );
    let (_, rest) = api
        .get(&format!(
            "/api/products/{id}/movements?limit=2&cursor={}",
            ledger[1]["_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(rest, json!([ledger[2]]));
    // Bad input is a clear 4xx.
    let (status, body) = api
        .get(&format!("/api/products/{id}/movements?cursor=x"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error_shape(&body, "invalid_value");
    let (status, body) = api
        .get("/api/products/0123456789abcdef01234567/movements")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error_shape(&body, "not_found");
    let (status, body) = api
        .patch(
            &format!("/api/products/{id}"),
            json!({"lowStockThreshold": -1}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["details"]["field"], "lowStockThreshold");
    // 14 units, threshold 20: low.
    let (_, low) = api.get("/api/products?lowStock=true").await;
    assert_eq!(low.as_array().unwrap().len(), 1);
    assert_eq!(low[0]["sku"], "MUG");
    assert_the_ledger_agrees(&api).await;
}

async fn an_idempotency_key_makes_retries_safe(backend: Backend) {
    let api = Api::start_on(backend);
    let ada = api.customer("ada@example.com").await;
    api.product("A", 10, 1.0).await;
    let body = json!({"customer": ada["_id"], "items": [{"product": "A", "quantity": 3}]});
    let send = |body: Value| {
        api.http
            .post(api.url("/api/orders"))
            .header("Idempotency-Key", "checkout-7f3a")
            .json(&body)
            .send()
    };
    let first = send(body.clone()).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();
    let retry = send(body.clone()).await.unwrap();
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    let retry: Value = retry.json().await.unwrap();
    assert_eq!(retry["_id"], first["_id"]);
    assert_eq!(api.stock("A").await, 7);
    let other = send(json!({"customer": ada["_id"], "items": [{"product": "A", "quantity": 1}]}))
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_error_shape(&other.json().await.unwrap(), "idempotency_key_reused");
    assert_eq!(api.stock("A").await, 7);
    assert_eq!(api.get("/api/orders").await.1.as_array().unwrap().len(), 1);
}

async fn a_hundred_buyers_race_for_twenty_units(backend: Backend) {
    let api = Api::start_on(backend);
    api.product("HOT", 20, 9.99).await;
    let mut buyers = Vec::new();
    for i in 0..100 {
        let buyer = api.customer(&format!("buyer{i}@example.com")).await;
        let (http, url) = (api.public.clone(), api.url("/api/orders"));
        buyers.push(tokio::spawn(async move {
            let r = http
                .post(url)
                .json(&json!({"customer": buyer["_id"], "items": [{"product": "HOT", "quantity": 1}]}))
                .send()
                .await
                .unwrap();
            r.status()
        }));
    }
    let mut won = 0;
    for b in buyers {
        match b.await.unwrap() {
            StatusCode::CREATED => won += 1,
            StatusCode::CONFLICT => {}
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(won, 20);
    assert_eq!(api.stock("HOT").await, 0);
    assert_eq!(
        api.get("/api/orders?limit=200")
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        20
    );
    assert_the_ledger_agrees(&api).await;
}

/// Every product's stock is the sum of its ledger.
/// Kiritimati is UTC+14 all year: for most of a UTC day its calendar is a
/// day ahead, so a shop there that counted UTC days would be seen at once.
async fn a_shop_counts_days_and_shows_times_in_its_own_time_zone(backend: Backend) {
    use igniflo::domain::Timestamp;
    const AHEAD_MS: i64 = 14 * 3_600_000;
    let api = Api::on(Server::start_on_with(
        backend,
        &[("IGNIFLO_TIMEZONE", "Pacific/Kiritimati")],
    ));
    api.product("MUG", 5, 10.0).await;
    let ada = api.customer("ada@example.com").await;
    let (_, order) = api.order(&ada, &[("MUG", 1)]).await;
    let placed: Timestamp = order["createdAt"].as_str().unwrap().parse().unwrap();
    let wall = Timestamp::from_millis(placed.millis() + AHEAD_MS).to_string();
    let day = |offset: i64| {
        let (y, m, d) = Timestamp::from_millis(placed.millis() + AHEAD_MS)
            .plus_days(offset)
            .date();
        format!("{y:04}-{m:02}-{d:02}")
    };
    let listed = |query: String| {
        let api = &api;
        async move {
            let (status, list) = api.get(&format!("/api/orders?{query}")).await;
            assert_eq!(status, StatusCode::OK, "{list}");
            list.as_array().unwrap().len()
        }
    };
    // The day it was placed on in Kiritimati, whole; not the day before.
    assert_eq!(listed(format!("from={0}&to={0}", day(0))).await, 1);
    assert_eq!(listed(format!("to={}", day(-1))).await, 0);
    assert_eq!(listed(format!("from={}", day(1))).await, 0);

    // The console shows Kiritimati's clock and says so; the customer's page
    // names the offset.
    let html = |path: String| {
        let api = &api;
        async move {
            let r = common::api::admin_client()
                .get(api.url(&path))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            r.text().await.unwrap()
        }
    };
    let console = html("/admin".into()).await;
    assert!(console.contains("Placed (Pacific/Kiritimati)"), "{console}");
    let minute = format!("{} {}", &wall[..10], &wall[11..16]);
    assert!(console.contains(&minute), "{minute} not in the list");
    let dashboard = html("/admin/dashboard".into()).await;
    let today = &day(0)[5..];
    assert!(
        dashboard.contains(&format!("{today}: 1")),
        "today ({today}) has the order: {dashboard}"
    );
    let token = order["trackingToken"].as_str().unwrap();
    let tracking = html(format!("/track?token={token}")).await;
    assert!(tracking.contains(&format!("{minute} UTC+14")), "{tracking}");
}

/// `/metrics` read as Prometheus would: every sample under a declared
/// family, each value a number. Returns `name{labels}` → value.
fn scrape_metrics(text: &str) -> std::collections::HashMap<String, f64> {
    let mut families = std::collections::HashMap::new();
    let mut samples = std::collections::HashMap::new();
    for line in text.lines() {
        if let Some(declared) = line.strip_prefix("# TYPE ") {
            let (name, kind) = declared.split_once(' ').expect(line);
            assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
            families.insert(name.to_string(), kind.to_string());
        } else if !line.starts_with("# HELP ") {
            let (series, value) = line.rsplit_once(' ').expect(line);
            let name = series.split('{').next().unwrap();
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| {
                    name.strip_suffix(suffix)
                        .filter(|f| families.get(*f).is_some_and(|k| k == "histogram"))
                })
                .unwrap_or(name);
            assert!(
                families.contains_key(family),
                "{line}: no # TYPE for {family}"
            );
            samples.insert(series.to_string(), value.parse::<f64>().expect(line));
        }
    }
    samples
}

async fn metrics_count_what_the_shop_does_for_those_allowed_to_read_them(backend: Backend) {
    const METRICS_TOKEN: &str = "prometheus-scrapes-with-this";
    let api = Api::on(Server::start_on_with(
        backend,
        &[("IGNIFLO_METRICS_TOKEN", METRICS_TOKEN)],
    ));
    let anonymous = common::api::public_client();
    let read = |client: reqwest::Client| {
        let url = api.url("/metrics");
        async move {
            let r = client
                .get(url)
                .bearer_auth(METRICS_TOKEN)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            assert!(r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain; version=0.0.4"));
            scrape_metrics(&r.text().await.unwrap())
        }
    };
    // Closed to others; the metrics token opens nothing else.
    let refused = anonymous.get(api.url("/metrics")).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_error_shape(&refused.json().await.unwrap(), "unauthorized");
    let elsewhere = anonymous
        .get(api.url("/api/customers"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), StatusCode::UNAUTHORIZED);
    // The admin token reads them too.
    let as_admin = api.http.get(api.url("/metrics")).send().await.unwrap();
    assert_eq!(as_admin.status(), StatusCode::OK);

    let before = read(anonymous.clone()).await;
    let figure = |m: &std::collections::HashMap<String, f64>, series: &str| {
        m.get(series).copied().unwrap_or(0.0)
    };
    api.product("LAMP", 2, 30.0).await;
    let ada = api.customer("ada@example.com").await;
    let (status, order) = api.order(&ada, &[("LAMP", 1)]).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = api.order(&ada, &[("LAMP", 5)]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    api.set_status(&order, "PAID").await;
    // A made-up method is counted, under "other", not as a series of its own.
    let odd = reqwest::Method::from_bytes(b"FROBNICATE").unwrap();
    anonymous
        .request(odd, api.url("/api/orders"))
        .send()
        .await
        .unwrap();
    let feed = live_feed(&api.server.url, "", true).await;
    let after = read(anonymous.clone()).await;
    assert!(
        after.keys().all(|series| !series.contains("FROBNICATE")),
        "{after:?}"
    );
    assert!(
        after
            .keys()
            .any(|series| series.contains("method=\"other\"")),
        "{after:?}"
    );

    let placed = "igniflo_orders_placed_total";
    assert_eq!(figure(&after, placed) - figure(&before, placed), 1.0);
    let short = "igniflo_out_of_stock_refusals_total";
    assert_eq!(figure(&after, short) - figure(&before, short), 1.0);
    assert_eq!(
        figure(&after, "igniflo_order_status_moves_total{to=\"PAID\"}"),
        1.0
    );
    let created =
        "igniflo_http_requests_total{method=\"POST\",route=\"/api/orders\",status=\"2xx\"}";
    assert_eq!(figure(&after, created), 1.0, "{after:?}");
    let conflicts =
        "igniflo_http_requests_total{method=\"POST\",route=\"/api/orders\",status=\"4xx\"}";
    assert_eq!(figure(&after, conflicts), 1.0);
    // Routes are templates, not the paths clients sent.
    let moved = "igniflo_http_requests_total{method=\"PATCH\",route=\"/api/orders/{id}/status\",status=\"2xx\"}";
    assert_eq!(figure(&after, moved), 1.0, "{after:?}");
    let latency =
        "igniflo_http_request_duration_seconds_count{method=\"POST\",route=\"/api/orders\"}";
    assert_eq!(figure(&after, latency), 2.0);
    if let Backend::Sqlite = backend {
        assert!(
            figure(&after, "igniflo_sqlite_commit_jobs_count") >= 3.0,
            "{after:?}"
        );
    }
    // The open WebSocket counts (once the server has taken it up), and
    // stops counting when it closes.
    let open_websockets = || {
        let read = &read;
        let anonymous = anonymous.clone();
        async move {
            let metrics = read(anonymous).await;
            figure(&metrics, "igniflo_live_connections{kind=\"websocket\"}")
        }
    };
    let settles_at = |wanted: f64| {
        let open_websockets = &open_websockets;
        async move {
            for _ in 0..100 {
                if open_websockets().await == wanted {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            false
        }
    };
    assert!(settles_at(1.0).await, "an open WebSocket is counted");
    drop(feed);
    assert!(
        settles_at(0.0).await,
        "a closed WebSocket is no longer counted"
    );
}

#[test]
fn an_unknown_time_zone_is_refused_at_start() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_igniflo"))
        .env("IGNIFLO_TIMEZONE", "Mars/Olympus_Mons")
        .env("DATABASE_URL", "sqlite://:memory:")
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("IGNIFLO_TIMEZONE") && said.contains("Mars/Olympus_Mons"),
        "{said}"
    );
}

async fn assert_the_ledger_agrees(api: &Api) {
    assert_eq!(
        api.get("/api/stock/check").await,
        (StatusCode::OK, json!({"ok": true, "mismatches": []}))
    );
}

async fn hostile_input_gets_a_clear_4xx_and_changes_nothing(backend: Backend) {
    let api = Api::start_on(backend);
    let ada = api.customer("ada@example.com").await;
    let a = api.product("A", 5, 1.0).await;
    let (_, order) = api.order(&ada, &[("A", 1)]).await;
    let snapshot = || async {
        (
            api.get("/api/customers").await.1,
            api.get("/api/products").await.1,
            api.get("/api/orders").await.1,
        )
    };
    let before = snapshot().await;
    let cid = ada["_id"].clone();
    let oid = order["_id"].as_str().unwrap().to_string();
    let pid = a["_id"].as_str().unwrap().to_string();
    let huge = "x".repeat(100 * 1024);
    let many_lines: Vec<Value> = (0..101)
        .map(|_| json!({"product": "A", "quantity": 1}))
        .collect();

    // (method, path, content type, body, expected status, expected code)
    let cases: Vec<(&str, String, &str, String, u16, &str)> = vec![
        ("POST", "/api/orders".into(), "application/json", "{not json".into(), 400, "malformed_request"),
        ("POST", "/api/orders".into(), "application/json", "".into(), 400, "malformed_request"),
        ("POST", "/api/orders".into(), "text/plain", json!({"customer": cid}).to_string(), 415, "unsupported_media_type"),
        ("POST", "/api/orders".into(), "", "{}".into(), 415, "unsupported_media_type"),
        ("POST", "/api/orders".into(), "application/json", format!("{{\"customer\":\"{huge}\"}}"), 413, "payload_too_large"),
        ("POST", "/api/orders".into(), "application/json", json!({"customer": cid, "items": []}).to_string(), 422, "invalid_value"),
        ("POST", "/api/orders".into(), "application/json", json!({"customer": cid, "items": [{"product": "A", "quantity": 0}]}).to_string(), 422, "invalid_value"),
        ("POST", "/api/orders".into(), "application/json", json!({"customer": cid, "items": [{"product": "A", "quantity": -5}]}).to_string(), 422, "invalid_value"),
        ("POST", "/api/orders".into(), "application/json", json!({"customer": cid, "items": [{"product": "A", "quantity": 10001}]}).to_string(), 422, "invalid_value"),
        ("POST", "/api/orders".into(), "application/json", json!({"customer": cid, "items": [{"product": "A", "quantity": 1.5}]}).to_string(), 422, "invalid_value"),
        ("POST", "/api/orders".into(), "application/json", json!({"customer": cid, "items": [{"product": "A", "quantity": "1"}]}).to_string(), 422, "invalid_value"),
        ("POST", "/api/orders".into(), "application/json", r#"{"customer":"x","items":[{"product":"A","quantity":99999999999999999999999}]}"#.into(), 422, "invalid_value"),
        ("POST", "/api/orders".into(), "application/json", json!({"customer": cid, "items": many_lines}).to_string(), 422, "invalid_value"),
        ("POST", "/api/orders".into(), "application/json", json!({"customer": "not-an-id", "items": [{"product": "A", "quantity": 1}]}).to_string(), 422, "invalid_value"),
        ("POST", "/api/orders".into(), "application/json", json!({"customer": "6745f0a1c2d3e4f5a6b7c8d9", "items": [{"product": "A", "quantity": 1}]}).to_string(), 422, "invalid_value"),
        ("POST", "/api/orders".into(), "application/json", json!({"customer": cid, "items": [{"product": "A", "quantity": 1}], "status": "PAID"}).to_string(), 422, "invalid_value"),
        ("POST", "/api/orders".into(), "application/json", json!([1, 2, 3]).to_string(), 422, "invalid_value"),
        ("POST", "/api/orders".into(), "application/json", json!({"customer": cid, "items": [{"product": "A", "quantity": 99}]}).to_string(), 409, "out_of_stock"),
        ("POST", "/api/customers".into(), "application/json", json!({"name": "", "email": "a@b.co", "phone": "5551234"}).to_string(), 422, "invalid_value"),
        ("POST", "/api/customers".into(), "application/json", json!({"name": "Eve", "email": "not-an-email", "phone": "5551234"}).to_string(), 422, "invalid_value"),
        ("POST", "/api/customers".into(), "application/json", json!({"name": "Eve", "email": "eve@example.com", "phone": "12"}).to_string(), 422, "invalid_value"),
        ("POST", "/api/customers".into(), "application/json", json!({"name": "x".repeat(201), "email": "eve@example.com", "phone": "5551234"}).to_string(), 422, "invalid_value"),
        ("POST", "/api/customers".into(), "application/json", json!({"name": "Eve\u{0}", "email": "eve@example.com", "phone": "5551234"}).to_string(), 422, "invalid_value"),
        ("POST", "/api/customers".into(), "application/json", json!({"name": "Ada", "email": "ADA@example.com", "phone": "5551234"}).to_string(), 409, "duplicate"),
        ("POST", "/api/products".into(), "application/json", json!({"name": "P", "sku": "P1", "stock": 1, "price": 10.005}).to_string(), 422, "invalid_value"),
        ("POST", "/api/products".into(), "application/json", json!({"name": "P", "sku": "P1", "stock": 1, "price": -1}).to_string(), 422, "invalid_value"),
        ("POST", "/api/products".into(), "application/json", json!({"name": "P", "sku": "P1", "stock": -1, "price": 1}).to_string(), 422, "invalid_value"),
        ("POST", "/api/products".into(), "application/json", r#"{"name":"P","sku":"P1","stock":1,"price":1e400}"#.into(), 422, "invalid_value"),
        ("POST", "/api/products".into(), "application/json", json!({"name": "P", "sku": "has space", "stock": 1, "price": 1}).to_string(), 422, "invalid_value"),
        ("POST", "/api/products".into(), "application/json", json!({"name": "P", "sku": "P1", "stock": 1e12, "price": 1}).to_string(), 422, "invalid_value"),
        ("PATCH", format!("/api/products/{pid}"), "application/json", json!({"stockAdjustment": -6}).to_string(), 409, "stock_would_be_negative"),
        ("PATCH", format!("/api/products/{pid}"), "application/json", json!({"stock": 1, "stockAdjustment": 1}).to_string(), 422, "invalid_value"),
        ("PATCH", format!("/api/products/{pid}"), "application/json", json!({"stockAdjustment": i64::MIN}).to_string(), 422, "invalid_value"),
        ("PATCH", format!("/api/products/{pid}"), "application/json", json!({"lowStockThreshold": i64::MAX}).to_string(), 422, "invalid_value"),
        ("PATCH", format!("/api/orders/{oid}/status"), "application/json", json!({"status": "paid"}).to_string(), 422, "invalid_value"),
        ("PATCH", format!("/api/orders/{oid}/status"), "application/json", json!({}).to_string(), 422, "invalid_value"),
        ("PATCH", "/api/orders/123/status".into(), "application/json", json!({"status": "PAID"}).to_string(), 400, "malformed_request"),
        ("GET", "/api/orders/zzzzzzzzzzzzzzzzzzzzzzzz".into(), "", "".into(), 400, "malformed_request"),
        ("GET", "/api/orders?limit=0".into(), "", "".into(), 422, "invalid_value"),
        ("GET", "/api/orders?limit=abc".into(), "", "".into(), 422, "invalid_value"),
        ("GET", "/api/orders?status=SHIPPED".into(), "", "".into(), 422, "invalid_value"),
        ("GET", "/api/orders?from=yesterday".into(), "", "".into(), 422, "invalid_value"),
        ("GET", "/api/orders?cursor=%27%3B%20DROP%20TABLE%20orders".into(), "", "".into(), 422, "invalid_value"),
        ("GET", format!("/api/orders?q={}", "q".repeat(300)), "", "".into(), 422, "invalid_value"),
        ("DELETE", format!("/api/orders/{oid}"), "", "".into(), 405, "method_not_allowed"),
        ("GET", "/api/nothing-here".into(), "", "".into(), 404, "no_route"),
    ];
    assert!(cases.len() >= 20);
    for (method, path, content_type, body, expected, code) in &cases {
        let mut req = api.http.request(method.parse().unwrap(), api.url(path));
        if !content_type.is_empty() {
            req = req.header("content-type", *content_type);
        }
        let r = req.body(body.clone()).send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        let json: Value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{method} {path}: not JSON: {text}"));
        assert_eq!(status, *expected, "{method} {path} {body:.200}: {json}");
        assert_error_shape(&json, code);
    }
    // a customer name with SQL in it is just a name
    let (status, tricky) = api
        .post("/api/customers", json!({"name": "Robert'); DROP TABLE orders;--", "email": "bobby@example.com", "phone": "5551234"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(tricky["name"], "Robert'); DROP TABLE orders;--");
    let after = snapshot().await;
    assert_eq!(after.1, before.1, "products unchanged");
    assert_eq!(after.2, before.2, "orders unchanged");
    assert_eq!(after.0.as_array().unwrap().len(), 2);
}

async fn order_lists_page_with_a_link_header_and_filter(backend: Backend) {
    let api = Api::start_on(backend);
    let ada = api.customer("ada@example.com").await;
    let bob = api
        .post(
            "/api/customers",
            json!({"name": "Bob Stone", "email": "bob@example.org", "phone": "5551234"}),
        )
        .await
        .1;
    api.product("A", 100, 1.0).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let (_, o) = api
            .order(if i < 3 { &ada } else { &bob }, &[("A", 1)])
            .await;
        ids.push(o["_id"].as_str().unwrap().to_string());
    }
    ids.reverse();
    let r = api
        .http
        .get(api.url("/api/orders?limit=2&status=PENDING"))
        .send()
        .await
        .unwrap();
    let link = r.headers()["link"].to_str().unwrap().to_string();
    let page: Value = r.json().await.unwrap();
    assert_eq!(page.as_array().unwrap().len(), 2);
    assert_eq!(page[0]["_id"], ids[0].as_str());
    assert!(
        link.ends_with("; rel=\"next\"") && link.contains("status=PENDING"),
        "{link}"
    );
    let next = link.trim_start_matches('<').split('>').next().unwrap();
    let (_, page2) = api.get(next).await;
    assert_eq!(page2[0]["_id"], ids[2].as_str());
    let r = api
        .http
        .get(api.url("/api/orders?limit=10"))
        .send()
        .await
        .unwrap();
    assert!(
        r.headers().get("link").is_none(),
        "no next page when all fit"
    );

    let (_, bobs) = api.get("/api/orders?q=STONE").await;
    assert_eq!(bobs.as_array().unwrap().len(), 2);
    let (_, by_customer) = api
        .get(&format!(
            "/api/orders?customer={}",
            ada["_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(by_customer.as_array().unwrap().len(), 3);
    let (_, none) = api.get("/api/orders?from=2999-01-01").await;
    assert_eq!(none, json!([]));
    let (_, today) = api
        .get("/api/orders?from=2000-01-01&to=2999-01-01T00:00:00Z")
        .await;
    assert_eq!(today.as_array().unwrap().len(), 5);
    let (_, paid) = api.get("/api/orders?status=PAID").await;
    assert_eq!(paid, json!([]));
}

async fn operations_endpoints_docs_pages_and_logs(backend: Backend) {
    let api = Api::start_on(backend);
    assert_eq!(
        api.get("/healthz").await,
        (StatusCode::OK, json!({"status": "ok"}))
    );
    assert_eq!(
        api.get("/readyz").await,
        (StatusCode::OK, json!({"status": "ready"}))
    );
    let (status, doc) = api.get("/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/customers",
        "/api/products",
        "/api/products/{id}",
        "/api/orders",
        "/api/orders/{id}",
        "/api/orders/{id}/status",
        "/api/orders/export.csv",
        "/api/products/{id}/movements",
        "/api/stock/check",
        "/api/auth/login",
        "/api/auth/logout",
        "/api/auth/session",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(doc["components"]["schemas"].get("Order").is_some());

    for (page, title) in [
        ("/", "<title>Igniflo</title>"),
        // The admin's token opens the console: each screen names itself.
        ("/admin", "<title>Orders · Igniflo admin</title>"),
    ] {
        let r = api.http.get(api.url(page)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        assert_eq!(
            r.headers()["cache-control"],
            "no-cache",
            "{page} is revalidated"
        );
        let html = r.text().await.unwrap();
        assert!(html.contains(title), "{html:.400}");
        assert!(
            bundle_script(&html).is_some(),
            "{page} loads no /pkg/igniflo….js: {html:.600}"
        );
        // Compressed for a browser that asks, and then much smaller.
        for encoding in ["br", "gzip"] {
            let r = api
                .http
                .get(api.url(page))
                .header("accept-encoding", encoding)
                .send()
                .await
                .unwrap();
            assert_eq!(r.headers()["content-encoding"], encoding);
            assert!(
                r.headers()
                    .get_all("vary")
                    .iter()
                    .any(|v| v == "accept-encoding"),
                "caches must keep each encoding apart"
            );
            let compressed = r.bytes().await.unwrap().len();
            assert!(
                compressed * 4 < html.len() * 3,
                "{page}: {compressed} bytes {encoding} against {} plain",
                html.len()
            );
        }
    }
    let r = api
        .http
        .get(api.url("/api/openapi.json"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
    // A streamed answer comes out whole through the compressor too (the
    // CSV export's stream once panicked when polled after its end).
    let r = api
        .http
        .get(api.url("/api/orders/export.csv"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-encoding"], "gzip");
    assert!(!r.bytes().await.expect("the whole export").is_empty());
    let r = api.http.get(api.url("/healthz")).send().await.unwrap();
    let request_id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = api.server.log.lock().unwrap().join("\n");
    let line = log
        .lines()
        .find(|l| l.contains(&request_id))
        .expect("an access-log line for the request");
    for part in ["GET", "/healthz", "status=200", "latency_ms="] {
        assert!(line.contains(part), "{part} missing from {line}");
    }
}

/// A WebSocket handshake carrying the admin token.
/// A placed order as every later reader sees it: without the one-time
/// tracking token.
/// The page's script from `/pkg`: `/pkg/igniflo.js`, or with cargo-leptos'
/// content hash in its name (`/pkg/igniflo.<hash>.js`) once the site is built.
fn bundle_script(html: &str) -> Option<&str> {
    html.match_indices("/pkg/igniflo.").find_map(|(start, _)| {
        let name = &html[start..];
        let name = &name[..name.find(['"', '\''])?];
        name.ends_with(".js").then_some(name)
    })
}

fn as_stored(placed: &Value) -> Value {
    let mut order = placed.clone();
    order.as_object_mut().unwrap().remove("trackingToken");
    order
}

async fn websocket_clients_receive_order_updated(backend: Backend) {
    let api = Api::start_on(backend);
    let ada = api.customer("ada@example.com").await;
    api.product("A", 10, 1.0).await;
    let mut ws = live_feed(&api.server.url, "", true).await;
    let (_, order) = api.order(&ada, &[("A", 2)]).await;
    assert_eq!(next_order_event(&mut ws).await, as_stored(&order));
    let (_, paid) = api.set_status(&order, "PAID").await;
    let event = next_order_event(&mut ws).await;
    assert_eq!(event, paid);
    assert_eq!(event["status"], "PAID");
}

async fn socket_io_clients_receive_order_updated(backend: Backend) {
    let api = Api::start_on(backend);
    let ada = api.customer("ada@example.com").await;
    api.product("A", 10, 1.0).await;
    let listener = SocketIoListener::connect(&api.server.url, ADMIN_TOKEN);
    let (_, order) = api.order(&ada, &[("A", 1)]).await;
    assert_eq!(listener.next_order(), as_stored(&order));
    let (_, cancelled) = api.set_status(&order, "CANCELLED").await;
    assert_eq!(listener.next_order(), cancelled);
}

async fn sigterm_finishes_and_closes_the_database(backend: Backend) {
    let mut api = Api::start_on(backend);
    let ada = api.customer("ada@example.com").await;
    api.product("A", 10, 1.0).await;
    let (status, _) = api.order(&ada, &[("A", 1)]).await;
    assert_eq!(status, StatusCode::CREATED);
    // An open live connection does not keep the server from stopping.
    let _ws = live_feed(&api.server.url, "", false).await;
    assert!(api.server.terminate(), "exit status 0 after SIGTERM");
    let log = api.server.log.lock().unwrap().join("\n");
    assert!(log.contains("shut down cleanly"), "{log}");
}

/// Several stateless instances on one MongoDB: 100 buyers spread over two
/// servers race for 20 units, and exactly 20 win.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mongo_a_hundred_buyers_across_two_instances_race_for_twenty_units() {
    let database = SecantusDb::shared().fresh_database();
    let api = Api::on(Server::start_with(&[("DATABASE_URL", database.as_str())]));
    let other = Server::start_with(&[("DATABASE_URL", database.as_str())]);
    let instances = [api.server.url.clone(), other.url.clone()];
    api.product("HOT", 20, 9.99).await;
    let mut buyers = Vec::new();
    for i in 0..100 {
        let buyer = api.customer(&format!("buyer{i}@example.com")).await;
        let (http, url) = (api.http.clone(), format!("{}/api/orders", instances[i % 2]));
        buyers.push(tokio::spawn(async move {
            let r = http
                .post(url)
                .json(&json!({"customer": buyer["_id"], "items": [{"product": "HOT", "quantity": 1}]}))
                .send()
                .await
                .unwrap();
            r.status()
        }));
    }
    let mut won = [0; 2];
    for (i, b) in buyers.into_iter().enumerate() {
        match b.await.unwrap() {
            StatusCode::CREATED => won[i % 2] += 1,
            StatusCode::CONFLICT => {}
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(won[0] + won[1], 20, "winners per instance: {won:?}");
    assert_eq!(api.stock("HOT").await, 0);
    let (_, orders) = api.get("/api/orders?limit=200").await;
    assert_eq!(orders.as_array().unwrap().len(), 20);
    assert_the_ledger_agrees(&api).await;
}

/// Instances A and B on one MongoDB database, an admin's WebSocket on B,
/// and on A a customer and 10 units of product "A" to order. B stops when
/// the caller drops it.
async fn two_instances_and_a_watcher(database: &str) -> (Api, Server, LiveFeed, Value) {
    let a = Api::on(Server::start_with(&[("DATABASE_URL", database)]));
    let b = Server::start_with(&[("DATABASE_URL", database)]);
    let ada = a.customer("ada@example.com").await;
    a.product("A", 10, 1.0).await;
    let ws = live_feed(&b.url, "", true).await;
    (a, b, ws, ada)
}

/// Several instances, one live picture: a WebSocket client on instance B
/// sees every change to an order made on instance A, once each and in order.
#[tokio::test]
async fn mongo_live_updates_reach_clients_of_every_instance() {
    let database = SecantusDb::shared().fresh_database();
    let (a, _b, mut ws, ada) = two_instances_and_a_watcher(&database).await;
    let (_, order) = a.order(&ada, &[("A", 2)]).await;
    assert_eq!(next_order_event(&mut ws).await, as_stored(&order));
    let (_, paid) = a.set_status(&order, "PAID").await;
    assert_eq!(next_order_event(&mut ws).await, paid);
    let (_, cancelled) = a.set_status(&order, "CANCELLED").await;
    assert_eq!(next_order_event(&mut ws).await, cancelled);
    assert_eq!(cancelled["items"][0]["product"]["stock"], 10);
}

/// Polls `/readyz` until it answers `status`, for at most `within`.
async fn wait_until_ready_is(api: &Api, status: StatusCode, within: Duration) {
    let deadline = std::time::Instant::now() + within;
    loop {
        let (now, _) = api.get("/readyz").await;
        if now == status {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "/readyz still {now}, not {status}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A server whose MongoDB is down starts anyway, answers 503 quickly
/// (readiness and requests alike), and serves once the database is back.
#[tokio::test]
async fn mongo_an_unreachable_database_is_503_until_it_comes_back() {
    let port = free_port();
    let url = format!("mongodb://127.0.0.1:{port}/shop?directConnection=true");
    let api = Api::on(Server::start_with(&[("DATABASE_URL", url.as_str())]));
    let asked = std::time::Instant::now();
    let (status, body) = api.get("/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_error_shape(&body, "unavailable");
    let (status, body) = api.get("/api/products").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_error_shape(&body, "unavailable");
    assert!(asked.elapsed() < Duration::from_secs(10), "no hang");

    let data = tempfile::tempdir().unwrap();
    let _db = SecantusDb::start_with(port, data.path());
    wait_until_ready_is(&api, StatusCode::OK, Duration::from_secs(30)).await;
    api.product("A", 1, 1.0).await;
}

/// The change stream resumes from its last token when the database comes
/// back: a client on instance B sees an order placed after the restart,
/// and nothing it saw before again.
#[tokio::test]
async fn mongo_live_updates_resume_after_the_database_restarts() {
    let (port, data) = (free_port(), tempfile::tempdir().unwrap());
    let mut db = SecantusDb::start_with(port, data.path());
    let url = format!("mongodb://127.0.0.1:{port}/shop?directConnection=true");
    let (a, _b, mut ws, ada) = two_instances_and_a_watcher(&url).await;
    let (_, first) = a.order(&ada, &[("A", 1)]).await;
    assert_eq!(next_order_event(&mut ws).await["_id"], first["_id"]);

    drop(db);
    wait_until_ready_is(&a, StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(10)).await;
    db = SecantusDb::start_with(port, data.path());
    wait_until_ready_is(&a, StatusCode::OK, Duration::from_secs(30)).await;
    let (status, second) = a.order(&ada, &[("A", 2)]).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    // Instance B reports the order placed after the restart.
    assert_eq!(next_order_event(&mut ws).await, as_stored(&second));
    drop(db);
}

/// An oversized body is answered 413, with the JSON error, to clients that
/// send the whole body before reading the answer: Node's `fetch` and
/// Python's `urllib` (both once reported a broken pipe instead).
#[tokio::test]
async fn oversized_bodies_are_answered_413_to_node_and_python() {
    let api = Api::on(Server::start());
    let url = api.url("/api/customers");
    let node = std::process::Command::new("node")
        .arg("-e")
        .arg(
            r#"fetch(process.argv[1], { method: "POST", headers: { "content-type": "application/json" },
                 body: JSON.stringify({ name: "x".repeat(900 * 1024) }) })
               .then(async (r) => console.log(r.status, (await r.json()).code))
               .catch((e) => console.log("failed", e.cause?.code ?? e.message));"#,
        )
        .arg(&url)
        .output()
        .expect("node runs");
    assert_eq!(
        String::from_utf8_lossy(&node.stdout).trim(),
        "413 payload_too_large"
    );
    let python = std::process::Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/python"))
        .arg("-c")
        .arg(
            r#"
import json, sys, urllib.request, urllib.error
body = json.dumps({"name": "x" * (900 * 1024)}).encode()
request = urllib.request.Request(sys.argv[1], data=body, headers={"content-type": "application/json"})
try:
    urllib.request.urlopen(request)
    print("accepted")
except urllib.error.HTTPError as e:
    print(e.code, json.load(e)["code"])
except Exception as e:
    print("failed", e)
"#,
        )
        .arg(&url)
        .output()
        .expect("python runs");
    assert_eq!(
        String::from_utf8_lossy(&python.stdout).trim(),
        "413 payload_too_large"
    );
    let (_, customers) = api.get("/api/customers").await;
    assert_eq!(customers, json!([]), "nothing was written");
}
