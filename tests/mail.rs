//! Emails end to end: the real server sends to a real SMTP server (Python's
//! aiosmtpd), which reports every message it accepted, decoded.

mod common;

use common::api::Api;
use common::receivers::LineServer;
use common::{on_every_store, Backend, Server};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;

const PAY: &str = "Pay by bank transfer to IBAN DE02 1203 0000 0000 2020 51.";

fn shop_with_email(backend: Backend, smtp: &LineServer) -> Api {
    let url = format!("smtp://127.0.0.1:{}", smtp.port);
    Api::on(Server::start_on_with(
        backend,
        &[
            ("IGNIFLO_SMTP_URL", url.as_str()),
            ("IGNIFLO_MAIL_FROM", "Igniflo Shop <shop@example.com>"),
            ("IGNIFLO_STAFF_ALERT_EMAIL", "staff@example.com"),
            ("IGNIFLO_PUBLIC_URL", "https://shop.example/"),
            ("IGNIFLO_PAYMENT_INSTRUCTIONS", PAY),
            ("IGNIFLO_WEBHOOK_FIRST_RETRY", "0.2"),
        ],
    ))
}

/// The next `n` messages, by recipient.
fn messages(smtp: &LineServer, n: usize) -> HashMap<String, Value> {
    (0..n)
        .map(|_| {
            let m = smtp.next();
            (m["to"][0].as_str().unwrap().to_string(), m)
        })
        .collect()
}

/// A placed order mails its customer (lines, total, how to pay, the
/// tracking link) and the staff; a parcel sent mails the customer the
/// carrier and where to follow it. Each email once.
async fn customers_and_staff_hear_of_orders(backend: Backend) {
    let smtp = LineServer::smtp();
    let api = shop_with_email(backend, &smtp);
    api.product("MUG", 10, 12.5).await;
    let ada = api.customer("ada@example.com").await;
    let (status, order) = api.order(&ada, &[("MUG", 2)]).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    let number = order["number"].as_str().unwrap();
    let token = order["trackingToken"].as_str().unwrap();

    let placed = messages(&smtp, 2);
    let to_ada = &placed["ada@example.com"];
    assert_eq!(to_ada["from"], "shop@example.com");
    assert_eq!(to_ada["header_from"], "Igniflo Shop <shop@example.com>");
    assert_eq!(to_ada["subject"], format!("Your order {number}"));
    let text = to_ada["text"].as_str().unwrap();
    for part in [
        "Hello Ada Lovelace,".to_string(),
        format!("thank you for your order {number}."),
        "2 × Product MUG (MUG) — $25.00".into(),
        "Total: $25.00".into(),
        format!("How to pay: {PAY}"),
        format!("Follow your order: https://shop.example/track?token={token}"),
    ] {
        assert!(text.contains(&part), "{part:?} in\n{text}");
    }
    let html = to_ada["html"].as_str().unwrap();
    assert!(
        html.contains(&format!(
            "<a href=\"https://shop.example/track?token={token}\">"
        )),
        "{html}"
    );
    let to_staff = &placed["staff@example.com"];
    assert_eq!(to_staff["subject"], format!("New order {number} ($25.00)"));
    assert!(to_staff["text"]
        .as_str()
        .unwrap()
        .contains("ada@example.com"));
    assert_ne!(to_ada["message_id"], to_staff["message_id"]);

    let (status, paid) = api.set_status(&order, "PAID").await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    let (status, shipped) = api
        .post(
            &format!("/api/orders/{}/shipments", order["_id"].as_str().unwrap()),
            json!({"items": [{"product": "MUG", "quantity": 2}], "carrier": "DHL",
                   "trackingNumber": "JD0001", "trackingUrl": "https://track.example/JD0001"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{shipped}");
    let sent = smtp.next();
    assert_eq!(sent["to"], json!(["ada@example.com"]));
    assert_eq!(sent["subject"], format!("Your order {number} has shipped"));
    let text = sent["text"].as_str().unwrap();
    assert!(
        text.contains("on its way with DHL (tracking number JD0001)")
            && text.contains("Follow it: https://track.example/JD0001"),
        "{text}"
    );
    assert!(
        smtp.next_within(Duration::from_secs(2)).is_none(),
        "each email is sent once"
    );

    // An order marked FULFILLED ships in one parcel with no carrier's link:
    // the email points to the shop's own order lookup.
    let (_, second) = api.order(&ada, &[("MUG", 1)]).await;
    let second_number = second["number"].as_str().unwrap();
    assert_eq!(messages(&smtp, 2).len(), 2);
    api.set_status(&second, "PAID").await;
    let (status, fulfilled) = api.set_status(&second, "FULFILLED").await;
    assert_eq!(status, StatusCode::OK, "{fulfilled}");
    let sent = smtp.next();
    let text = sent["text"].as_str().unwrap();
    assert!(
        text.contains(&format!("your order {second_number} is on its way."))
            && text.contains(&format!(
                "Follow it: https://shop.example/track (order {second_number}, ada@example.com)"
            )),
        "{text}"
    );
    // The receiver has each email before the sender hears the server's
    // answer and counts it: the count is read until it settles.
    let delivered = "igniflo_email_attempts_total{result=\"delivered\"} 6";
    let mut metrics = String::new();
    for _ in 0..50 {
        metrics = api
            .http
            .get(api.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if metrics.lines().any(|l| l == delivered) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(metrics.lines().any(|l| l == delivered), "{metrics}");
}

/// An order refused for want of stock sends nothing.
async fn a_refused_order_sends_no_email(backend: Backend) {
    let smtp = LineServer::smtp();
    let api = shop_with_email(backend, &smtp);
    api.product("LAST", 1, 3.0).await;
    let ada = api.customer("ada@example.com").await;
    let (status, _) = api.order(&ada, &[("LAST", 2)]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(smtp.next_within(Duration::from_secs(2)).is_none());
}

on_every_store!(
    customers_and_staff_hear_of_orders,
    a_refused_order_sends_no_email
);

/// Without an SMTP server the shop sends nothing, and says so once at start.
#[tokio::test]
async fn without_smtp_the_server_says_it_sends_no_email() {
    let api = Api::on(Server::start());
    api.product("A", 1, 1.0).await;
    let log = api.server.log.lock().unwrap().join("\n");
    assert_eq!(
        log.matches("IGNIFLO_SMTP_URL is not set: no emails will be sent")
            .count(),
        1,
        "{log}"
    );
}
