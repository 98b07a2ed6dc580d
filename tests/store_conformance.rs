//! One suite, every store: the service's rules hold whatever persists them.
//! Each test gets a fresh store from the factory named in `conformance!`;
//! tests of one store's own properties follow the suite. MongoDB runs on one
//! SecantusDB per test process, with a fresh database for each test.

mod common;
#[path = "store_conformance/fulfillment.rs"]
mod fulfillment;
#[path = "store_conformance/outbox.rs"]
mod outbox;
#[path = "store_conformance/staff.rs"]
mod staff;

use common::SecantusDb;
use fulfillment::*;
use igniflo::domain::*;
use igniflo::server::live::{LiveEvent, LiveHub};
use igniflo::server::service::Service;
use igniflo::server::store::mongo::MongoStore;
use igniflo::server::store::sqlite::SqliteStore;
use igniflo::server::store::SharedStore;
use outbox::*;
use staff::*;
use std::sync::Arc;

struct Fixture {
    service: Service,
    store: SharedStore,
    hub: LiveHub,
    _dir: Option<tempfile::TempDir>,
}

async fn sqlite_store() -> (SharedStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("test.db")).unwrap();
    (Arc::new(store), dir)
}

async fn sqlite_fixture() -> Fixture {
    let (store, dir) = sqlite_store().await;
    let hub = LiveHub::default();
    Fixture {
        service: Service::new(store.clone(), hub.clone()),
        store,
        hub,
        _dir: Some(dir),
    }
}

async fn mongo_fixture() -> Fixture {
    let url = SecantusDb::shared().fresh_database();
    let store: SharedStore = Arc::new(MongoStore::connect(&url).await.unwrap());
    let hub = LiveHub::default();
    Fixture {
        service: Service::new(store.clone(), hub.clone()),
        store,
        hub,
        _dir: None,
    }
}

/// Runs every named test against each store, with a fresh one from the
/// store's factory for every test, then proves that the scenario left every
/// product's stock equal to the sum of its ledger.
macro_rules! conformance {
    ([$($store:ident => $factory:ident),+ $(,)?]; $tests:tt) => {
        $( conformance!(@store $store, $factory; $tests); )+
    };
    (@store $store:ident, $factory:ident; [$($test:ident),+ $(,)?]) => {
        mod $store {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let fixture = super::$factory().await;
                    super::$test(&fixture).await;
                    super::the_ledger_accounts_for_all_stock(&fixture).await;
                }
            )+
        }
    };
}

conformance!([sqlite => sqlite_fixture, mongo => mongo_fixture]; [
    the_dashboard_counts_money_received_apart_from_money_awaited,
    transitions_follow_the_table,
    placing_an_order_takes_stock_and_snapshots_prices,
    an_order_failing_on_its_last_line_takes_nothing,
    unknown_products_and_customers_are_refused,
    racing_buyers_never_oversell,
    cancelling_returns_stock_exactly_once_even_when_racing,
    an_idempotency_key_places_one_order,
    unique_skus_and_emails,
    stock_adjustments_never_go_below_zero,
    order_lists_filter_and_page_newest_first,
    every_change_is_announced,
    checkout_reuses_a_returning_customers_record,
    checkout_checks_the_cart_before_registering_anyone,
    a_checkout_form_sent_twice_places_one_order,
    a_returning_customer_is_found_among_many_similar_emails,
    a_lost_tracking_link_is_reissued_only_for_the_right_number_and_email,
    the_ledger_records_every_stock_change,
    a_stock_count_is_not_lost_to_a_racing_order,
    falling_to_the_low_stock_threshold_is_announced_once,
    partial_shipments_lead_to_fulfilled,
    shipping_is_refused_beyond_what_is_unshipped,
    a_shipped_order_cannot_be_cancelled_and_a_paid_one_is_refunded,
    returns_put_stock_back_only_when_restocked,
    refunds_never_exceed_what_was_paid_even_when_racing,
    retried_commands_apply_once,
    customers_see_what_is_theirs_to_see,
    lists_filter_by_payment_and_fulfillment,
    edge_cases_of_lines_and_amounts,
    committed_changes_and_only_they_write_their_events,
    racing_commands_announce_what_committed_once,
    set_password_links_work_once_and_not_after_they_expire,
    the_last_active_owner_stays_an_owner_even_when_racing,
    deactivating_a_member_ends_their_sessions_and_tokens,
    tokens_carry_at_most_their_holders_role,
    staff_changes_are_logged_with_who_did_them
]);

/// The hub's next event; a lost one fails the test instead of hanging it.
async fn next_event(events: &mut tokio::sync::broadcast::Receiver<LiveEvent>) -> LiveEvent {
    tokio::time::timeout(std::time::Duration::from_secs(20), events.recv())
        .await
        .expect("the change is announced within 20 s")
        .expect("the hub is open and this listener kept up")
}

async fn the_ledger_accounts_for_all_stock(f: &Fixture) {
    assert_eq!(
        f.service.stock_mismatches().await.unwrap(),
        Vec::new(),
        "a product's stock differs from the sum of its ledger"
    );
}

async fn customer(s: &Service, email: &str) -> Customer {
    s.register_customer(NewCustomer {
        name: "Ada Lovelace".into(),
        email: email.into(),
        phone: "+44 20 7946 0958".into(),
    })
    .await
    .unwrap()
}

async fn product(s: &Service, sku: &str, stock: i64, cents: i64) -> Product {
    s.add_product(
        NewProduct {
            name: format!("Product {sku}"),
            sku: sku.into(),
            stock,
            price: Money::from_cents(cents),
            low_stock_threshold: None,
        },
        staff_actor(),
    )
    .await
    .unwrap()
}

