//! The outbox, on every store: each committed change writes the events it
//! announces in its own transaction, carrying the order or product as the
//! change left it; a refused change writes none.

use super::*;
use serde_json::Value;

/// The outbox, oldest first, as (type, body).
async fn outbox(f: &Fixture) -> Vec<(String, Value)> {
    f.service
        .oldest_outbox_events(1000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            let body: Value = serde_json::from_str(&e.body).unwrap();
            assert_eq!(body["id"], e.id.as_str());
            assert!(e.id.starts_with("evt_") && e.id.len() == 28, "{}", e.id);
            assert_eq!(body["type"], e.kind.as_str());
            assert_eq!(body["createdAt"], e.at.to_string());
            (e.kind, body)
        })
        .collect()
}

fn kinds(events: &[(String, Value)]) -> Vec<&str> {
    events.iter().map(|(kind, _)| kind.as_str()).collect()
}

pub async fn committed_changes_and_only_they_write_their_events(f: &Fixture) {
    let c = customer(&f.service, "ada@example.com").await;
    let lamp = f
        .service
        .add_product(
            NewProduct {
                name: "Lamp".into(),
                sku: "LAMP".into(),
                stock: 10,
                price: Money::from_cents(3000),
                low_stock_threshold: Some(2),
            },
            staff_actor(),
        )
        .await
        .unwrap();
    let first = placed(f, &c, &[("LAMP", 1)]).await;
    let events = outbox(f).await;
    assert_eq!(kinds(&events), ["order.created"]);
    let data = &events[0].1["data"];
    assert_eq!(data["number"], first.number.as_str());
    assert_eq!(data["total"], serde_json::json!(30));
    // The product as the order left it, not as it was read.
    assert_eq!(data["items"][0]["product"]["stock"], 9);

    // Refused: out of stock, and a move the table forbids. Nothing written.
    assert!(f
        .service
        .place_order(order(&c, &[("LAMP", 50)]), None, Actor::customer())
        .await
        .is_err());
    assert!(f
        .service
        .change_status(first.id, OrderStatus::Fulfilled, staff_actor())
        .await
        .is_err());
    assert_eq!(outbox(f).await.len(), 1);

    f.service
        .change_status(first.id, OrderStatus::Paid, staff_actor())
        .await
        .unwrap();
    // Setting the status it has changes nothing and announces nothing.
    f.service
        .change_status(first.id, OrderStatus::Paid, staff_actor())
        .await
        .unwrap();
    // Seven more take the lamp to its threshold of 2.
    let second = placed(f, &c, &[("LAMP", 7)]).await;
    f.service
        .ship(first.id, NewShipment::default(), None, staff_actor())
        .await
        .unwrap();
    f.service
        .change_status(second.id, OrderStatus::Paid, staff_actor())
        .await
        .unwrap();
    f.service
        .change_status(second.id, OrderStatus::Cancelled, staff_actor())
        .await
        .unwrap();
    let events = outbox(f).await;
    assert_eq!(
        kinds(&events),
        [
            "order.created",
            "order.paid",
            "order.created",
            "product.low_stock",
            "order.shipment_created",
            "order.fulfilled",
            "order.paid",
            "order.cancelled",
            "order.refunded",
        ]
    );
    assert_eq!(events[3].1["data"]["sku"], "LAMP");
    assert_eq!(events[3].1["data"]["stock"], 2);
    assert_eq!(events[5].1["data"]["status"], "FULFILLED");
    assert_eq!(
        events[5].1["data"]["shipments"].as_array().unwrap().len(),
        1
    );
    // The cancellation's events carry the stock it gave back.
    assert_eq!(events[8].1["data"]["items"][0]["product"]["stock"], 9);
    assert_eq!(stock_of(&f.service, lamp.id).await, 9);
    let ids: std::collections::HashSet<&str> = events
        .iter()
        .map(|(_, b)| b["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), events.len(), "every event has its own id");
}

pub async fn racing_commands_announce_what_committed_once(f: &Fixture) {
    let c = customer(&f.service, "ada@example.com").await;
    product(&f.service, "A", 10, 1000).await;
    let o = placed(f, &c, &[("A", 2)]).await;
    let racers: Vec<_> = (0..6)
        .map(|_| {
            let service = f.service.clone();
            tokio::spawn(async move {
                service
                    .change_status(o.id, OrderStatus::Cancelled, staff_actor())
                    .await
            })
        })
        .collect();
    for racer in racers {
        racer.await.unwrap().unwrap();
    }
    assert_eq!(
        kinds(&outbox(f).await),
        ["order.created", "order.cancelled"]
    );
}
