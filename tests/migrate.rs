//! `igniflo migrate`: a shop moves from its SQLite file to MongoDB and back,
//! and what its clients see through the API — stock ledgers included — is
//! the same on every store. `igniflo check-stock` proves the ledger, and
//! `igniflo backup` copies a shop that keeps taking orders.

mod common;

use common::api::admin_client;

use common::{SecantusDb, Server, ADMIN_TOKEN};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::process::{Command, Output};

fn igniflo_migrate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_igniflo"))
        .arg("migrate")
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run igniflo migrate")
}

fn igniflo_check_stock(database: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_igniflo"))
        .arg("check-stock")
        .env("DATABASE_URL", database)
        .env("RUST_LOG", "warn")
        .env("IGNIFLO_ADMIN_PASSWORD", "a long enough password")
        .output()
        .expect("run igniflo check-stock")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

async fn post(http: &Client, url: String, body: Value, key: Option<&str>) -> reqwest::Response {
    let mut request = http.post(url).json(&body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await.unwrap()
}

async fn created(http: &Client, url: String, body: Value) -> Value {
    let r = post(http, url, body, None).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.unwrap()
}

/// Everything a client can see of the shop.
async fn shop(http: &Client, base: &str) -> Value {
    let mut seen = json!({});
    for list in [
        "customers?limit=200",
        "products",
        "orders?limit=200",
        "webhooks",
        "staff",
    ] {
        let r = http.get(format!("{base}/api/{list}")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        seen[list] = r.json().await.unwrap();
    }
    let products: Vec<String> = seen["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["_id"].as_str().unwrap().to_string())
        .collect();
    for id in products {
        let r = http
            .get(format!("{base}/api/products/{id}/movements?limit=200"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        seen["movements"][&id] = r.json().await.unwrap();
    }
    let check: Value = http
        .get(format!("{base}/api/stock/check"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(check, json!({"ok": true, "mismatches": []}));
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shop_moves_from_sqlite_to_mongodb_and_back() {
    let http = admin_client();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("shop.db").display());
    let mut server = Server::start_with(&[
        ("DATABASE_URL", sqlite.as_str()),
        ("IGNIFLO_WEBHOOK_ALLOW_PRIVATE", "1"),
    ]);
    // A webhook subscription moves too (not its delivery history).
    let body = json!({"url": "http://127.0.0.1:9/hooks", "events": ["product.low_stock"], "description": "ERP"});
    created(&http, format!("{}/api/webhooks", server.url), body).await;
    // Staff move with their passwords' hashes.
    let body = json!({"name": "Pat Packer", "email": "pat@example.com", "role": "PACKER"});
    created(&http, format!("{}/api/staff", server.url), body).await;
    let mut customers = Vec::new();
    for (name, email) in [
        ("Ada Lovelace", "ada@example.com"),
        ("Bob Stone", "bob@example.org"),
    ] {
        let body = json!({"name": name, "email": email, "phone": "+44 20 7946 0958"});
        customers.push(created(&http, format!("{}/api/customers", server.url), body).await);
    }
    for (sku, stock, price) in [("MUG", 10, 14.5), ("BEAN", 5, 24.99), ("TEA", 0, 3.0)] {
        let body =
            json!({"name": format!("Product {sku}"), "sku": sku, "stock": stock, "price": price});
        created(&http, format!("{}/api/products", server.url), body).await;
    }
    let keyed = json!({"customer": customers[0]["_id"], "items": [{"product": "MUG", "quantity": 2}],
        "shippingAddress": {"name": "Ada", "line1": "1 Main St", "city": "Leeds", "postalCode": "LS1 1AA", "country": "GB"}});
    let first = post(
        &http,
        format!("{}/api/orders", server.url),
        keyed.clone(),
        Some("checkout-1"),
    )
    .await;
    let first: Value = first.json().await.unwrap();
    let mut tracked = Value::Null;
    for (status, customer) in [("PAID", 1), ("CANCELLED", 0), ("PENDING", 1)] {
        let body = json!({"customer": customers[customer]["_id"], "items": [{"product": "MUG", "quantity": 1}, {"product": "BEAN", "quantity": 2}]});
        let order = created(&http, format!("{}/api/orders", server.url), body).await;
        tracked = order.clone();
        if status != "PENDING" {
            let r = http
                .patch(format!(
                    "{}/api/orders/{}/status",
                    server.url,
                    order["_id"].as_str().unwrap()
                ))
                .json(&json!({"status": status}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
        }
        if status == "PAID" {
            // What happened after payment moves with the order.
            let order = format!(
                "{}/api/orders/{}",
                server.url,
                order["_id"].as_str().unwrap()
            );
            for (what, body) in [
                (
                    "shipments",
                    json!({"items": [{"product": "MUG", "quantity": 1}], "carrier": "DHL", "trackingNumber": "JD1"}),
                ),
                (
                    "returns",
                    json!({"items": [{"product": "MUG", "quantity": 1}], "reason": "DAMAGED", "restock": true}),
                ),
                ("refunds", json!({"amount": 5, "reason": "goodwill"})),
                (
                    "notes",
                    json!({"text": "Gift wrap", "visibleToCustomer": true}),
                ),
            ] {
                created(&http, format!("{order}/{what}"), body).await;
            }
        }
    }
    let before = shop(&http, &server.url).await;
    assert!(server.terminate());

    let mongo = SecantusDb::shared().fresh_database();
    let out = igniflo_migrate(&["--from", &sqlite, "--to", &mongo]);
    assert!(out.status.success(), "{}", stderr(&out));
    for line in [
        "customers: 2 records",
        "products: 3 records",
        "orders: 4 records",
        "stock_movements: ",
        "100%",
        "webhook endpoints: 1 copied",
        "staff: 2 copied",
    ] {
        assert!(
            stderr(&out).contains(line),
            "{line} missing from {}",
            stderr(&out)
        );
    }

    let on_mongo = Server::start_with(&[("DATABASE_URL", mongo.as_str())]);
    assert_eq!(shop(&http, &on_mongo.url).await, before);
    // Tracking tokens moved too: a shopper still follows their order.
    let by_token = Client::new()
        .get(format!(
            "{}/api/orders/{}",
            on_mongo.url,
            tracked["_id"].as_str().unwrap()
        ))
        .header(
            "X-Tracking-Token",
            tracked["trackingToken"].as_str().unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(by_token.status(), StatusCode::OK);
    // The idempotency key moved too: a retry of the first checkout replays it.
    let retry = post(
        &http,
        format!("{}/api/orders", on_mongo.url),
        keyed,
        Some("checkout-1"),
    )
    .await;
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert_eq!(retry.json::<Value>().await.unwrap()["_id"], first["_id"]);
    drop(on_mongo);

    let refused = igniflo_migrate(&["--from", &sqlite, "--to", &mongo]);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("--force"), "{}", stderr(&refused));

    let back = format!("sqlite://{}", dir.path().join("back.db").display());
    let out = igniflo_migrate(&["--from", &mongo, "--to", &back]);
    assert!(out.status.success(), "{}", stderr(&out));
    let on_sqlite = Server::start_with(&[("DATABASE_URL", back.as_str())]);
    assert_eq!(shop(&http, &on_sqlite.url).await, before);
    drop(on_sqlite);
    for database in [&mongo, &back] {
        let checked = igniflo_check_stock(database);
        assert!(checked.status.success(), "{}", stderr(&checked));
    }

    let out = igniflo_migrate(&["--from", &back, "--to", &mongo, "--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let missing = igniflo_migrate(&["--from", "sqlite:///no/such/file.db", "--to", &back]);
    assert!(
        stderr(&missing).contains("no SQLite file"),
        "{}",
        stderr(&missing)
    );
}

#[tokio::test]
async fn check_stock_names_a_product_its_ledger_does_not_explain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.db");
    let database = format!("sqlite://{}", path.display());
    let server = Server::start_with(&[("DATABASE_URL", database.as_str())]);
    let http = Client::new();
    for (sku, stock) in [("TALLY", 5), ("FINE", 3)] {
        let r = http
            .post(format!("{}/api/products", server.url))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({"name": sku, "sku": sku, "stock": stock, "price": 1.5}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    drop(server);
    let agreed = igniflo_check_stock(&database);
    assert!(agreed.status.success(), "{}", stderr(&agreed));
    // A write past the ledger (by hand, not through Igniflo) is found.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("UPDATE products SET stock = 9 WHERE sku = 'TALLY'", [])
        .unwrap();
    drop(conn);
    let found = igniflo_check_stock(&database);
    assert_eq!(found.status.code(), Some(1));
    let table = String::from_utf8_lossy(&found.stdout);
    let row = table
        .lines()
        .find(|l| l.starts_with("TALLY"))
        .expect(&table);
    let figures: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(figures[2..], ["9", "5"], "stock, then the ledger's sum");
    assert!(!table.contains("FINE"), "{table}");
}

fn igniflo_backup(database: &str, to: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_igniflo"))
        .args(["backup", "--to"])
        .arg(to)
        .env("DATABASE_URL", database)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run igniflo backup")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_orders_arrive_is_a_sound_shop() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("shop.db").display());
    let server = Server::start_with(&[("DATABASE_URL", database.as_str())]);
    let http = admin_client();
    let base = server.url.clone();
    created(
        &http,
        format!("{base}/api/products"),
        json!({"name": "Mug", "sku": "MUG", "stock": 1_000_000, "price": 4.5}),
    )
    .await;
    let customer = created(
        &http,
        format!("{base}/api/customers"),
        json!({"name": "Ada", "email": "ada@example.com", "phone": "+44 20 7946 0958"}),
    )
    .await;
    // Four buyers keep ordering (and the stock keeps moving) while the
    // backup runs.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let buyers: Vec<_> = (0..4)
        .map(|_| {
            let (http, base, stop) = (http.clone(), base.clone(), stop.clone());
            let body =
                json!({"customer": customer["_id"], "items": [{"product": "MUG", "quantity": 1}]});
            tokio::spawn(async move {
                let mut placed = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let r = post(&http, format!("{base}/api/orders"), body.clone(), None).await;
                    assert_eq!(r.status(), StatusCode::CREATED);
                    placed += 1;
                }
                placed
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let target = dir.path().join("copy.db");
    let backup = tokio::task::spawn_blocking({
        let (database, target) = (database.clone(), target.clone());
        move || igniflo_backup(&database, &target)
    })
    .await
    .unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut placed = 0;
    for buyer in buyers {
        placed += buyer.await.unwrap();
    }
    assert!(backup.status.success(), "{}", stderr(&backup));
    let said = String::from_utf8_lossy(&backup.stdout);
    let copied: u64 = said
        .split(": ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no order count in {said:?}"));
    assert!(
        copied > 0 && copied <= placed,
        "copied {copied} of {placed}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // The copy is a shop of its own: its ledger explains its stock, and a
    // server on it lists exactly the orders the backup counted.
    let copy = format!("sqlite://{}", target.display());
    let checked = igniflo_check_stock(&copy);
    assert!(checked.status.success(), "{}", stderr(&checked));
    drop(server);
    let restored = Server::start_with(&[("DATABASE_URL", copy.as_str())]);
    let listed: Vec<Value> = http
        .get(format!("{}/api/orders?limit=200", restored.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len() as u64, copied.min(200));
    // Never over an existing file.
    let again = igniflo_backup(&database, &target);
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("exists already"),
        "{}",
        stderr(&again)
    );
}