/// A staff member, as the actor of staff's changes.
fn staff_actor() -> Actor {
    Actor {
        kind: ActorKind::Staff,
        id: Some("5f0000000000000000000001".into()),
        name: "Ada Packer".into(),
        staff: None,
    }
}

fn order(customer: &Customer, lines: &[(&str, i64)]) -> NewOrder {
    NewOrder {
        customer: customer.id,
        items: lines
            .iter()
            .map(|(p, q)| NewOrderLine {
                product: p.to_string(),
                quantity: *q,
            })
            .collect(),
        shipping_address: None,
        payment_received: false,
    }
}

async fn stock_of(s: &Service, id: Id) -> i64 {
    s.product(id).await.unwrap().stock
}

async fn placing_an_order_takes_stock_and_snapshots_prices(f: &Fixture) {
    let c = customer(&f.service, "ada@example.com").await;
    let mug = product(&f.service, "MUG", 10, 1450).await;
    let bean = product(&f.service, "BEAN", 5, 2450).await;
    let placed = f
        .service
        .place_order(
            order(&c, &[("MUG", 2), (&bean.id.to_string(), 3)]),
            None,
            Actor::customer(),
        )
        .await
        .unwrap();
    let o = placed.placed.order;
    assert!(!placed.replayed);
    assert_eq!(o.status, OrderStatus::Pending);
    assert_eq!(o.total, Money::from_cents(2 * 1450 + 3 * 2450));
    assert_eq!(o.customer, c);
    assert_eq!(o.items[0].sku, "MUG");
    assert_eq!(o.items[0].unit_price, Money::from_cents(1450));
    assert_eq!(o.items[0].line_total, Money::from_cents(2900));
    assert_eq!(o.items[1].product.id, bean.id);
    assert_eq!(o.status_history.len(), 1);
    assert_eq!(o.number.len(), 11);
    assert_eq!(stock_of(&f.service, mug.id).await, 8);
    assert_eq!(stock_of(&f.service, bean.id).await, 2);

    // A later price change leaves the order's snapshot alone.
    f.service
        .update_product(
            mug.id,
            ProductUpdate {
                price: Some(Money::from_cents(9999)),
                ..Default::default()
            },
            staff_actor(),
        )
        .await
        .unwrap();
    let again = f.service.order(o.id).await.unwrap();
    assert_eq!(again.items[0].unit_price, Money::from_cents(1450));
    assert_eq!(again.items[0].product.price, Money::from_cents(9999));
    assert_eq!(again.total, o.total);
    assert_eq!(
        f.service
            .order_by_number(&o.number.to_lowercase())
            .await
            .unwrap()
            .id,
        o.id
    );
}

