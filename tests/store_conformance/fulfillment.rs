//! Orders that leave the building, on every store: shipments up to
//! FULFILLED, returns with and without restock, refunds capped under a
//! race, notes, what the customer sees, and idempotent retries.

use super::*;

/// A PAID order of 3 × A (10.00) and 2 × B (5.00): 40.00.
async fn paid_order(f: &Fixture) -> (Order, Product, Product) {
    let c = customer(&f.service, "ada@example.com").await;
    let a = product(&f.service, "A", 10, 1000).await;
    let b = product(&f.service, "B", 10, 500).await;
    (placed_and_paid(f, &c, &[("A", 3), ("B", 2)]).await, a, b)
}

/// `c`'s order of these lines, placed (PENDING).
pub async fn placed(f: &Fixture, c: &Customer, lines: &[(&str, i64)]) -> Order {
    f.service
        .place_order(order(c, lines), None, Actor::customer())
        .await
        .unwrap()
        .placed
        .order
}

/// `c`'s order of these lines, placed and then marked PAID.
pub async fn placed_and_paid(f: &Fixture, c: &Customer, lines: &[(&str, i64)]) -> Order {
    let o = placed(f, c, lines).await;
    f.service
        .change_status(o.id, OrderStatus::Paid, staff_actor())
        .await
        .unwrap()
}

fn parcel(lines: &[(&str, i64)]) -> NewShipment {
    NewShipment {
        items: Some(
            lines
                .iter()
                .map(|(p, q)| ItemQuantity {
                    product: p.to_string(),
                    quantity: *q,
                })
                .collect(),
        ),
        ..Default::default()
    }
}

fn items(lines: &[(&str, i64)]) -> Vec<ItemQuantity> {
    parcel(lines).items.unwrap()
}

fn shipped(o: &Order) -> Vec<(String, i64, i64)> {
    o.items
        .iter()
        .map(|l| (l.sku.clone(), l.shipped_quantity, l.returned_quantity))
        .collect()
}

pub async fn partial_shipments_lead_to_fulfilled(f: &Fixture) {
    let (o, a, _) = paid_order(f).await;
    let mut events = f.hub.subscribe();
    let first = f
        .service
        .ship(
            o.id,
            NewShipment {
                carrier: Some(" DHL ".into()),
                tracking_number: Some("JD0001".into()),
                tracking_url: Some("https://track.example/JD0001".into()),
                ..parcel(&[("A", 1), (&a.id.to_string(), 1)])
            },
            None,
            staff_actor(),
        )
        .await
        .unwrap()
        .order;
    assert_eq!(first.status, OrderStatus::Paid);
    assert_eq!(
        first.fulfillment_status,
        FulfillmentStatus::PartiallyFulfilled
    );
    assert_eq!(
        shipped(&first),
        [("A".into(), 2, 0), ("B".into(), 0, 0)],
        "two mentions of a line add up"
    );
    assert_eq!(first.shipments[0].carrier.as_deref(), Some("DHL"));
    // MongoDB's change feed may still be delivering the move to PAID.
    loop {
        match next_event(&mut events).await {
            LiveEvent::OrderUpdated(e)
                if e.status == OrderStatus::Paid && e.shipments.is_empty() => {}
            LiveEvent::OrderUpdated(e) => break assert_eq!(*e, first, "announced as stored"),
            other => panic!("expected order-updated, got {other:?}"),
        }
    }

    let rest = f
        .service
        .ship(o.id, NewShipment::default(), None, staff_actor())
        .await
        .unwrap()
        .order;
    assert_eq!(rest.status, OrderStatus::Fulfilled);
    assert_eq!(rest.fulfillment_status, FulfillmentStatus::Fulfilled);
    assert_eq!(shipped(&rest), [("A".into(), 3, 0), ("B".into(), 2, 0)]);
    assert_eq!(rest.shipments.len(), 2);
    assert_eq!(
        rest.shipments[1].items,
        [
            ParcelItem {
                product: a.id,
                sku: "A".into(),
                quantity: 1
            },
            ParcelItem {
                product: rest.items[1].product.id,
                sku: "B".into(),
                quantity: 2
            }
        ],
        "no items: everything left"
    );
    let statuses: Vec<_> = rest.status_history.iter().map(|e| e.status).collect();
    assert_eq!(
        statuses,
        [
            OrderStatus::Pending,
            OrderStatus::Paid,
            OrderStatus::Fulfilled
        ]
    );
    let kinds: Vec<_> = rest.timeline.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            TimelineKind::Status,
            TimelineKind::Status,
            TimelineKind::Shipment,
            TimelineKind::Shipment,
            TimelineKind::Status
        ]
    );
    assert!(matches!(
        f.service
            .ship(o.id, NewShipment::default(), None, staff_actor())
            .await,
        Err(AppError::OrderCannot { .. })
    ));
    let read = f.service.order(o.id).await.unwrap();
    assert_eq!(read, rest, "what was returned is what was stored");
    assert_eq!(
        stock_of(&f.service, a.id).await,
        7,
        "shipping moves no stock"
    );
}

