//! Webhooks end to end: the real server delivers to a real receiver
//! (`webhook_receiver.mjs`), which verifies every signature with the
//! Standard Webhooks library from npm, unchanged.

mod common;

use common::api::Api;
use common::receivers::{LineServer, WAIT};
use common::{on_every_store, Backend, SecantusDb, Server, ADMIN_PASSWORD, ADMIN_TOKEN};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;

/// Retries come quickly in tests: the first after 0.2 s.
const FAST_RETRIES: [(&str, &str); 2] = [
    ("IGNIFLO_WEBHOOK_ALLOW_PRIVATE", "1"),
    ("IGNIFLO_WEBHOOK_FIRST_RETRY", "0.2"),
];
/// The webhook receiver, steered through its control paths.
struct WebhookReceiver(LineServer);

impl WebhookReceiver {
    fn start() -> WebhookReceiver {
        WebhookReceiver(LineServer::webhooks())
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hooks", self.0.port)
    }

    async fn control(&self, what: &str, body: &str) {
        let url = format!("http://127.0.0.1:{}/control/{what}", self.0.port);
        let r = reqwest::Client::new()
            .post(url)
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }

    /// The next request it received, as `{verified, id, answered, body}`.
    fn next(&self) -> Value {
        self.0.next()
    }

    fn next_within(&self, wait: Duration) -> Option<Value> {
        self.0.next_within(wait)
    }
}