async fn an_order_failing_on_its_last_line_takes_nothing(f: &Fixture) {
    let c = customer(&f.service, "ada@example.com").await;
    let a = product(&f.service, "A", 5, 100).await;
    let b = product(&f.service, "B", 5, 100).await;
    let short = product(&f.service, "C", 1, 100).await;
    let err = f
        .service
        .place_order(
            order(&c, &[("A", 2), ("B", 5), ("C", 2)]),
            None,
            Actor::customer(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        AppError::OutOfStock {
            line: 2,
            sku: "C".into(),
            requested: 2,
            available: 1
        }
    );
    assert_eq!(stock_of(&f.service, a.id).await, 5);
    assert_eq!(stock_of(&f.service, b.id).await, 5);
    assert_eq!(stock_of(&f.service, short.id).await, 1);
    assert!(f
        .service
        .orders(&OrderFilter::default(), Page::default())
        .await
        .unwrap()
        .is_empty());
}

async fn unknown_products_and_customers_are_refused(f: &Fixture) {
    let c = customer(&f.service, "ada@example.com").await;
    product(&f.service, "A", 5, 100).await;
    let err = f
        .service
        .place_order(order(&c, &[("A", 1), ("NOPE", 1)]), None, Actor::customer())
        .await
        .unwrap_err();
    assert!(
        matches!(err, AppError::Invalid { ref field, .. } if field == "items[1].product"),
        "{err:?}"
    );
    let stranger = Customer {
        id: Id::from_bytes([7; 12]),
        ..c
    };
    let err = f
        .service
        .place_order(order(&stranger, &[("A", 1)]), None, Actor::customer())
        .await
        .unwrap_err();
    assert!(
        matches!(err, AppError::Invalid { ref field, .. } if field == "customer"),
        "{err:?}"
    );
}

async fn racing_buyers_never_oversell(f: &Fixture) {
    let p = product(&f.service, "HOT", 20, 500).await;
    let mut buyers = Vec::new();
    for i in 0..100 {
        let s = f.service.clone();
        let c = customer(&s, &format!("buyer{i}@example.com")).await;
        buyers.push(tokio::spawn(async move {
            s.place_order(order(&c, &[("HOT", 1)]), None, Actor::customer())
                .await
        }));
    }
    let mut won = 0;
    for b in buyers {
        match b.await.unwrap() {
            Ok(_) => won += 1,
            Err(AppError::OutOfStock { available: 0, .. }) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(won, 20);
    assert_eq!(stock_of(&f.service, p.id).await, 0);
}

async fn transitions_follow_the_table(f: &Fixture) {
    use OrderStatus::*;
    let c = customer(&f.service, "ada@example.com").await;
    product(&f.service, "A", 100, 100).await;
    for (path, last) in [
        (vec![Paid, Fulfilled], Fulfilled),
        (vec![Cancelled], Cancelled),
        (vec![Paid, Cancelled], Cancelled),
    ] {
        let o = f
            .service
            .place_order(order(&c, &[("A", 1)]), None, Actor::customer())
            .await
            .unwrap()
            .placed
            .order;
        for to in &path {
            let moved = f
                .service
                .change_status(o.id, *to, staff_actor())
                .await
                .unwrap();
            assert_eq!(moved.status, *to);
        }
        for to in OrderStatus::ALL {
            let r = f.service.change_status(o.id, to, staff_actor()).await;
            if to == last {
                assert_eq!(r.unwrap().status, last, "same status is a no-op");
            } else {
                assert_eq!(
                    r.unwrap_err(),
                    AppError::InvalidTransition {
                        from: last,
                        to,
                        allowed: vec![]
                    }
                );
            }
        }
    }
    let o = f
        .service
        .place_order(order(&c, &[("A", 1)]), None, Actor::customer())
        .await
        .unwrap()
        .placed
        .order;
    assert_eq!(
        f.service
            .change_status(o.id, Fulfilled, staff_actor())
            .await
            .unwrap_err(),
        AppError::InvalidTransition {
            from: Pending,
            to: Fulfilled,
            allowed: vec![Paid, Cancelled]
        }
    );
    let paid = f
        .service
        .change_status(o.id, Paid, staff_actor())
        .await
        .unwrap();
    assert!(paid.payment_received);
    let statuses: Vec<_> = paid
        .status_history
        .iter()
        .map(|e| (e.status, e.actor.clone()))
        .collect();
    assert_eq!(
        statuses,
        vec![(Pending, Actor::customer()), (Paid, staff_actor())]
    );
    let unchanged = f
        .service
        .change_status(o.id, Paid, staff_actor())
        .await
        .unwrap();
    assert_eq!(unchanged.status_history.len(), 2);
    assert!(matches!(
        f.service
            .change_status(Id::from_bytes([9; 12]), Paid, staff_actor())
            .await,
        Err(AppError::NotFound { .. })
    ));
}

async fn cancelling_returns_stock_exactly_once_even_when_racing(f: &Fixture) {
    let c = customer(&f.service, "ada@example.com").await;
    let a = product(&f.service, "A", 10, 100).await;
    let b = product(&f.service, "B", 10, 100).await;
    let o = f
        .service
        .place_order(order(&c, &[("A", 3), ("B", 4)]), None, Actor::customer())
        .await
        .unwrap()
        .placed
        .order;
    assert_eq!(stock_of(&f.service, a.id).await, 7);
    let mut cancels = Vec::new();
    for _ in 0..10 {
        let s = f.service.clone();
        cancels.push(tokio::spawn(async move {
            s.change_status(o.id, OrderStatus::Cancelled, staff_actor())
                .await
        }));
    }
    for c in cancels {
        assert_eq!(c.await.unwrap().unwrap().status, OrderStatus::Cancelled);
    }
    assert_eq!(stock_of(&f.service, a.id).await, 10);
    assert_eq!(stock_of(&f.service, b.id).await, 10);
    let history = f.service.order(o.id).await.unwrap().status_history;
    assert_eq!(history.len(), 2, "one cancellation recorded");
}

async fn an_idempotency_key_places_one_order(f: &Fixture) {
    let c = customer(&f.service, "ada@example.com").await;
    let a = product(&f.service, "A", 10, 100).await;
    let key = Some("retry-42".to_string());
    let first = f
        .service
        .place_order(order(&c, &[("A", 2)]), key.clone(), Actor::customer())
        .await
        .unwrap();
    let second = f
        .service
        .place_order(order(&c, &[("A", 2)]), key.clone(), Actor::customer())
        .await
        .unwrap();
    assert!(!first.replayed && second.replayed);
    assert_eq!(first.placed.order.id, second.placed.order.id);
    assert_eq!(stock_of(&f.service, a.id).await, 8);
    assert_eq!(
        f.service
            .place_order(order(&c, &[("A", 3)]), key, Actor::customer())
            .await
            .unwrap_err(),
        AppError::IdempotencyKeyReused
    );
    assert_eq!(stock_of(&f.service, a.id).await, 8);
}

async fn unique_skus_and_emails(f: &Fixture) {
    customer(&f.service, "ada@example.com").await;
    let err = f
        .service
        .register_customer(NewCustomer {
            name: "Other".into(),
            email: "ADA@example.com".into(),
            phone: "5551234".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        err,
        AppError::Duplicate {
            field: "email".into(),
            value: "ada@example.com".into()
        }
    );
    product(&f.service, "A", 1, 100).await;
    let err = f
        .service
        .add_product(
            NewProduct {
                name: "Again".into(),
                sku: "A".into(),
                stock: 1,
                price: Money::from_cents(1),
                low_stock_threshold: None,
            },
            staff_actor(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        AppError::Duplicate {
            field: "sku".into(),
            value: "A".into()
        }
    );
}

async fn stock_adjustments_never_go_below_zero(f: &Fixture) {
    let a = product(&f.service, "A", 3, 100).await;
    let adjust = |d| ProductUpdate {
        stock_adjustment: Some(d),
        ..Default::default()
    };
    assert_eq!(
        f.service
            .update_product(a.id, adjust(5), staff_actor())
            .await
            .unwrap()
            .stock,
        8
    );
    assert_eq!(
        f.service
            .update_product(a.id, adjust(-9), staff_actor())
            .await
            .unwrap_err(),
        AppError::StockWouldBeNegative {
            sku: "A".into(),
            available: 8
        }
    );
    assert_eq!(
        f.service
            .update_product(a.id, adjust(-8), staff_actor())
            .await
            .unwrap()
            .stock,
        0
    );
    let set = ProductUpdate {
        stock: Some(12),
        name: Some("Renamed".into()),
        ..Default::default()
    };
    let p = f
        .service
        .update_product(a.id, set, staff_actor())
        .await
        .unwrap();
    assert_eq!((p.stock, p.name.as_str()), (12, "Renamed"));
    assert!(matches!(
        f.service
            .update_product(
                a.id,
                ProductUpdate {
                    stock: Some(-1),
                    ..Default::default()
                },
                staff_actor()
            )
            .await,
        Err(AppError::Invalid { .. })
    ));
}

async fn order_lists_filter_and_page_newest_first(f: &Fixture) {
    let ada = customer(&f.service, "ada@example.com").await;
    let bob = f
        .service
        .register_customer(NewCustomer {
            name: "Bob Stone".into(),
            email: "bob@example.org".into(),
            phone: "5551234".into(),
        })
        .await
        .unwrap();
    product(&f.service, "A", 1000, 100).await;
    let mut placed = Vec::new();
    for i in 0..7 {
        let who = if i % 2 == 0 { &ada } else { &bob };
        placed.push(
            f.service
                .place_order(order(who, &[("A", 1)]), None, Actor::customer())
                .await
                .unwrap()
                .placed
                .order,
        );
    }
    f.service
        .change_status(placed[1].id, OrderStatus::Paid, staff_actor())
        .await
        .unwrap();
    let all = f
        .service
        .orders(
            &OrderFilter::default(),
            Page {
                limit: 3,
                before: None,
            },
        )
        .await
        .unwrap();
    let ids: Vec<Id> = all.iter().map(|o| o.id).collect();
    assert_eq!(ids, vec![placed[6].id, placed[5].id, placed[4].id]);
    let next = f
        .service
        .orders(
            &OrderFilter::default(),
            Page {
                limit: 3,
                before: Some(placed[4].id),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        next.iter().map(|o| o.id).collect::<Vec<_>>(),
        vec![placed[3].id, placed[2].id, placed[1].id]
    );

    let paid = OrderFilter {
        status: Some(OrderStatus::Paid),
        ..Default::default()
    };
    let found = f.service.orders(&paid, Page::default()).await.unwrap();
    assert_eq!(
        found.iter().map(|o| o.id).collect::<Vec<_>>(),
        vec![placed[1].id]
    );
    assert_eq!(f.service.count_orders(&paid).await.unwrap(), 1);

    let by_name = OrderFilter {
        q: Some("stone".into()),
        ..Default::default()
    };
    assert_eq!(
        f.service
            .orders(&by_name, Page::default())
            .await
            .unwrap()
            .len(),
        3
    );
    let by_number = OrderFilter {
        q: Some(placed[2].number.to_lowercase()),
        ..Default::default()
    };
    let hits = f.service.orders(&by_number, Page::default()).await.unwrap();
    assert_eq!(
        hits.iter().map(|o| o.id).collect::<Vec<_>>(),
        vec![placed[2].id]
    );
    let literal = OrderFilter {
        q: Some("%".into()),
        ..Default::default()
    };
    assert!(f
        .service
        .orders(&literal, Page::default())
        .await
        .unwrap()
        .is_empty());

    let future = OrderFilter {
        from: Some(Timestamp::now().plus_days(1)),
        ..Default::default()
    };
    assert!(f
        .service
        .orders(&future, Page::default())
        .await
        .unwrap()
        .is_empty());
    let today = OrderFilter {
        from: Some(Timestamp::now().start_of_day()),
        to: Some(Timestamp::now().start_of_day().plus_days(1)),
        customer: Some(ada.id),
        ..Default::default()
    };
    assert_eq!(
        f.service
            .orders(&today, Page::default())
            .await
            .unwrap()
            .len(),
        4
    );
}

async fn every_change_is_announced(f: &Fixture) {
    let mut events = f.hub.subscribe();
    let c = customer(&f.service, "ada@example.com").await;
    let p = product(&f.service, "A", 5, 100).await;
    assert!(
        matches!(next_event(&mut events).await, LiveEvent::ProductUpdated(ref q) if q.id == p.id)
    );
    let o = f
        .service
        .place_order(order(&c, &[("A", 2)]), None, Actor::customer())
        .await
        .unwrap()
        .placed
        .order;
    match next_event(&mut events).await {
        LiveEvent::OrderUpdated(e) => assert_eq!(*e, o),
        other => panic!("expected order-updated, got {other:?}"),
    }
    assert!(
        matches!(next_event(&mut events).await, LiveEvent::ProductUpdated(ref q) if q.stock == 3)
    );
    f.service
        .change_status(o.id, OrderStatus::Paid, staff_actor())
        .await
        .unwrap();
    assert!(
        matches!(next_event(&mut events).await, LiveEvent::OrderUpdated(ref e) if e.status == OrderStatus::Paid)
    );
}

async fn the_dashboard_counts_money_received_apart_from_money_awaited(f: &Fixture) {
    let c = customer(&f.service, "ada@example.com").await;
    product(&f.service, "A", 100, 1000).await;
    product(&f.service, "LOW", 4, 500).await;
    let mut placed = Vec::new();
    for _ in 0..3 {
        placed.push(
            f.service
                .place_order(order(&c, &[("A", 2)]), None, Actor::customer())
                .await
                .unwrap()
                .placed
                .order,
        );
    }
    f.service
        .change_status(placed[0].id, OrderStatus::Cancelled, staff_actor())
        .await
        .unwrap();
    f.service
        .change_status(placed[1].id, OrderStatus::Paid, staff_actor())
        .await
        .unwrap();
    let d = f.service.dashboard(Timestamp::now()).await.unwrap();
    assert_eq!(d.orders_today, 3);
    assert_eq!(
        d.revenue_today,
        Money::from_cents(2 * 1000),
        "only the paid order is money received: the cancelled one earns nothing, the pending one not yet"
    );
    assert_eq!(d.revenue_last_7_days, d.revenue_today);
    assert_eq!(d.awaiting_payment_total, Money::from_cents(2 * 1000));
    assert_eq!((d.awaiting_payment, d.awaiting_fulfilment), (1, 1));
    assert_eq!(d.days.len(), 30);
    assert_eq!(d.days.last().unwrap().orders, 3);
    assert!(d.days[..29].iter().all(|day| day.orders == 0));
    assert_eq!(
        d.by_status,
        vec![
            (OrderStatus::Pending, 1),
            (OrderStatus::Paid, 1),
            (OrderStatus::Fulfilled, 0),
            (OrderStatus::Cancelled, 1)
        ]
    );
    assert_eq!(
        d.low_stock
            .iter()
            .map(|p| p.sku.as_str())
            .collect::<Vec<_>>(),
        vec!["LOW"]
    );
    // tomorrow, today's orders are yesterday's
    let tomorrow = f
        .service
        .dashboard(Timestamp::now().plus_days(1))
        .await
        .unwrap();
    assert_eq!((tomorrow.orders_today, tomorrow.days[28].orders), (0, 3));
}

fn shopper(name: &str, email: &str) -> NewCustomer {
    NewCustomer {
        name: name.into(),
        email: email.into(),
        phone: "+44 20 7946 0958".into(),
    }
}

/// A delivery address in Germany.
fn home() -> Address {
    Address {
        name: "Ada Lovelace".into(),
        line1: "Hauptstrasse 1".into(),
        line2: None,
        city: "Berlin".into(),
        region: None,
        postal_code: "10115".into(),
        country: "DE".into(),
    }
}

fn lines(lines: &[(&str, i64)]) -> Vec<NewOrderLine> {
    lines
        .iter()
        .map(|(p, q)| NewOrderLine {
            product: p.to_string(),
            quantity: *q,
        })
        .collect()
}

async fn all_customers(s: &Service) -> Vec<Customer> {
    s.customers(None, Page::default()).await.unwrap()
}

async fn checkout_reuses_a_returning_customers_record(f: &Fixture) {
    let mug = product(&f.service, "MUG", 10, 1450).await;
    let first = f
        .service
        .checkout(
            shopper("Ada Lovelace", "ada@example.com"),
            home(),
            lines(&[("MUG", 2)]),
            None,
        )
        .await
        .unwrap();
    assert_eq!(first.order.total, Money::from_cents(2900));
    assert_eq!(
        first.order.customer.email, "a••@example.com",
        "the shopper sees the masked view"
    );
    assert_eq!(first.order.status_history[0].actor, Actor::customer());
    let again = f
        .service
        .checkout(
            shopper("Someone Else", "  ADA@Example.com "),
            home(),
            lines(&[(&mug.id.to_string(), 1)]),
            None,
        )
        .await
        .unwrap();
    assert_eq!(again.order.customer.id, first.order.customer.id);
    assert_eq!(
        again.order.customer.name, "Ada Lovelace",
        "a checkout never rewrites an existing customer"
    );
    assert_eq!(all_customers(&f.service).await.len(), 1);
    assert_eq!(stock_of(&f.service, mug.id).await, 7);
    let tracked = f
        .service
        .tracked_order(&again.tracking_token)
        .await
        .unwrap();
    assert_eq!(tracked.id, again.order.id);
}

async fn checkout_checks_the_cart_before_registering_anyone(f: &Fixture) {
    product(&f.service, "MUG", 1, 1450).await;
    let err = f
        .service
        .checkout(
            shopper("Ada", "ada@example.com"),
            home(),
            lines(&[("MUG", 0)]),
            None,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, AppError::Invalid { ref field, .. } if field == "items[0].quantity"),
        "{err:?}"
    );
    let err = f
        .service
        .checkout(
            shopper("Ada", "not an email"),
            home(),
            lines(&[("MUG", 1)]),
            None,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, AppError::Invalid { ref field, .. } if field == "email"),
        "{err:?}"
    );
    assert!(all_customers(&f.service).await.is_empty());
    // Out of stock is known only when the store takes stock; by then the
    // customer exists, and the next attempt reuses the record.
    let err = f
        .service
        .checkout(
            shopper("Ada", "ada@example.com"),
            home(),
            lines(&[("MUG", 2)]),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        AppError::OutOfStock {
            line: 0,
            sku: "MUG".into(),
            requested: 2,
            available: 1
        }
    );
    f.service
        .checkout(
            shopper("Ada", "ada@example.com"),
            home(),
            lines(&[("MUG", 1)]),
            None,
        )
        .await
        .unwrap();
    assert_eq!(all_customers(&f.service).await.len(), 1);
}

async fn a_checkout_form_sent_twice_places_one_order(f: &Fixture) {
    let mug = product(&f.service, "MUG", 10, 1450).await;
    let send = |attempt: &str, quantity: i64| {
        f.service.checkout(
            shopper("Ada", "ada@example.com"),
            home(),
            lines(&[("MUG", quantity)]),
            Some(attempt.to_string()),
        )
    };
    let first = send("form-1", 2).await.unwrap();
    let again = send("form-1", 2).await.unwrap();
    assert_eq!(again.order.number, first.order.number);
    assert_ne!(again.tracking_token, first.tracking_token);
    assert_eq!(stock_of(&f.service, mug.id).await, 8, "stock taken once");
    assert_eq!(
        send("form-1", 3).await.unwrap_err(),
        AppError::IdempotencyKeyReused,
        "a different cart under the same key is refused"
    );
    send("form-2", 3).await.unwrap();
    assert_eq!(stock_of(&f.service, mug.id).await, 5);
}

async fn a_returning_customer_is_found_among_many_similar_emails(f: &Fixture) {
    product(&f.service, "MUG", 10, 100).await;
    let ada = customer(&f.service, "ada@example.com").await;
    // Newer records containing the address crowd it off the first pages.
    for i in 0..(Page::MAX_LIMIT + 5) {
        customer(&f.service, &format!("x{i}ada@example.com")).await;
    }
    let placed = f
        .service
        .checkout(
            shopper("Ada", "ada@example.com"),
            home(),
            lines(&[("MUG", 1)]),
            None,
        )
        .await
        .unwrap();
    assert_eq!(placed.order.customer.id, ada.id);
}

async fn a_lost_tracking_link_is_reissued_only_for_the_right_number_and_email(f: &Fixture) {
    product(&f.service, "MUG", 10, 100).await;
    let placed = f
        .service
        .checkout(
            shopper("Ada", "ada@example.com"),
            home(),
            lines(&[("MUG", 1)]),
            None,
        )
        .await
        .unwrap();
    let other = f
        .service
        .checkout(
            shopper("Bob", "bob@example.com"),
            home(),
            lines(&[("MUG", 1)]),
            None,
        )
        .await
        .unwrap();
    let number = placed.order.number.clone();
    let not_found = |r: Result<PlacedOrder, AppError>| r.unwrap_err();
    let wrong_email = not_found(
        f.service
            .reissue_tracking_token(&number, "bob@example.com")
            .await,
    );
    let wrong_number = not_found(
        f.service
            .reissue_tracking_token(&other.order.number, "ada@example.com")
            .await,
    );
    let unknown = not_found(
        f.service
            .reissue_tracking_token("ZZZZZ-ZZZZZ", "ada@example.com")
            .await,
    );
    assert!(
        matches!(wrong_email, AppError::NotFound { .. }),
        "{wrong_email:?}"
    );
    assert_eq!(wrong_email, wrong_number, "failures look alike");
    assert_eq!(wrong_email, unknown);
    assert!(matches!(
        f.service.reissue_tracking_token(&number, "nope").await,
        Err(AppError::Invalid { ref field, .. }) if field == "email"
    ));

    let again = f
        .service
        .reissue_tracking_token(&format!(" {} ", number.to_lowercase()), "ADA@example.com")
        .await
        .unwrap();
    assert_eq!(again.order.id, placed.order.id);
    assert_eq!(again.order.customer.email, "a••@example.com");
    assert_ne!(again.tracking_token, placed.tracking_token);
    let tracked = f
        .service
        .tracked_order(&again.tracking_token)
        .await
        .unwrap();
    assert_eq!(tracked.id, placed.order.id);
    assert!(
        f.service
            .tracked_order(&placed.tracking_token)
            .await
            .is_err(),
        "the earlier link stops working"
    );
    assert!(f.service.tracked_order(&other.tracking_token).await.is_ok());
}

/// On a fresh store: an order for 2 of a product's 5 units, acknowledged,
/// then the store closed as a server stopping would.
async fn place_two_of_five_and_close(store: SharedStore) -> Id {
    let s = Service::new(store, LiveHub::default());
    let c = customer(&s, "ada@example.com").await;
    product(&s, "A", 5, 100).await;
    let id = s
        .place_order(order(&c, &[("A", 2)]), None, Actor::customer())
        .await
        .unwrap()
        .placed
        .order
        .id;
    s.close().await;
    id
}

#[tokio::test]
async fn acknowledged_orders_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("restart.db");
    let id = place_two_of_five_and_close(Arc::new(SqliteStore::open(&path).unwrap())).await;
    let store: SharedStore = Arc::new(SqliteStore::open(&path).unwrap());
    let s = Service::new(store, LiveHub::default());
    let o = s.order(id).await.unwrap();
    assert_eq!(o.items[0].quantity, 2);
    assert_eq!(o.items[0].product.stock, 3);
    assert_eq!(s.stock_mismatches().await.unwrap(), Vec::new());
}

#[tokio::test]
async fn mongo_reconnects_to_its_data_and_indexes() {
    let url = SecantusDb::shared().fresh_database();
    let id = place_two_of_five_and_close(Arc::new(MongoStore::connect(&url).await.unwrap())).await;
    // A second start on the same database finds its indexes in place.
    let store: SharedStore = Arc::new(MongoStore::connect(&url).await.unwrap());
    let s = Service::new(store, LiveHub::default());
    let o = s.order(id).await.unwrap();
    assert_eq!(o.items[0].quantity, 2);
    assert_eq!(o.items[0].product.stock, 3);
    assert_eq!(s.stock_mismatches().await.unwrap(), Vec::new());
    assert!(matches!(
        s.add_product(
            NewProduct {
                name: "Again".into(),
                sku: "A".into(),
                stock: 1,
                price: Money::from_cents(1),
                low_stock_threshold: None,
            },
            staff_actor()
        )
        .await,
        Err(AppError::Duplicate { .. })
    ));
}

#[tokio::test]
async fn an_unreachable_mongodb_is_unavailable_not_a_hang() {
    let port = common::free_port();
    let url = format!(
        "mongodb://127.0.0.1:{port}/igniflo?directConnection=true&serverSelectionTimeoutMS=500"
    );
    let started = std::time::Instant::now();
    let store: SharedStore = Arc::new(MongoStore::connect(&url).await.unwrap());
    let s = Service::new(store, LiveHub::default());
    assert_eq!(s.ready().await, Err(AppError::Unavailable));
    assert_eq!(s.products(None, false).await, Err(AppError::Unavailable));
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

/// Round trips to MongoDB, counted with the driver's command monitoring:
/// one transaction per order with one round trip per line, and the same
/// number of round trips for a list page whatever its length.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mongo_round_trips_per_order_and_per_page() {
    use mongodb::event::command::CommandEvent;
    use mongodb::event::EventHandler;
    use std::sync::Mutex;
    let commands = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = commands.clone();
    let url = SecantusDb::shared().fresh_database();
    let mut options = mongodb::options::ClientOptions::parse(&url).await.unwrap();
    options.command_event_handler = Some(EventHandler::callback(move |event| {
        if let CommandEvent::Started(started) = event {
            log.lock().unwrap().push(started.command_name);
        }
    }));
    let store: SharedStore = Arc::new(MongoStore::connect_with(options).await.unwrap());
    let hub = LiveHub::default();
    let s = Service::new(store, hub.clone());
    let mut events = hub.subscribe();
    // The live feed populates each order it announces with one find per
    // collection; waiting for the announcement keeps those finds out of
    // whatever is counted next.
    let mut announced = async |order: &Order| loop {
        let event = tokio::time::timeout(std::time::Duration::from_secs(20), events.recv())
            .await
            .expect("the order is announced")
            .unwrap();
        if matches!(event, LiveEvent::OrderUpdated(ref o) if o.id == order.id) {
            break;
        }
    };
    let c = customer(&s, "ada@example.com").await;
    for sku in ["A", "B", "C"] {
        product(&s, sku, 1000, 100).await;
    }
    let counted = |what: &str| {
        let names = std::mem::take(&mut *commands.lock().unwrap());
        // The change stream's own reads are not the request's.
        let names: Vec<String> = names.into_iter().filter(|n| n != "getMore").collect();
        eprintln!("{what}: {} round trips {names:?}", names.len());
        names
    };
    counted("setup");
    let placed = s
        .place_order(
            order(&c, &[("A", 1), ("B", 2), ("C", 3)]),
            None,
            Actor::customer(),
        )
        .await
        .unwrap()
        .placed
        .order;
    announced(&placed).await;
    let placing = counted("placing a 3-line order, and announcing it");
    let sent = |n: &str| placing.iter().filter(|x| *x == n).count();
    assert_eq!(sent("findAndModify"), 3, "one guarded $inc per line");
    assert_eq!(
        sent("insert"),
        3,
        "the order, the ledger's three movements in one insertMany, then the \
         outbox's order.created"
    );
    assert_eq!(sent("commitTransaction"), 1);
    assert_eq!(
        sent("find"),
        2 + 2,
        "the customer and the priced products, read together before the \
         transaction; then the live feed's populating finds"
    );
    assert_eq!(placing.len(), 3 + 4 + 4, "nothing else: {placing:?}");
    assert_eq!(
        (placed.customer.id, placed.items[2].product.stock),
        (c.id, 1000 - 3),
        "the answer carries the customer and the stock the order left"
    );
    let mut last = placed;
    for _ in 0..59 {
        last = s
            .place_order(order(&c, &[("A", 1)]), None, Actor::customer())
            .await
            .unwrap()
            .placed
            .order;
    }
    announced(&last).await;
    commands.lock().unwrap().clear();
    let mut per_page = Vec::new();
    for limit in [5, 60] {
        let page = Page {
            limit,
            before: None,
        };
        assert_eq!(
            s.orders(&OrderFilter::default(), page).await.unwrap().len(),
            limit as usize
        );
        per_page.push(counted(&format!("a page of {limit} orders")).len());
    }
    assert_eq!(
        per_page[0], per_page[1],
        "round trips do not grow with the page"
    );
    assert!(
        per_page[0] <= 3,
        "one find and one $in per populated collection"
    );
}

async fn the_ledger_records_every_stock_change(f: &Fixture) {
    use StockReason::*;
    let c = customer(&f.service, "ada@example.com").await;
    let mug = product(&f.service, "MUG", 10, 1450).await;
    let o = f
        .service
        .place_order(order(&c, &[("MUG", 3)]), None, Actor::customer())
        .await
        .unwrap()
        .placed
        .order;
    f.service
        .change_status(o.id, OrderStatus::Cancelled, staff_actor())
        .await
        .unwrap();
    // A refused order and a refused adjustment leave no movement.
    assert!(f
        .service
        .place_order(order(&c, &[("MUG", 11)]), None, Actor::customer())
        .await
        .is_err());
    let adjust = |update: ProductUpdate| f.service.update_product(mug.id, update, staff_actor());
    assert!(adjust(ProductUpdate {
        stock_adjustment: Some(-11),
        ..Default::default()
    })
    .await
    .is_err());
    adjust(ProductUpdate {
        stock_adjustment: Some(5),
        ..Default::default()
    })
    .await
    .unwrap();
    adjust(ProductUpdate {
        stock: Some(7),
        ..Default::default()
    })
    .await
    .unwrap();
    // Renaming moves no stock.
    adjust(ProductUpdate {
        name: Some("Big mug".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    let ledger = f.service.movements(mug.id, Page::default()).await.unwrap();
    let seen: Vec<(StockReason, i64, i64, Option<Id>, Actor)> = ledger
        .iter()
        .map(|m| (m.reason, m.delta, m.stock_after, m.order, m.actor.clone()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (Adjusted, -8, 7, None, staff_actor()),
            (Adjusted, 5, 15, None, staff_actor()),
            (Cancelled, 3, 10, Some(o.id), staff_actor()),
            (Ordered, -3, 7, Some(o.id), Actor::customer()),
            (Received, 10, 10, None, staff_actor()),
        ],
        "newest first"
    );
    assert!(ledger.iter().all(|m| m.product == mug.id && m.sku == "MUG"));
    assert_eq!(stock_of(&f.service, mug.id).await, 7);
    // Pages of the ledger, as the order list pages.
    let first = f
        .service
        .movements(
            mug.id,
            Page {
                limit: 2,
                before: None,
            },
        )
        .await
        .unwrap();
    let rest = f
        .service
        .movements(
            mug.id,
            Page {
                limit: 200,
                before: first.last().map(|m| m.id),
            },
        )
        .await
        .unwrap();
    assert_eq!([first, rest].concat(), ledger);
    let unknown = "0123456789abcdef01234567".parse().unwrap();
    assert!(matches!(
        f.service.movements(unknown, Page::default()).await,
        Err(AppError::NotFound { .. })
    ));
}

async fn a_stock_count_is_not_lost_to_a_racing_order(f: &Fixture) {
    let c = customer(&f.service, "ada@example.com").await;
    let p = product(&f.service, "COUNTED", 1000, 100).await;
    // Staff count 500 on the shelf while orders keep coming: the count is
    // written over the level it was decided on, or decided again.
    let buyers: Vec<_> = (0..20)
        .map(|_| {
            let s = f.service.clone();
            let o = order(&c, &[("COUNTED", 1)]);
            tokio::spawn(async move { s.place_order(o, None, Actor::customer()).await })
        })
        .collect();
    let counted = f
        .service
        .update_product(
            p.id,
            ProductUpdate {
                stock: Some(500),
                ..Default::default()
            },
            staff_actor(),
        )
        .await
        .unwrap();
    assert!(counted.stock <= 500);
    for buyer in buyers {
        buyer.await.unwrap().unwrap();
    }
    let ledger = f
        .service
        .movements(
            p.id,
            Page {
                limit: 200,
                before: None,
            },
        )
        .await
        .unwrap();
    let sum: i64 = ledger.iter().map(|m| m.delta).sum();
    assert_eq!(sum, stock_of(&f.service, p.id).await);
    let count = ledger
        .iter()
        .find(|m| m.reason == StockReason::Adjusted)
        .unwrap();
    assert_eq!(count.stock_after, 500, "the count set the level it named");
}

async fn falling_to_the_low_stock_threshold_is_announced_once(f: &Fixture) {
    let mut events = f.hub.subscribe();
    let c = customer(&f.service, "ada@example.com").await;
    let p = f
        .service
        .add_product(
            NewProduct {
                name: "Teapot".into(),
                sku: "TEAPOT".into(),
                stock: 8,
                price: Money::from_cents(3000),
                low_stock_threshold: Some(4),
            },
            staff_actor(),
        )
        .await
        .unwrap();
    assert_eq!(p.low_stock_threshold, 4);
    assert!(f.service.products(None, true).await.unwrap().is_empty());
    for quantity in [3, 1, 1, 1] {
        f.service
            .place_order(order(&c, &[("TEAPOT", quantity)]), None, Actor::customer())
            .await
            .unwrap();
    }
    let mut low = Vec::new();
    loop {
        let event = next_event(&mut events).await;
        match event {
            LiveEvent::LowStock(product) => low.push(product.stock),
            LiveEvent::ProductUpdated(product) if product.stock == 2 => break,
            _ => {}
        }
    }
    assert_eq!(
        low,
        vec![4],
        "8 → 5 → 4 crosses once; 3 and 2 are already low"
    );
    let listed = f.service.products(None, true).await.unwrap();
    assert_eq!(listed.iter().map(|p| p.stock).collect::<Vec<_>>(), vec![2]);
}

/// A shop from before the ledger: products with stock and no movements.
/// Its first start opens the ledger with what each product holds.
async fn the_ledger_opens_with_the_stock_held(store: SharedStore, product: Id) {
    let s = Service::new(store, LiveHub::default());
    assert_eq!(s.stock_mismatches().await.unwrap(), Vec::new());
    let ledger = s.movements(product, Page::default()).await.unwrap();
    assert_eq!(ledger.len(), 1);
    assert_eq!(
        (
            ledger[0].reason,
            ledger[0].delta,
            ledger[0].stock_after,
            ledger[0].actor.clone()
        ),
        (StockReason::Received, 7, 7, Actor::system())
    );
    // From there on the ledger follows every change.
    let c = customer(&s, "ada@example.com").await;
    s.place_order(order(&c, &[("OLD", 2)]), None, Actor::customer())
        .await
        .unwrap();
    assert_eq!(s.stock_mismatches().await.unwrap(), Vec::new());
    assert_eq!(stock_of(&s, product).await, 5);
    s.close().await;
}

const OLD_PRODUCT: &str = "6745f0a1c2d3e4f5a6b7c8d9";

#[tokio::test]
async fn a_sqlite_shop_from_before_the_ledger_gets_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(include_str!("../migrations/0001_init.sql"))
        .unwrap();
    conn.execute_batch(include_str!("../migrations/0002_access.sql"))
        .unwrap();
    conn.execute_batch(&format!(
        "PRAGMA user_version = 2;
         INSERT INTO products (id, name, sku, stock, price, created_at, updated_at)
         VALUES ('{OLD_PRODUCT}', 'Old mug', 'OLD', 7, 1200, 0, 0);"
    ))
    .unwrap();
    drop(conn);
    let store = SqliteStore::open(&path).unwrap();
    the_ledger_opens_with_the_stock_held(Arc::new(store), OLD_PRODUCT.parse().unwrap()).await;
}

#[tokio::test]
async fn a_mongo_shop_from_before_the_ledger_gets_one() {
    let url = SecantusDb::shared().fresh_database();
    let options = mongodb::options::ClientOptions::parse(&url).await.unwrap();
    let db = mongodb::Client::with_options(options.clone())
        .unwrap()
        .database(options.default_database.as_deref().unwrap());
    let now = bson::DateTime::now();
    db.collection::<bson::Document>("products")
        .insert_one(bson::doc! {
            "_id": bson::oid::ObjectId::parse_str(OLD_PRODUCT).unwrap(),
            "name": "Old mug", "sku": "OLD", "stock": 7_i64, "price": 1200_i64,
            "createdAt": now, "updatedAt": now,
        })
        .await
        .unwrap();
    let store = MongoStore::connect(&url).await.unwrap();
    the_ledger_opens_with_the_stock_held(Arc::new(store), OLD_PRODUCT.parse().unwrap()).await;
    // A second start finds the ledger open and adds nothing.
    let again: SharedStore = Arc::new(MongoStore::connect(&url).await.unwrap());
    let s = Service::new(again, LiveHub::default());
    let ledger = s
        .movements(OLD_PRODUCT.parse().unwrap(), Page::default())
        .await
        .unwrap();
    assert_eq!(ledger.len(), 2, "the opening and the order, nothing more");
}