pub async fn shipping_is_refused_beyond_what_is_unshipped(f: &Fixture) {
    let (o, _, _) = paid_order(f).await;
    let refused = |r: Result<_, AppError>| {
        r.map(|_: igniflo::server::service::OrderCommand| ())
            .unwrap_err()
    };
    let ship = |input: NewShipment| f.service.ship(o.id, input, None, staff_actor());
    assert!(matches!(
        refused(ship(parcel(&[("A", 4)])).await),
        AppError::Invalid { ref field, .. } if field == "items[0].quantity"
    ));
    assert!(matches!(
        refused(ship(parcel(&[("A", 2), ("A", 2)])).await),
        AppError::Invalid { ref field, .. } if field == "items[1].quantity"
    ));
    assert!(matches!(
        refused(ship(parcel(&[("B", 1), ("NOPE", 1)])).await),
        AppError::Invalid { ref field, .. } if field == "items[1].product"
    ));
    for q in [0, -1] {
        assert!(matches!(
            refused(ship(parcel(&[("A", q)])).await),
            AppError::Invalid { ref field, .. } if field == "items[0].quantity"
        ));
    }
    for url in [
        "javascript:alert(1)",
        "ftp://x.example/1",
        "https://",
        "track.example/1",
    ] {
        let input = NewShipment {
            tracking_url: Some(url.into()),
            ..Default::default()
        };
        assert!(
            matches!(
                refused(ship(input).await),
                AppError::Invalid { ref field, .. } if field == "trackingUrl"
            ),
            "{url}"
        );
    }
    let unchanged = f.service.order(o.id).await.unwrap();
    assert_eq!(
        unchanged.version, o.version,
        "a refused shipment writes nothing"
    );
    assert!(unchanged.shipments.is_empty());

    let c = customer(&f.service, "bob@example.com").await;
    let pending = placed(f, &c, &[("A", 1)]).await;
    assert!(matches!(
        f.service.ship(pending.id, NewShipment::default(), None, staff_actor()).await,
        Err(AppError::OrderCannot { ref why, .. }) if why.contains("not been paid")
    ));
    f.service
        .change_status(pending.id, OrderStatus::Cancelled, staff_actor())
        .await
        .unwrap();
    assert!(matches!(
        f.service.ship(pending.id, NewShipment::default(), None, staff_actor()).await,
        Err(AppError::OrderCannot { ref why, .. }) if why.contains("cancelled")
    ));
}

pub async fn a_shipped_order_cannot_be_cancelled_and_a_paid_one_is_refunded(f: &Fixture) {
    let (o, a, b) = paid_order(f).await;
    f.service
        .ship(o.id, parcel(&[("A", 1)]), None, staff_actor())
        .await
        .unwrap();
    assert!(matches!(
        f.service
            .change_status(o.id, OrderStatus::Cancelled, staff_actor())
            .await,
        Err(AppError::OrderCannot { .. })
    ));
    assert_eq!(stock_of(&f.service, a.id).await, 7);

    let c = customer(&f.service, "bob@example.com").await;
    let other = placed_and_paid(f, &c, &[("A", 2), ("B", 1)]).await;
    let cancelled = f
        .service
        .change_status(other.id, OrderStatus::Cancelled, staff_actor())
        .await
        .unwrap();
    assert_eq!(cancelled.payment_status, PaymentStatus::Refunded);
    assert_eq!(cancelled.refunded_total, Money::from_cents(2500));
    assert_eq!(cancelled.refunds.len(), 1);
    assert_eq!(stock_of(&f.service, a.id).await, 7);
    assert_eq!(stock_of(&f.service, b.id).await, 8);
}