/// Subscribes the receiver to `events` and tells it the secret.
async fn subscribe(api: &Api, receiver: &WebhookReceiver, events: &[&str]) -> Value {
    let (status, endpoint) = api
        .post(
            "/api/webhooks",
            json!({"url": receiver.url(), "events": events, "description": "the warehouse"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{endpoint}");
    let secret = endpoint["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"), "{secret}");
    receiver.control("secret", secret).await;
    endpoint
}

async fn deliveries(api: &Api, endpoint: &Value) -> Vec<Value> {
    let (status, list) = api
        .get(&format!(
            "/api/webhooks/{}/deliveries",
            endpoint["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array().unwrap().clone()
}

/// Polls until `done` holds for the endpoint's deliveries.
async fn deliveries_until(
    api: &Api,
    endpoint: &Value,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let list = deliveries(api, endpoint).await;
        if done(&list) {
            return list;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "deliveries never settled: {list:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn start(backend: Backend, env: &[(&str, &str)]) -> Api {
    Api::on(Server::start_on_with(backend, env))
}

/// Events arrive signed, in the order they happened, carrying the order as
/// the REST API shows it; each delivery and its attempt are listed.
async fn subscribed_events_arrive_signed_and_in_order(backend: Backend) {
    let receiver = WebhookReceiver::start();
    let api = start(backend, &FAST_RETRIES);
    let endpoint = subscribe(&api, &receiver, &["order.created", "order.paid"]).await;
    api.product("HOOK", 10, 2.5).await;
    let ada = api.customer("ada@example.com").await;
    let (status, order) = api.order(&ada, &[("HOOK", 2)]).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    let (status, paid) = api.set_status(&order, "PAID").await;
    assert_eq!(status, StatusCode::OK, "{paid}");

    let created = receiver.next();
    assert_eq!(created["verified"], true, "{created}");
    assert_eq!(created["body"]["type"], "order.created");
    assert_eq!(created["id"], created["body"]["id"]);
    assert_eq!(created["body"]["data"]["_id"], order["_id"]);
    assert_eq!(created["body"]["data"]["items"][0]["quantity"], 2);
    let paid_event = receiver.next();
    assert_eq!(paid_event["verified"], true, "{paid_event}");
    assert_eq!(paid_event["body"]["type"], "order.paid");
    assert_eq!(paid_event["body"]["data"]["status"], "PAID");
    assert_ne!(paid_event["id"], created["id"]);

    let list = deliveries_until(&api, &endpoint, |l| {
        l.len() == 2 && l.iter().all(|d| d["state"] == "DELIVERED")
    })
    .await;
    // Newest first, each with its one attempt.
    assert_eq!(list[0]["eventType"], "order.paid");
    assert_eq!(list[1]["eventType"], "order.created");
    assert_eq!(list[1]["eventId"], created["id"]);
    let attempt = &list[1]["attempts"][0];
    assert_eq!(attempt["status"], 200);
    assert_eq!(attempt["response"], "answered 200");
    assert!(receiver.next_within(Duration::from_millis(500)).is_none());
}

/// A 500 is retried with the same `webhook-id`; the 200 that follows ends it.
async fn a_failed_delivery_is_retried_with_the_same_id(backend: Backend) {
    let receiver = WebhookReceiver::start();
    receiver.control("answers", "500,200").await;
    let api = start(backend, &FAST_RETRIES);
    let endpoint = subscribe(&api, &receiver, &["*"]).await;
    api.product("RETRY", 5, 1.0).await;
    let ada = api.customer("ada@example.com").await;
    api.order(&ada, &[("RETRY", 1)]).await;

    let first = receiver.next();
    let second = receiver.next();
    assert_eq!(
        (first["answered"].as_u64(), second["answered"].as_u64()),
        (Some(500), Some(200))
    );
    assert_eq!(first["id"], second["id"]);
    assert_eq!(second["verified"], true, "{second}");
    assert!(
        receiver.next_within(Duration::from_secs(2)).is_none(),
        "a delivered event is not sent again"
    );
    let list = deliveries_until(&api, &endpoint, |l| {
        l.iter().all(|d| d["state"] == "DELIVERED")
    })
    .await;
    let statuses: Vec<&Value> = list[0]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["status"])
        .collect();
    assert_eq!(statuses, [&json!(500), &json!(200)]);
}

/// 410 Gone fails the delivery and switches the endpoint off: later events
/// are not sent to it.
async fn gone_switches_the_endpoint_off(backend: Backend) {
    let receiver = WebhookReceiver::start();
    receiver.control("answers", "410").await;
    let api = start(backend, &FAST_RETRIES);
    let endpoint = subscribe(&api, &receiver, &["order.created"]).await;
    api.product("GONE", 5, 1.0).await;
    let ada = api.customer("ada@example.com").await;
    api.order(&ada, &[("GONE", 1)]).await;
    assert_eq!(receiver.next()["answered"], 410);

    let list = deliveries_until(&api, &endpoint, |l| {
        l.iter().all(|d| d["state"] == "FAILED")
    })
    .await;
    assert_eq!(list[0]["attempts"].as_array().unwrap().len(), 1);
    let (_, now) = api
        .get(&format!(
            "/api/webhooks/{}",
            endpoint["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(now["active"], false, "{now}");
    assert!(
        now["disabledReason"].as_str().unwrap().contains("410"),
        "{now}"
    );
    assert!(
        now.get("secret").is_none(),
        "the secret is never shown again"
    );

    api.order(&ada, &[("GONE", 1)]).await;
    assert!(receiver.next_within(Duration::from_secs(2)).is_none());

    // A bad change is refused and changes nothing; switching it back on works.
    let path = format!("/api/webhooks/{}", endpoint["id"].as_str().unwrap());
    let (status, error) = api
        .patch(&path, json!({"active": true, "events": ["order.nope"]}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["details"]["field"], "events[0]");
    assert_eq!(api.get(&path).await.1["active"], false);
    let (status, on) = api.patch(&path, json!({"active": true})).await;
    assert_eq!(status, StatusCode::OK, "{on}");
    assert_eq!(
        (on["active"].clone(), on["disabledReason"].clone()),
        (json!(true), Value::Null)
    );
}

/// A ping reaches the endpoint; any delivery can be sent again by hand,
/// with its event's id.
async fn ping_and_redeliver(backend: Backend) {
    let receiver = WebhookReceiver::start();
    let api = start(backend, &FAST_RETRIES);
    let endpoint = subscribe(&api, &receiver, &["order.created"]).await;
    let id = endpoint["id"].as_str().unwrap();
    let (status, ping) = api
        .post(&format!("/api/webhooks/{id}/ping"), json!({}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{ping}");
    let pinged = receiver.next();
    assert_eq!(pinged["body"]["type"], "webhook.ping");
    assert_eq!(pinged["verified"], true);
    deliveries_until(&api, &endpoint, |l| {
        l.iter().all(|d| d["state"] == "DELIVERED")
    })
    .await;

    let (status, body) = api
        .post(
            &format!(
                "/api/webhooks/{id}/deliveries/{}/redeliver",
                ping["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let again = receiver.next();
    assert_eq!(again["id"], pinged["id"]);
    let list = deliveries_until(&api, &endpoint, |l| {
        l[0]["state"] == "DELIVERED" && l[0]["attempts"].as_array().unwrap().len() == 2
    })
    .await;
    assert_eq!(list.len(), 1);

    // A new secret signs from now on; the old one is gone.
    let (status, rotated) = api
        .post(&format!("/api/webhooks/{id}/rotate-secret"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    assert_ne!(rotated["secret"], endpoint["secret"]);
    api.post(&format!("/api/webhooks/{id}/ping"), json!({}))
        .await;
    let unverified = receiver.next();
    assert_ne!(
        unverified["verified"], true,
        "signed with the new secret: {unverified}"
    );
}

/// What the API refuses, and changes nothing when it does.
async fn bad_subscriptions_are_refused(backend: Backend) {
    let receiver = WebhookReceiver::start();
    // Without IGNIFLO_WEBHOOK_ALLOW_PRIVATE, loopback is refused.
    let api = start(backend, &[]);
    for (body, field) in [
        (json!({"url": receiver.url(), "events": ["*"]}), "url"),
        (json!({"url": "http://127.0.0.1/", "events": ["*"]}), "url"),
        (json!({"url": "http://[::1]/", "events": ["*"]}), "url"),
        (json!({"url": "ftp://example.com/", "events": ["*"]}), "url"),
        (
            json!({"url": "https://example.com/", "events": ["order.shipped"]}),
            "events[0]",
        ),
        (
            json!({"url": "https://example.com/", "events": []}),
            "events",
        ),
    ] {
        let (status, error) = api.post("/api/webhooks", body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {error}");
        assert_eq!(error["code"], "invalid_value");
        assert_eq!(error["details"]["field"], field, "{error}");
    }
    let (status, error) = api
        .post("/api/webhooks", json!({"url": "https://example.com/"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    let (_, list) = api.get("/api/webhooks").await;
    assert_eq!(list, json!([]));
    let (status, _) = api
        .get("/api/webhooks/0123456789abcdef01234567/deliveries")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api.get("/api/webhooks/nope").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let r = api
        .public
        .get(api.url("/api/webhooks"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

on_every_store!(
    subscribed_events_arrive_signed_and_in_order,
    a_failed_delivery_is_retried_with_the_same_id,
    gone_switches_the_endpoint_off,
    ping_and_redeliver,
    bad_subscriptions_are_refused,
);

/// The server's environment for `database`, as the test servers have it.
fn server_on(database: &str, env: &[(&str, &str)]) -> Server {
    let mut all = vec![
        ("DATABASE_URL", database),
        ("IGNIFLO_ADMIN_TOKEN", ADMIN_TOKEN),
        ("IGNIFLO_ADMIN_PASSWORD", ADMIN_PASSWORD),
        ("IGNIFLO_RATE_PUBLIC", "1000000"),
        ("IGNIFLO_RATE_ORDERS", "1000000"),
    ];
    all.extend_from_slice(env);
    Server::spawn(&all)
}

/// Killed (SIGKILL) with events queued for a failing endpoint, restarted:
/// every committed event still reaches it.
async fn queued_events_survive_a_kill(database: &str) {
    let receiver = WebhookReceiver::start();
    receiver.control("answers", "503").await;
    let api = Api::on(server_on(database, &FAST_RETRIES));
    subscribe(&api, &receiver, &["order.created"]).await;
    api.product("KILL", 100, 1.0).await;
    let ada = api.customer("ada@example.com").await;
    let mut placed = Vec::new();
    for _ in 0..5 {
        let (status, order) = api.order(&ada, &[("KILL", 1)]).await;
        assert_eq!(status, StatusCode::CREATED, "{order}");
        placed.push(order["_id"].as_str().unwrap().to_string());
    }
    drop(api); // SIGKILL: no chance to finish anything.

    receiver.control("answers", "200").await;
    let _api = Api::on(server_on(database, &FAST_RETRIES));
    let mut delivered = Vec::new();
    while delivered.len() < placed.len() {
        // A delivery the kill caught mid-request waits out its lease (60 s).
        let request = receiver
            .next_within(Duration::from_secs(75))
            .expect("every queued event arrives after the restart");
        if request["answered"] == 200 {
            assert_eq!(request["verified"], true, "{request}");
            delivered.push(request["body"]["data"]["_id"].as_str().unwrap().to_string());
        }
    }
    // One endpoint gets its events in the order they were committed.
    assert_eq!(delivered, placed);
}

#[tokio::test]
async fn sqlite_queued_events_survive_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("kill.db").display());
    queued_events_survive_a_kill(&database).await;
}

#[tokio::test]
async fn mongo_queued_events_survive_a_kill() {
    queued_events_survive_a_kill(&SecantusDb::shared().fresh_database()).await;
}

/// Two instances on one MongoDB database: each event reaches the endpoint
/// once, whichever instance took the order.
#[tokio::test]
async fn mongo_two_instances_deliver_each_event_once() {
    let receiver = WebhookReceiver::start();
    let database = SecantusDb::shared().fresh_database();
    let a = Api::on(server_on(&database, &FAST_RETRIES));
    let b = Api::on(server_on(&database, &FAST_RETRIES));
    subscribe(&a, &receiver, &["order.created"]).await;
    a.product("TWO", 100, 1.0).await;
    let ada = a.customer("ada@example.com").await;
    let mut placed = Vec::new();
    for i in 0..10 {
        let instance = if i % 2 == 0 { &a } else { &b };
        let (status, order) = instance.order(&ada, &[("TWO", 1)]).await;
        assert_eq!(status, StatusCode::CREATED, "{order}");
        placed.push(order["_id"].as_str().unwrap().to_string());
    }
    let mut times: HashMap<String, usize> = HashMap::new();
    while times.len() < placed.len() {
        let request = receiver.next();
        assert_eq!(request["verified"], true, "{request}");
        *times
            .entry(request["body"]["data"]["_id"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert!(
        receiver.next_within(Duration::from_secs(3)).is_none(),
        "no event twice"
    );
    assert!(times.values().all(|&n| n == 1), "{times:?}");
}