pub async fn returns_put_stock_back_only_when_restocked(f: &Fixture) {
    let (o, a, b) = paid_order(f).await;
    f.service
        .ship(o.id, NewShipment::default(), None, staff_actor())
        .await
        .unwrap();
    let back = |lines: &[(&str, i64)], restock: bool, refund: Option<i64>| NewReturn {
        items: items(lines),
        reason: ReturnReason::Damaged,
        note: Some("box crushed".into()),
        restock,
        refund: refund.map(Money::from_cents),
    };
    let restocked = f
        .service
        .take_return(
            o.id,
            back(&[("A", 2)], true, Some(2000)),
            None,
            staff_actor(),
        )
        .await
        .unwrap()
        .order;
    assert_eq!(stock_of(&f.service, a.id).await, 9, "7 + 2 back on sale");
    assert_eq!(shipped(&restocked)[0], ("A".into(), 3, 2));
    assert_eq!(restocked.payment_status, PaymentStatus::PartiallyRefunded);
    assert_eq!(restocked.refunded_total, Money::from_cents(2000));
    assert_eq!(restocked.returns[0].refund, Some(restocked.refunds[0].id));
    let movements = f.service.movements(a.id, Page::default()).await.unwrap();
    assert_eq!(
        (
            movements[0].reason,
            movements[0].delta,
            movements[0].stock_after,
            movements[0].order
        ),
        (StockReason::Returned, 2, 9, Some(o.id))
    );

    let kept = f
        .service
        .take_return(o.id, back(&[("B", 1)], false, None), None, staff_actor())
        .await
        .unwrap()
        .order;
    assert_eq!(stock_of(&f.service, b.id).await, 8, "not restocked");
    assert_eq!(shipped(&kept)[1], ("B".into(), 2, 1));

    for (lines, field) in [
        (vec![("A", 2)], "items[0].quantity"),
        (vec![("B", 2)], "items[0].quantity"),
        (vec![("C", 1)], "items[0].product"),
    ] {
        let r = f
            .service
            .take_return(o.id, back(&lines, true, None), None, staff_actor())
            .await;
        assert!(
            matches!(r, Err(AppError::Invalid { field: ref got, .. }) if got == field),
            "{lines:?}"
        );
    }
    assert!(matches!(
        f.service
            .take_return(o.id, back(&[("A", 1)], true, Some(3000)), None, staff_actor())
            .await,
        Err(AppError::RefundTooLarge { refundable, .. }) if refundable == Money::from_cents(2000)
    ));
    assert_eq!(
        stock_of(&f.service, a.id).await,
        9,
        "a refused return restocks nothing"
    );
    let c = customer(&f.service, "bob@example.com").await;
    let unshipped = placed(f, &c, &[("A", 1)]).await;
    assert!(
        matches!(
            f.service
                .take_return(unshipped.id, back(&[("A", 1)], true, None), None, staff_actor())
                .await,
            Err(AppError::Invalid { ref field, .. }) if field == "items[0].quantity"
        ),
        "nothing shipped, nothing to return"
    );
}

pub async fn refunds_never_exceed_what_was_paid_even_when_racing(f: &Fixture) {
    let (o, _, _) = paid_order(f).await;
    let c = customer(&f.service, "bob@example.com").await;
    let unpaid = placed(f, &c, &[("A", 1)]).await;
    assert!(matches!(
        f.service
            .refund(
                unpaid.id,
                NewRefund {
                    amount: Money::from_cents(100),
                    reason: None
                },
                None,
                staff_actor()
            )
            .await,
        Err(AppError::OrderCannot { .. })
    ));
    let mut racers = Vec::new();
    for _ in 0..20 {
        let s = f.service.clone();
        racers.push(tokio::spawn(async move {
            let input = NewRefund {
                amount: Money::from_cents(1200),
                reason: Some("goodwill".into()),
            };
            s.refund(o.id, input, None, staff_actor()).await
        }));
    }
    let mut refunded = 0;
    for r in racers {
        match r.await.unwrap() {
            Ok(_) => refunded += 1,
            Err(AppError::RefundTooLarge { .. }) => {}
            Err(other) => panic!("a racing refund failed otherwise: {other:?}"),
        }
    }
    assert_eq!(refunded, 3, "3 × 12.00 fit in 40.00, a fourth does not");
    let o = f.service.order(o.id).await.unwrap();
    assert_eq!(o.refunded_total, Money::from_cents(3600));
    assert_eq!(o.refundable(), Money::from_cents(400));
    assert_eq!(o.payment_status, PaymentStatus::PartiallyRefunded);
    let last = f
        .service
        .refund(
            o.id,
            NewRefund {
                amount: Money::from_cents(400),
                reason: None,
            },
            None,
            staff_actor(),
        )
        .await
        .unwrap()
        .order;
    assert_eq!(last.payment_status, PaymentStatus::Refunded);
    let dashboard = f.service.dashboard(Timestamp::now()).await.unwrap();
    assert_eq!(
        dashboard.revenue_today,
        Money::default(),
        "all of it went back"
    );
}

pub async fn retried_commands_apply_once(f: &Fixture) {
    let (o, a, _) = paid_order(f).await;
    let key = || Some("parcel-1".to_string());
    let first = f
        .service
        .ship(o.id, parcel(&[("A", 1)]), key(), staff_actor())
        .await
        .unwrap();
    let again = f
        .service
        .ship(o.id, parcel(&[("A", 1)]), key(), staff_actor())
        .await
        .unwrap();
    assert!(!first.replayed && again.replayed);
    assert_eq!(again.order.shipments.len(), 1);
    assert_eq!(
        f.service
            .ship(o.id, parcel(&[("A", 2)]), key(), staff_actor())
            .await
            .unwrap_err(),
        AppError::IdempotencyKeyReused
    );

    let refund = || NewRefund {
        amount: Money::from_cents(500),
        reason: None,
    };
    for _ in 0..3 {
        f.service
            .refund(o.id, refund(), Some("refund-1".into()), staff_actor())
            .await
            .unwrap();
    }
    let back = || NewReturn {
        items: items(&[("A", 1)]),
        reason: ReturnReason::ChangedMind,
        note: None,
        restock: true,
        refund: None,
    };
    for _ in 0..3 {
        f.service
            .take_return(o.id, back(), Some("return-1".into()), staff_actor())
            .await
            .unwrap();
    }
    let o = f.service.order(o.id).await.unwrap();
    assert_eq!(o.refunded_total, Money::from_cents(500), "one refund");
    assert_eq!(o.returns.len(), 1, "one return");
    assert_eq!(stock_of(&f.service, a.id).await, 8, "restocked once");
}

pub async fn customers_see_what_is_theirs_to_see(f: &Fixture) {
    let c = customer(&f.service, "ada@example.com").await;
    product(&f.service, "A", 10, 1000).await;
    let placed = f
        .service
        .checkout(
            NewCustomer {
                name: "Ada".into(),
                email: "ada@example.com".into(),
                phone: "+44 20 7946 0958".into(),
            },
            home(),
            lines(&[("A", 2)]),
            None,
        )
        .await
        .unwrap();
    assert_eq!(placed.order.customer.id, c.id);
    assert_eq!(placed.order.shipping_address, Some(home()));
    let id = placed.order.id;
    f.service
        .change_status(id, OrderStatus::Paid, staff_actor())
        .await
        .unwrap();
    f.service
        .ship(
            id,
            NewShipment {
                tracking_url: Some("https://track.example/1".into()),
                ..parcel(&[("A", 1)])
            },
            None,
            staff_actor(),
        )
        .await
        .unwrap();
    for (text, visible) in [("Packed with care", true), ("Customer was rude", false)] {
        f.service
            .add_note(
                id,
                NewNote {
                    text: text.into(),
                    visible_to_customer: visible,
                },
                staff_actor(),
            )
            .await
            .unwrap();
    }
    f.service
        .refund(
            id,
            NewRefund {
                amount: Money::from_cents(100),
                reason: Some("late parcel".into()),
            },
            None,
            staff_actor(),
        )
        .await
        .unwrap();
    let staff = f.service.order(id).await.unwrap();
    assert_eq!(staff.notes.len(), 2);
    assert!(staff
        .timeline
        .iter()
        .any(|e| e.summary.contains("late parcel")));

    let seen = f
        .service
        .tracked_order(&placed.tracking_token)
        .await
        .unwrap();
    assert_eq!(seen.shipping_address, Some(home()));
    assert_eq!(
        seen.shipments[0].tracking_url.as_deref(),
        Some("https://track.example/1")
    );
    let notes: Vec<_> = seen.notes.iter().map(|n| n.text.as_str()).collect();
    assert_eq!(notes, ["Packed with care"]);
    assert_eq!(seen.refunds[0].reason, None);
    let everything = serde_json::to_string(&seen).unwrap();
    for secret in ["rude", "late parcel"] {
        assert!(
            !everything.contains(secret),
            "{secret} leaked: {everything}"
        );
    }
    assert!(matches!(
        f.service
            .add_note(id, NewNote { text: " ".into(), visible_to_customer: false }, staff_actor())
            .await,
        Err(AppError::Invalid { ref field, .. }) if field == "text"
    ));
    assert!(matches!(
        f.service
            .add_note(id, NewNote { text: "x".repeat(2001), visible_to_customer: false }, staff_actor())
            .await,
        Err(AppError::Invalid { ref field, .. }) if field == "text"
    ));
}

pub async fn lists_filter_by_payment_and_fulfillment(f: &Fixture) {
    let (o, _, _) = paid_order(f).await;
    let c = customer(&f.service, "bob@example.com").await;
    let pending = placed(f, &c, &[("A", 1)]).await;
    f.service
        .ship(o.id, parcel(&[("A", 1)]), None, staff_actor())
        .await
        .unwrap();
    f.service
        .refund(
            o.id,
            NewRefund {
                amount: Money::from_cents(100),
                reason: None,
            },
            None,
            staff_actor(),
        )
        .await
        .unwrap();
    let ids = |filter: OrderFilter| {
        let s = f.service.clone();
        async move {
            s.orders(&filter, Page::default())
                .await
                .unwrap()
                .into_iter()
                .map(|o| o.id)
                .collect::<Vec<_>>()
        }
    };
    let by_payment = |p| OrderFilter {
        payment_status: Some(p),
        ..Default::default()
    };
    let by_fulfillment = |p| OrderFilter {
        fulfillment_status: Some(p),
        ..Default::default()
    };
    assert_eq!(ids(by_payment(PaymentStatus::Unpaid)).await, [pending.id]);
    assert_eq!(
        ids(by_payment(PaymentStatus::PartiallyRefunded)).await,
        [o.id]
    );
    assert_eq!(ids(by_payment(PaymentStatus::Paid)).await, Vec::<Id>::new());
    assert_eq!(
        ids(by_fulfillment(FulfillmentStatus::PartiallyFulfilled)).await,
        [o.id]
    );
    assert_eq!(
        ids(by_fulfillment(FulfillmentStatus::Unfulfilled)).await,
        [pending.id]
    );
    assert_eq!(
        f.service
            .count_orders(&by_fulfillment(FulfillmentStatus::Fulfilled))
            .await
            .unwrap(),
        0
    );
}

pub async fn edge_cases_of_lines_and_amounts(f: &Fixture) {
    // The same product on two lines: the first line fills first, and the
    // order is FULFILLED only when both have shipped.
    let c = customer(&f.service, "ada@example.com").await;
    product(&f.service, "A", 10, 1000).await;
    let twice = placed_and_paid(f, &c, &[("A", 1), ("A", 1)]).await;
    let one = f
        .service
        .ship(twice.id, parcel(&[("A", 1)]), None, staff_actor())
        .await
        .unwrap()
        .order;
    assert_eq!(shipped(&one), [("A".into(), 1, 0), ("A".into(), 0, 0)]);
    assert_eq!(one.status, OrderStatus::Paid);
    assert!(matches!(
        f.service.ship(twice.id, parcel(&[("A", 2)]), None, staff_actor()).await,
        Err(AppError::Invalid { ref field, .. }) if field == "items[0].quantity"
    ));
    let both = f
        .service
        .ship(twice.id, parcel(&[("A", 1)]), None, staff_actor())
        .await
        .unwrap()
        .order;
    assert_eq!(both.status, OrderStatus::Fulfilled);
    assert_eq!(shipped(&both), [("A".into(), 1, 0), ("A".into(), 1, 0)]);

    // A paid order refunded in full does not ship.
    let c2 = customer(&f.service, "bob@example.com").await;
    let refunded = placed_and_paid(f, &c2, &[("A", 1)]).await;
    let refund = NewRefund {
        amount: Money::from_cents(1000),
        reason: None,
    };
    f.service
        .refund(refunded.id, refund, None, staff_actor())
        .await
        .unwrap();
    assert!(matches!(
        f.service.ship(refunded.id, NewShipment::default(), None, staff_actor()).await,
        Err(AppError::OrderCannot { ref why, .. }) if why.contains("refunded")
    ));

    // The largest order there may be is refunded whole and reads back;
    // one unit more is refused when placed.
    let dear = product(&f.service, "DEAR", 2000, Money::MAX_PRICE.cents()).await;
    assert!(matches!(
        f.service
            .place_order(order(&c2, &[("DEAR", 1001)]), None, Actor::customer())
            .await,
        Err(AppError::Invalid { ref field, .. }) if field == "items"
    ));
    let big = placed_and_paid(f, &c2, &[("DEAR", 1000)]).await;
    f.service
        .change_status(big.id, OrderStatus::Cancelled, staff_actor())
        .await
        .unwrap();
    let read = f.service.order(big.id).await.unwrap();
    assert_eq!(read.refunded_total, Money::from_cents(9_999_999_999_000));
    assert_eq!(read.payment_status, PaymentStatus::Refunded);
    assert_eq!(stock_of(&f.service, dear.id).await, 2000);
    let listed = f
        .service
        .orders(&OrderFilter::default(), Page::default())
        .await
        .unwrap();
    assert!(
        listed.iter().any(|o| o.id == big.id),
        "the list reads it too"
    );
}
