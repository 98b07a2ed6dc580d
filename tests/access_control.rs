//! Nobody sees or changes what is not theirs: every door (REST, WebSocket,
//! socket.io) against the real server, for every kind of caller.

mod common;

use common::api::public_client;
use common::live::{
    closed_within, live_feed, live_feed_as, next_event, next_order_event, LiveFeed,
    SocketIoListener,
};
use common::{on_every_store, Backend, SecantusDb, Server, ADMIN_PASSWORD, ADMIN_TOKEN};
use reqwest::{Client, RequestBuilder, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

const STAFF_PASSWORD: &str = "staff password 0f a good length";

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Anonymous,
    OtherOrdersToken,
    RightToken,
    /// `IGNIFLO_ADMIN_TOKEN`: an owner token.
    Admin,
    OwnerSession,
    ManagerToken,
    PackerSession,
    PackerToken,
    ViewerToken,
    /// A manager's token, revoked.
    RevokedToken,
}

const EVERYONE: [Who; 10] = [
    Who::Anonymous,
    Who::OtherOrdersToken,
    Who::RightToken,
    Who::Admin,
    Who::OwnerSession,
    Who::ManagerToken,
    Who::PackerSession,
    Who::PackerToken,
    Who::ViewerToken,
    Who::RevokedToken,
];

impl Who {
    fn in_a_browser(self) -> bool {
        matches!(self, Who::OwnerSession | Who::PackerSession)
    }

    /// The staff role the caller acts in, if any.
    fn role(self) -> Option<&'static str> {
        match self {
            Who::Admin | Who::OwnerSession => Some("OWNER"),
            Who::ManagerToken => Some("MANAGER"),
            Who::PackerSession | Who::PackerToken => Some("PACKER"),
            Who::ViewerToken => Some("VIEWER"),
            Who::Anonymous | Who::OtherOrdersToken | Who::RightToken | Who::RevokedToken => None,
        }
    }
}

/// Who may pass a door, written out by hand (not read from the code under
/// test): the roles allowed, or anyone, or any staff member.
#[derive(Clone, Copy, Debug)]
enum Door {
    Anyone,
    Roles(&'static [&'static str]),
    AnyStaff,
    /// Staff signed in with a session: a token (or the admin token) may
    /// not mint tokens, change passwords or end sessions (403).
    InABrowser,
}

const EVERY_ROLE: Door = Door::Roles(&["OWNER", "MANAGER", "PACKER", "VIEWER"]);
const FULFIL: Door = Door::Roles(&["OWNER", "MANAGER", "PACKER"]);
const MANAGE: Door = Door::Roles(&["OWNER", "MANAGER"]);
const READ_BOOKS: Door = Door::Roles(&["OWNER", "MANAGER", "VIEWER"]);
const OWNERS: Door = Door::Roles(&["OWNER"]);

impl Door {
    /// What `who` gets at this door when `ok` is the answer for those let in.
    fn answer(self, who: Who, ok: u16) -> u16 {
        match (self, who.role()) {
            (Door::Anyone, _) => ok,
            (Door::AnyStaff, Some(_)) => ok,
            (Door::InABrowser, Some(_)) if who.in_a_browser() => ok,
            (Door::InABrowser, Some(_)) => 403,
            (Door::Roles(roles), Some(role)) if roles.contains(&role) => ok,
            (Door::Roles(_), Some(_)) => 403,
            (_, None) => 401,
        }
    }
}

/// Each role's credentials: sessions signed in through a set-password
/// link, tokens made by their holders.
struct Credentials {
    owner_cookie: String,
    manager_cookie: String,
    packer_cookie: String,
    manager_token: String,
    packer_token: String,
    viewer_token: String,
    revoked_token: String,
}

/// A shop with two customers' orders in it.
struct Shop {
    server: Server,
    http: Client,
    staff: Option<Credentials>,
    product: Value,
    customer: Value,
    order: Value,
    other_order: Value,
}

impl Shop {
    /// A webhook endpoint (on a port nothing listens at), made by the admin;
    /// its id.
    async fn webhook(&self) -> String {
        let endpoint: Value = self
            .http
            .post(self.url("/api/webhooks"))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({"url": "http://127.0.0.1:9/hooks", "events": ["order.paid"]}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        endpoint["id"].as_str().unwrap().to_string()
    }

    async fn open(backend: Backend) -> Shop {
        Shop::open_with(backend, &[]).await
    }

    async fn open_with(backend: Backend, env: &[(&str, &str)]) -> Shop {
        let server = Server::start_on_with(backend, env);
        let http = public_client();
        let url = |p: &str| format!("{}{p}", server.url);
        let product: Value = http
            .post(url("/api/products"))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({"name": "Mug", "sku": "MUG", "stock": 1000, "price": 12.5}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut placed = Vec::new();
        for email in ["ada@example.com", "bob@example.com"] {
            let customer: Value = http
                .post(url("/api/customers"))
                .json(&json!({"name": "A Customer", "email": email, "phone": "+44 20 7946 0958"}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let order: Value = http
                .post(url("/api/orders"))
                .json(&json!({"customer": customer["_id"], "items": [{"product": "MUG", "quantity": 1}]}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert!(
                order["trackingToken"]
                    .as_str()
                    .is_some_and(|t| t.len() == 32),
                "{order}"
            );
            placed.push((customer, order));
        }
        let (_, other_order) = placed.pop().unwrap();
        let (customer, order) = placed.pop().unwrap();
        Shop {
            server,
            http,
            staff: None,
            product,
            customer,
            order,
            other_order,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url)
    }

    /// A staff member added by the admin token, signed in through their
    /// set-password link: the member's id and their session cookie.
    async fn staff_member(&self, name: &str, email: &str, role: &str) -> (String, String) {
        let added: Value = self
            .http
            .post(self.url("/api/staff"))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({"name": name, "email": email, "role": role}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let link = added["setPasswordLink"]
            .as_str()
            .expect("a set-password link");
        let token = link.split_once("token=").unwrap().1;
        let r = self
            .http
            .post(self.url("/api/auth/set-password"))
            .json(&json!({"token": token, "password": STAFF_PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let cookie = r.headers()["set-cookie"].to_str().unwrap();
        (
            added["_id"].as_str().unwrap().to_string(),
            cookie.split(';').next().unwrap().to_string(),
        )
    }

    /// A token made by the staff member signed in with `cookie` (tokens
    /// are made in a browser session).
    async fn token_of(&self, cookie: &str, role: Option<&str>) -> (String, String) {
        let request = self
            .http
            .post(self.url("/api/tokens"))
            .header("cookie", cookie)
            .header("origin", self.server.url.clone());
        let made: Value = request
            .json(&json!({"name": "Integration", "role": role}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (
            made["_id"].as_str().unwrap().to_string(),
            made["secret"]
                .as_str()
                .expect("the token, shown once")
                .to_string(),
        )
    }

    /// The shop with a member of every role signed in or holding a token.
    async fn with_staff(mut self) -> Shop {
        let (_, owner_cookie) = self
            .staff_member("Olga Owner", "olga@example.com", "OWNER")
            .await;
        let (_, manager_cookie) = self
            .staff_member("Mia Manager", "mia@example.com", "MANAGER")
            .await;
        let (_, packer_cookie) = self
            .staff_member("Pat Packer", "pat@example.com", "PACKER")
            .await;
        let (_, manager_token) = self.token_of(&manager_cookie, None).await;
        let (_, packer_token) = self.token_of(&packer_cookie, None).await;
        let (_, viewer_token) = self.token_of(&owner_cookie, Some("VIEWER")).await;
        let (revoked_id, revoked_token) = self.token_of(&manager_cookie, None).await;
        let r = self
            .http
            .delete(self.url(&format!("/api/tokens/{revoked_id}")))
            .bearer_auth(&manager_token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        self.staff = Some(Credentials {
            owner_cookie,
            manager_cookie,
            packer_cookie,
            manager_token,
            packer_token,
            viewer_token,
            revoked_token,
        });
        self
    }

    fn as_(&self, who: Who, request: RequestBuilder) -> RequestBuilder {
        let staff = || {
            self.staff
                .as_ref()
                .expect("the shop's staff (Shop::with_staff)")
        };
        let with_cookie = |request: RequestBuilder, cookie: &str| {
            request
                .header("cookie", cookie)
                .header("origin", self.server.url.clone())
        };
        match who {
            Who::Anonymous => request,
            Who::OtherOrdersToken => request.header(
                "x-tracking-token",
                self.other_order["trackingToken"].as_str().unwrap(),
            ),
            Who::RightToken => request.header(
                "x-tracking-token",
                self.order["trackingToken"].as_str().unwrap(),
            ),
            Who::Admin => request.bearer_auth(ADMIN_TOKEN),
            Who::OwnerSession => with_cookie(request, &staff().owner_cookie),
            Who::PackerSession => with_cookie(request, &staff().packer_cookie),
            Who::ManagerToken => request.bearer_auth(&staff().manager_token),
            Who::PackerToken => request.bearer_auth(&staff().packer_token),
            Who::ViewerToken => request.bearer_auth(&staff().viewer_token),
            Who::RevokedToken => request.bearer_auth(&staff().revoked_token),
        }
    }

    fn order_id(&self) -> &str {
        self.order["_id"].as_str().unwrap()
    }

    async fn login(&self, password: &str) -> reqwest::Response {
        self.http
            .post(self.url("/api/auth/login"))
            .json(&json!({"username": "admin", "password": password}))
            .send()
            .await
            .unwrap()
    }
}

on_every_store!(
    every_route_for_every_caller,
    the_tracking_token_shows_the_order_masked_and_only_that_order,
    admin_sessions_sign_in_refuse_cross_site_changes_and_sign_out,
    login_brute_force_is_slowed_to_429,
    anonymous_order_placement_is_rate_limited,
    a_staff_token_has_a_limit_of_its_own,
    responses_carry_security_headers_and_cors_allows_only_client_url,
    websocket_clients_see_only_the_orders_they_track,
    socket_io_clients_see_only_the_orders_they_track,
    a_first_start_makes_up_an_admin_password_and_says_it_once,
    no_secret_reaches_the_log,
    admin_pages_and_server_functions_follow_the_same_rules,
    the_shops_server_functions_reveal_no_more_than_the_rest_api,
    shop_checkouts_and_lookups_count_against_the_order_limit,
    the_admin_server_functions_answer_only_the_admin,
    staff_live_connections_see_orders_until_their_access_ends,
    a_packer_ships_and_the_timeline_names_them_but_not_to_the_customer,
    staff_sign_in_by_email_and_see_and_end_their_sessions,
    a_page_title_names_its_record_only_to_those_who_may_see_it,
);

/// What each caller gets from each route: every role and token kind at
/// every REST door.
async fn every_route_for_every_caller(backend: Backend) {
    let shop = Shop::open_with(backend, &[("IGNIFLO_WEBHOOK_ALLOW_PRIVATE", "1")])
        .await
        .with_staff()
        .await;
    let wid = shop.webhook().await;
    let no_such = "0123456789abcdef01234567";
    let oid = shop.order_id().to_string();
    let pid = shop.product["_id"].as_str().unwrap().to_string();
    let cid = shop.customer["_id"].as_str().unwrap().to_string();
    let mut n = 0;
    for who in EVERYONE {
        n += 1;
        let routes: Vec<(&str, String, Option<Value>, Door, u16)> = vec![
            ("GET", "/api/products".into(), None, Door::Anyone, 200),
            (
                "GET",
                format!("/api/products/{pid}"),
                None,
                Door::Anyone,
                200,
            ),
            (
                "POST",
                "/api/products".into(),
                Some(json!({"name": "P", "sku": format!("P{n}"), "stock": 1, "price": 1})),
                MANAGE,
                201,
            ),
            (
                "PATCH",
                format!("/api/products/{pid}"),
                Some(json!({"stockAdjustment": 1})),
                MANAGE,
                200,
            ),
            (
                "GET",
                format!("/api/products/{pid}/movements"),
                None,
                READ_BOOKS,
                200,
            ),
            ("GET", "/api/stock/check".into(), None, READ_BOOKS, 200),
            (
                "GET",
                "/api/products?lowStock=true".into(),
                None,
                Door::Anyone,
                200,
            ),
            (
                "POST",
                "/api/customers".into(),
                Some(
                    json!({"name": "N", "email": format!("n{n}@example.com"), "phone": "5551234"}),
                ),
                Door::Anyone,
                201,
            ),
            ("GET", "/api/customers".into(), None, READ_BOOKS, 200),
            (
                "GET",
                format!("/api/customers/{cid}"),
                None,
                READ_BOOKS,
                200,
            ),
            (
                "POST",
                "/api/orders".into(),
                Some(json!({"customer": cid, "items": [{"product": "MUG", "quantity": 1}]})),
                Door::Anyone,
                201,
            ),
            ("GET", "/api/orders".into(), None, EVERY_ROLE, 200),
            (
                "GET",
                "/api/orders/export.csv".into(),
                None,
                READ_BOOKS,
                200,
            ),
            (
                "PATCH",
                format!("/api/orders/{oid}/status"),
                Some(json!({"status": "PENDING"})),
                MANAGE,
                200,
            ),
            (
                "POST",
                format!("/api/orders/{no_such}/shipments"),
                Some(json!({})),
                FULFIL,
                404,
            ),
            (
                "POST",
                format!("/api/orders/{no_such}/notes"),
                Some(json!({"text": "Fragile"})),
                FULFIL,
                404,
            ),
            (
                "POST",
                format!("/api/orders/{no_such}/returns"),
                Some(
                    json!({"items": [{"product": "MUG", "quantity": 1}], "reason": "DAMAGED", "restock": true}),
                ),
                MANAGE,
                404,
            ),
            (
                "POST",
                format!("/api/orders/{no_such}/refunds"),
                Some(json!({"amount": 1})),
                MANAGE,
                404,
            ),
            ("GET", "/api/openapi.json".into(), None, Door::Anyone, 200),
            ("GET", "/api/auth/session".into(), None, Door::Anyone, 200),
            (
                "GET",
                "/api/auth/sessions".into(),
                None,
                Door::InABrowser,
                200,
            ),
            ("GET", "/api/tokens".into(), None, Door::AnyStaff, 200),
            (
                "POST",
                "/api/tokens".into(),
                Some(json!({"name": format!("Token {n}")})),
                Door::InABrowser,
                201,
            ),
            (
                "DELETE",
                format!("/api/tokens/{no_such}"),
                None,
                Door::AnyStaff,
                404,
            ),
            ("GET", "/api/staff".into(), None, OWNERS, 200),
            (
                "POST",
                "/api/staff".into(),
                Some(
                    json!({"name": "New", "email": format!("s{n}@example.com"), "role": "VIEWER"}),
                ),
                OWNERS,
                201,
            ),
            (
                "PATCH",
                format!("/api/staff/{no_such}"),
                Some(json!({"name": "Renamed"})),
                OWNERS,
                404,
            ),
            (
                "POST",
                format!("/api/staff/{no_such}/password-link"),
                None,
                OWNERS,
                404,
            ),
            ("GET", "/api/webhooks".into(), None, OWNERS, 200),
            (
                "POST",
                "/api/webhooks".into(),
                Some(json!({"url": format!("http://127.0.0.1:9/{n}"), "events": ["*"]})),
                OWNERS,
                201,
            ),
            ("GET", format!("/api/webhooks/{wid}"), None, OWNERS, 200),
            (
                "PATCH",
                format!("/api/webhooks/{wid}"),
                Some(json!({"description": format!("changed {n}")})),
                OWNERS,
                200,
            ),
            (
                "POST",
                format!("/api/webhooks/{wid}/rotate-secret"),
                None,
                OWNERS,
                200,
            ),
            (
                "POST",
                format!("/api/webhooks/{wid}/ping"),
                None,
                OWNERS,
                202,
            ),
            (
                "GET",
                format!("/api/webhooks/{wid}/deliveries"),
                None,
                OWNERS,
                200,
            ),
            (
                "POST",
                format!("/api/webhooks/{wid}/deliveries/{no_such}/redeliver"),
                None,
                OWNERS,
                404,
            ),
            (
                "DELETE",
                format!("/api/webhooks/{no_such}"),
                None,
                OWNERS,
                404,
            ),
            ("GET", "/metrics".into(), None, READ_BOOKS, 200),
            (
                "GET",
                "/api/activity?kind=status".into(),
                None,
                READ_BOOKS,
                200,
            ),
            (
                "GET",
                "/api/activity?kind=nonsense".into(),
                None,
                READ_BOOKS,
                422,
            ),
        ];
        for (method, path, body, door, ok) in routes {
            let expected = door.answer(who, ok);
            let mut request = shop.as_(
                who,
                shop.http.request(method.parse().unwrap(), shop.url(&path)),
            );
            if let Some(body) = &body {
                request = request.json(body);
            }
            let r = request.send().await.unwrap();
            let status = r.status().as_u16();
            let text = r.text().await.unwrap();
            let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            assert_eq!(status, expected, "{who:?} {method} {path}: {text:.300}");
            if status >= 400 {
                assert!(
                    json["code"].is_string(),
                    "{who:?} {method} {path}: not our error shape: {json}"
                );
            }
            if path == "/api/auth/session" {
                assert_eq!(json["admin"], who.role().is_some());
                assert_eq!(json["role"].as_str(), who.role(), "{who:?}");
            }
        }
        // A tracked order: its token's holder and every role see it.
        let r = shop
            .as_(who, shop.http.get(shop.url(&format!("/api/orders/{oid}"))))
            .send()
            .await
            .unwrap();
        let expected = match who {
            Who::RightToken => 200,
            Who::OtherOrdersToken => 404,
            _ => EVERY_ROLE.answer(who, 200),
        };
        assert_eq!(
            r.status().as_u16(),
            expected,
            "{who:?} GET /api/orders/{oid}"
        );
    }
}

async fn the_tracking_token_shows_the_order_masked_and_only_that_order(backend: Backend) {
    let shop = Shop::open(backend).await;
    let token = shop.order["trackingToken"].as_str().unwrap();
    let oid = shop.order_id();
    let as_customer: Value = shop
        .http
        .get(shop.url(&format!("/api/orders/{oid}?token={token}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(as_customer["_id"], oid);
    assert_eq!(as_customer["customer"]["email"], "a••@example.com");
    assert_eq!(as_customer["customer"]["phone"], "••• 58");
    assert_eq!(as_customer["total"], json!(12.5));
    assert!(as_customer.get("trackingToken").is_none());
    let as_admin: Value = shop
        .as_(
            Who::Admin,
            shop.http.get(shop.url(&format!("/api/orders/{oid}"))),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(as_admin["customer"]["email"], "ada@example.com");
    // The other order's id with this token reveals nothing.
    let other = shop.other_order["_id"].as_str().unwrap();
    let r = shop
        .http
        .get(shop.url(&format!("/api/orders/{other}?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = shop
        .http
        .get(shop.url(&format!("/api/orders/{oid}?token={}", "0".repeat(32))))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

async fn admin_sessions_sign_in_refuse_cross_site_changes_and_sign_out(backend: Backend) {
    let shop = Shop::open(backend).await;
    assert_eq!(
        shop.login("wrong password!").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let r = shop
        .http
        .post(shop.url("/api/auth/login"))
        .json(&json!({"username": "root", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "only the admin user exists"
    );
    let r = shop.login(ADMIN_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let set_cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age="] {
        assert!(
            set_cookie.contains(attribute),
            "{attribute} missing from {set_cookie}"
        );
    }
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    let with_cookie = |req: RequestBuilder| req.header("cookie", &cookie);

    let r = with_cookie(shop.http.get(shop.url("/api/orders")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "a session reads like an admin");

    let status_path = shop.url(&format!("/api/orders/{}/status", shop.order_id()));
    let r = with_cookie(shop.http.patch(&status_path))
        .header("origin", "http://evil.example")
        .json(&json!({"status": "PAID"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "a cross-site change with the cookie is refused"
    );
    let r = with_cookie(shop.http.patch(&status_path))
        .json(&json!({"status": "PAID"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "a change without an Origin is refused"
    );
    let order: Value = shop
        .as_(
            Who::Admin,
            shop.http
                .get(shop.url(&format!("/api/orders/{}", shop.order_id()))),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        order["status"], "PENDING",
        "the refused changes changed nothing"
    );
    let r = with_cookie(shop.http.patch(&status_path))
        .header("origin", shop.server.url.clone())
        .json(&json!({"status": "PAID"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "the same change from our own origin goes through"
    );

    let r = with_cookie(shop.http.post(shop.url("/api/auth/logout")))
        .header("origin", shop.server.url.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    let r = with_cookie(shop.http.get(shop.url("/api/orders")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "the session ended");
}

async fn login_brute_force_is_slowed_to_429(backend: Backend) {
    let shop = Shop::open(backend).await;
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..12 {
        let r = shop.login("guess-guess-guess").await;
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            retry_after = r
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["code"], "too_many_requests");
            statuses.push(429);
        } else {
            statuses.push(r.status().as_u16());
        }
    }
    assert_eq!(
        &statuses[..5],
        &[401; 5],
        "a few honest mistakes are allowed"
    );
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
    assert!(retry_after.is_some_and(|s| s >= 1));
    assert_eq!(
        shop.login(ADMIN_PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let r = shop
        .as_(Who::Admin, shop.http.get(shop.url("/api/orders")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "the admin token is not held to the limits"
    );
}

async fn anonymous_order_placement_is_rate_limited(backend: Backend) {
    let shop = Shop::open_with(backend, &[("IGNIFLO_RATE_ORDERS", "60")]).await;
    let cid = shop.customer["_id"].clone();
    let mut limited = false;
    for _ in 0..30 {
        let r = shop
            .http
            .post(shop.url("/api/orders"))
            .json(&json!({"customer": cid, "items": [{"product": "MUG", "quantity": 1}]}))
            .send()
            .await
            .unwrap();
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(r.headers().contains_key("retry-after"));
            limited = true;
            break;
        }
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    assert!(limited, "30 orders at once from one address hit the limit");
}

/// A staff token is held to its own limit, not to the per-address ones:
/// past the address's order limit it still places orders, until its own
/// limit; another token from the same address is unaffected.
async fn a_staff_token_has_a_limit_of_its_own(backend: Backend) {
    let shop = Shop::open_with(
        backend,
        &[("IGNIFLO_RATE_ORDERS", "6"), ("IGNIFLO_RATE_TOKEN", "120")],
    )
    .await
    .with_staff()
    .await;
    let staff = shop.staff.as_ref().unwrap();
    let cid = shop.customer["_id"].clone();
    let place = |token: &str| {
        shop.http
            .post(shop.url("/api/orders"))
            .bearer_auth(token)
            .json(&json!({"customer": cid, "items": [{"product": "MUG", "quantity": 1}]}))
            .send()
    };
    // The address's order limit (a burst of 5) does not apply to a token;
    // the token's own (120 a minute, a burst of 20) does.
    let mut placed = 0;
    let mut limited = false;
    for _ in 0..40 {
        let r = place(&staff.manager_token).await.unwrap();
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(r.headers().contains_key("retry-after"));
            limited = true;
            break;
        }
        assert_eq!(r.status(), StatusCode::CREATED);
        placed += 1;
    }
    assert!(
        placed > 5,
        "the token got past the address's limit: {placed}"
    );
    assert!(limited, "the token met its own limit after {placed}");
    let r = place(&staff.packer_token).await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "each token has its own");
    // Guessing passwords is limited per address, token or not.
    let mut refused = false;
    for _ in 0..12 {
        let r = shop
            .http
            .post(shop.url("/api/auth/login"))
            .bearer_auth(&staff.packer_token)
            .json(&json!({"email": "olga@example.com", "password": "a guess at it"}))
            .send()
            .await
            .unwrap();
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            refused = true;
            break;
        }
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    assert!(refused, "a token does not lift the sign-in limit");
}

async fn responses_carry_security_headers_and_cors_allows_only_client_url(backend: Backend) {
    let shop = Shop::open_with(backend, &[("CLIENT_URL", "http://shop.example")]).await;
    for path in ["/", "/no-such-page", "/api/products"] {
        let r = shop.http.get(shop.url(path)).send().await.unwrap();
        let h = r.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        let csp = h["content-security-policy"].to_str().unwrap().to_string();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'self'"),
            "{csp}"
        );
        let scripts = csp
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .unwrap()
            .to_string();
        assert!(!scripts.contains("'unsafe-inline'"), "{csp}");
        if !path.starts_with("/api/") {
            // Only the inline scripts Leptos wrote into this page may run.
            let nonce = scripts
                .split("'nonce-")
                .nth(1)
                .and_then(|n| n.split('\'').next())
                .expect("a page's policy names its nonce")
                .to_string();
            let html = r.text().await.unwrap();
            let tags: Vec<&str> = html
                .split("<script")
                .skip(1)
                .map(|rest| rest.split('>').next().unwrap())
                .collect();
            assert!(!tags.is_empty(), "the page hydrates with inline scripts");
            for tag in tags {
                assert!(
                    tag.contains(&format!("nonce=\"{nonce}\"")),
                    "a script without the page's nonce: <script{tag}>"
                );
            }
        }
    }
    let preflight = |origin: &'static str| {
        shop.http
            .request(reqwest::Method::OPTIONS, shop.url("/api/orders"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };
    let allowed = preflight("http://shop.example").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "http://shop.example"
    );
    let refused = preflight("http://evil.example").await.unwrap();
    assert!(refused
        .headers()
        .get("access-control-allow-origin")
        .is_none());
}

async fn websocket_clients_see_only_the_orders_they_track(backend: Backend) {
    let shop = Shop::open(backend).await;
    let token = shop.order["trackingToken"].as_str().unwrap();
    let mut tracker = live_feed(&shop.server.url, &format!("?track={token}"), false).await;
    let mut stranger = live_feed(&shop.server.url, "", false).await;

    // Bob's order changes, then Ada's, then the catalogue: each client's
    // stream is in order, so whatever arrives before the catalogue change is
    // everything it was shown.
    let patch = |id: &str, status: &str| {
        shop.as_(
            Who::Admin,
            shop.http
                .patch(shop.url(&format!("/api/orders/{id}/status"))),
        )
        .json(&json!({"status": status}))
        .send()
    };
    patch(shop.other_order["_id"].as_str().unwrap(), "PAID")
        .await
        .unwrap();
    patch(shop.order_id(), "PAID").await.unwrap();
    let pid = shop.product["_id"].as_str().unwrap();
    shop.as_(
        Who::Admin,
        shop.http.patch(shop.url(&format!("/api/products/{pid}"))),
    )
    .json(&json!({"name": "Renamed mug"}))
    .send()
    .await
    .unwrap();

    async fn orders_before_catalogue_change(feed: &mut LiveFeed) -> Vec<Value> {
        let mut orders = Vec::new();
        loop {
            let event = next_event(feed).await;
            match event["event"].as_str().unwrap() {
                "order-updated" => orders.push(event["data"].clone()),
                "product-updated" if event["data"]["name"] == "Renamed mug" => return orders,
                _ => {}
            }
        }
    }
    let tracked = orders_before_catalogue_change(&mut tracker).await;
    assert_eq!(tracked.len(), 1, "only the tracked order: {tracked:?}");
    assert_eq!(tracked[0]["_id"], shop.order_id());
    assert_eq!(tracked[0]["status"], "PAID");
    assert_eq!(
        tracked[0]["customer"]["email"], "a••@example.com",
        "masked for the customer"
    );
    assert_eq!(
        orders_before_catalogue_change(&mut stranger).await,
        Vec::<Value>::new()
    );
}

async fn socket_io_clients_see_only_the_orders_they_track(backend: Backend) {
    let shop = Shop::open(backend).await;
    let token = shop.order["trackingToken"].as_str().unwrap();
    let tracker = SocketIoListener::connect(&shop.server.url, token);
    let stranger = SocketIoListener::connect(&shop.server.url, "not-a-token");
    let patch = |id: &str, status: &str| {
        shop.as_(
            Who::Admin,
            shop.http
                .patch(shop.url(&format!("/api/orders/{id}/status"))),
        )
        .json(&json!({"status": status}))
        .send()
    };
    patch(shop.other_order["_id"].as_str().unwrap(), "CANCELLED")
        .await
        .unwrap();
    patch(shop.order_id(), "CANCELLED").await.unwrap();
    // The other order's event was sent first; the first one the tracker
    // receives must be its own.
    let first = tracker.next_order();
    assert_eq!(first["_id"], shop.order_id());
    assert_eq!(first["status"], "CANCELLED");
    assert_eq!(first["customer"]["email"], "a••@example.com");
    assert!(
        stranger.next_order_within(Duration::from_secs(2)).is_none(),
        "a client without a token receives no orders"
    );
}

async fn a_first_start_makes_up_an_admin_password_and_says_it_once(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.path().join("first.db").display()),
        Backend::Mongo => SecantusDb::shared().fresh_database(),
    };
    let env = [("DATABASE_URL", url.as_str())];
    let first = Server::spawn(&env);
    std::thread::sleep(Duration::from_millis(200));
    let log = first.log.lock().unwrap().join("\n");
    let line = log
        .lines()
        .find(|l| l.contains("Igniflo admin login"))
        .expect("the password is printed")
        .to_string();
    let password = line.split("password ").nth(1).unwrap().trim().to_string();
    assert_eq!(password.len(), 20);
    let r = public_client()
        .post(format!("{}/api/auth/login", first.url))
        .json(&json!({"username": "admin", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    drop(first);
    let again = Server::spawn(&env);
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        !again
            .log
            .lock()
            .unwrap()
            .join("\n")
            .contains("Igniflo admin login"),
        "printed only once"
    );
}

async fn no_secret_reaches_the_log(backend: Backend) {
    let shop = Shop::open(backend).await;
    let session = shop.login(ADMIN_PASSWORD).await.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    let oid = shop.order_id();
    let token = shop.order["trackingToken"].as_str().unwrap();
    shop.http
        .get(shop.url(&format!("/api/orders/{oid}?token={token}")))
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = shop.server.log.lock().unwrap().join("\n");
    let session_value = session
        .split(';')
        .next()
        .unwrap()
        .split('=')
        .nth(1)
        .unwrap();
    for secret in [token, session_value, ADMIN_TOKEN, ADMIN_PASSWORD] {
        assert!(!log.contains(secret), "a secret is in the log");
    }
}

async fn admin_pages_and_server_functions_follow_the_same_rules(backend: Backend) {
    let shop = Shop::open(backend).await;
    let no_redirects = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for page in ["/admin", "/admin/webhooks"] {
        let r = no_redirects.get(shop.url(page)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{page}");
        assert_eq!(r.headers()["location"], "/admin/login");
    }
    assert_eq!(
        no_redirects
            .get(shop.url("/admin/login"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    let session_fn = |cookie: Option<&str>| {
        let mut r = shop
            .http
            .post(shop.url("/api/fn/admin_session"))
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            // as a browser sends it from our own page
            r = r
                .header("cookie", c)
                .header("origin", shop.server.url.clone());
        }
        r.body("").send()
    };
    assert_eq!(
        session_fn(None).await.unwrap().text().await.unwrap(),
        "null",
        "nobody is signed in"
    );

    let set_cookie = shop.login(ADMIN_PASSWORD).await.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    let cookie = set_cookie.split(';').next().unwrap();
    let signed_in: Value = session_fn(Some(cookie))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&signed_in["name"], &signed_in["role"]),
        (&json!("admin"), &json!("OWNER")),
        "{signed_in}"
    );
    let cross_site = shop
        .http
        .post(shop.url("/api/fn/admin_session"))
        .header("cookie", cookie)
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        cross_site.status(),
        StatusCode::FORBIDDEN,
        "cookie calls from other sites are refused"
    );
    let r = no_redirects
        .get(shop.url("/admin"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Sign out"));

    // Guessing through the sign-in server function meets the same limit.
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let r = shop
            .http
            .post(shop.url("/api/fn/admin_login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("username=admin&password=guess-guess-guess")
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert!(statuses.ends_with(&[429, 429]), "{statuses:?}");
}

/// Calls one of the shop's server functions as the hydrated page does
/// (asking for JSON) or, with `browser`, as a browser posting the form itself.
async fn call_shop_fn(
    shop: &Shop,
    name: &str,
    form: &[(&str, &str)],
    browser: bool,
) -> reqwest::Response {
    let no_redirects = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let accept = if browser {
        "text/html,application/xhtml+xml"
    } else {
        "application/json"
    };
    no_redirects
        .post(shop.url(&format!("/api/fn/{name}")))
        .header("accept", accept)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(form).unwrap())
        .send()
        .await
        .unwrap()
}

/// The status and error body of a server function's refusal.
async fn refusal(shop: &Shop, name: &str, form: Vec<(&str, &str)>) -> (StatusCode, Value) {
    let r = call_shop_fn(shop, name, &form, false).await;
    (r.status(), r.json().await.unwrap())
}

fn location(r: &reqwest::Response) -> String {
    r.headers()["location"].to_str().unwrap().to_string()
}

/// The token a server function's redirect to the tracking page carries.
fn token_in(location: &str) -> String {
    let query = location.split_once('?').unwrap().1;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    pairs.into_iter().find(|(k, _)| k == "token").unwrap().1
}

async fn the_shops_server_functions_reveal_no_more_than_the_rest_api(backend: Backend) {
    let shop = Shop::open(backend).await;
    let product = shop.product["_id"].as_str().unwrap();
    let catalogue: Value = call_shop_fn(&shop, "catalogue", &[], false)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(catalogue[0]["sku"], "MUG");

    // Tracking: the right token shows the masked order, anything else nothing.
    let token = shop.order["trackingToken"].as_str().unwrap();
    let r = call_shop_fn(&shop, "tracked_order", &[("token", token)], false).await;
    assert_eq!(r.status(), StatusCode::OK);
    let tracked: Value = r.json().await.unwrap();
    assert_eq!(tracked["_id"], shop.order["_id"]);
    assert_eq!(tracked["customer"]["phone"], "••• 58");
    for wrong in [&"0".repeat(32), "", &"x".repeat(500)] {
        let r = call_shop_fn(&shop, "tracked_order", &[("token", wrong)], false).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{wrong}");
    }
    let r = call_shop_fn(&shop, "tracked_order", &[], false).await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "a missing field is malformed"
    );

    // A checkout with a returning customer's email joins their record and
    // shows their contact details masked, whatever name was typed.
    let order = |quantity: &'static str| {
        vec![
            ("name", "Not Ada"),
            ("email", "ADA@example.com"),
            ("phone", "555 123 4567"),
            ("address[name]", "Ada Lovelace"),
            ("address[line1]", "1 Main St"),
            ("address[city]", "Springfield"),
            ("address[postalCode]", "12345"),
            ("address[country]", "US"),
            ("items[0][product]", product),
            ("items[0][quantity]", quantity),
        ]
    };
    let r = call_shop_fn(&shop, "checkout", &order("2"), false).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().contains_key("serverfnredirect"));
    let placed = location(&r);
    assert!(
        placed.starts_with("/track?token=") && placed.ends_with("&placed=1"),
        "{placed}"
    );
    let mine: Value = call_shop_fn(
        &shop,
        "tracked_order",
        &[("token", &token_in(&placed))],
        false,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(mine["customer"]["_id"], shop.customer["_id"]);
    assert_eq!(mine["customer"]["name"], "A Customer");
    assert_eq!(mine["customer"]["email"], "a••@example.com");
    assert_eq!(mine["total"], json!(25));

    // Bad input is a 4xx naming the line, never a 5xx.
    let error_of = |quantity: &'static str| refusal(&shop, "checkout", order(quantity));
    let (status, body) = error_of("lots").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("items[0].quantity"))
    );
    let (status, body) = error_of("0").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("items[0].quantity"))
    );
    let (status, body) = error_of("5000").await;
    assert_eq!(
        (status, body["kind"].as_str(), body["line"].as_i64()),
        (StatusCode::CONFLICT, Some("out_of_stock"), Some(0))
    );
    let mut bad_id = order("1");
    bad_id[8].1 = "not-an-id";
    let r = call_shop_fn(&shop, "checkout", &bad_id, false).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = call_shop_fn(&shop, "checkout", &order("1")[..8], false).await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "an empty cart"
    );

    // A browser posting the form itself is sent back to the form as it sent
    // it (its cart and details) with the error, or on to the tracking page.
    let r = call_shop_fn(&shop, "checkout", &order("5000"), true).await;
    assert_eq!(r.status(), StatusCode::FOUND);
    let back = location(&r);
    assert!(
        back.starts_with(&format!(
            "/?cart={product}%3A5000&name=Not+Ada&email=ADA%40example.com&phone=555+123+4567\
             &address%5Bname%5D=Ada+Lovelace&address%5Bline1%5D=1+Main+St&address%5Bline2%5D=\
             &address%5Bcity%5D=Springfield&address%5Bregion%5D=&address%5BpostalCode%5D=12345\
             &address%5Bcountry%5D=US&__path=%2Fapi%2Ffn%2Fcheckout&__err="
        )),
        "{back}"
    );
    assert!(back.ends_with("#checkout"), "{back}");
    let r = call_shop_fn(&shop, "checkout", &order("1"), true).await;
    assert_eq!(r.status(), StatusCode::FOUND);
    assert!(location(&r).starts_with("/track?token="));

    // Finding an order needs its number and its customer's email; a wrong
    // pair fails like an unknown number, and a found order gets a new link.
    let number = shop.order["number"].as_str().unwrap();
    let other_number = shop.other_order["number"].as_str().unwrap();
    let mut refusals = Vec::new();
    for (number, email) in [
        (number, "bob@example.com"),
        (other_number, "ada@example.com"),
        ("ZZZZZ-ZZZZZ", "ada@example.com"),
    ] {
        let r = call_shop_fn(
            &shop,
            "find_order",
            &[("number", number), ("email", email)],
            false,
        )
        .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert!(!r.headers().contains_key("location"));
        refusals.push(r.text().await.unwrap());
    }
    assert!(refusals.windows(2).all(|w| w[0] == w[1]), "{refusals:?}");
    let r = call_shop_fn(
        &shop,
        "find_order",
        &[("number", number), ("email", "ada@example.com")],
        false,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let reissued = token_in(&location(&r));
    let oid = shop.order_id();
    let read = |token: String| {
        shop.http
            .get(shop.url(&format!("/api/orders/{oid}?token={token}")))
            .send()
    };
    assert_eq!(
        read(reissued.clone()).await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        read(token.to_string()).await.unwrap().status(),
        StatusCode::NOT_FOUND,
        "the old link stops working"
    );

    // The tracking page itself shows the order to the token holder only.
    let page = shop
        .http
        .get(shop.url(&format!("/track?token={reissued}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(number) && !html.contains("ada@example.com") && !html.contains("7946 0958")
    );
    let page = shop
        .http
        .get(shop.url(&format!("/track?token={token}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains(number) && page.contains("does not lead to an order"));

    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = shop.server.log.lock().unwrap().join("\n");
    assert!(
        !log.contains(&reissued) && !log.contains(token),
        "a tracking token is in the log"
    );
}

async fn shop_checkouts_and_lookups_count_against_the_order_limit(backend: Backend) {
    let shop = Shop::open_with(backend, &[("IGNIFLO_RATE_ORDERS", "60")]).await;
    let product = shop.product["_id"].as_str().unwrap().to_string();
    let form = [
        ("name", "Ada"),
        ("email", "ada@example.com"),
        ("phone", "555 123 4567"),
        ("address[name]", "Ada"),
        ("address[line1]", "1 Main St"),
        ("address[city]", "Springfield"),
        ("address[postalCode]", "12345"),
        ("address[country]", "US"),
        ("items[0][product]", product.as_str()),
        ("items[0][quantity]", "1"),
    ];
    let mut limited = false;
    for _ in 0..30 {
        let r = call_shop_fn(&shop, "checkout", &form, false).await;
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
        assert_eq!(r.status(), StatusCode::OK);
    }
    assert!(
        limited,
        "30 checkouts at once from one address hit the limit"
    );
    let r = call_shop_fn(
        &shop,
        "find_order",
        &[("number", "ZZZZZ-ZZZZZ"), ("email", "ada@example.com")],
        false,
    )
    .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

/// Every admin server function, for every caller: only a signed-in admin
/// (session cookie, from our own origin) gets through; a tracking token is
/// no admin.
async fn the_admin_server_functions_answer_only_the_admin(backend: Backend) {
    let shop = Shop::open_with(backend, &[("IGNIFLO_WEBHOOK_ALLOW_PRIVATE", "1")])
        .await
        .with_staff()
        .await;
    let wid = shop.webhook().await;
    let set_cookie = shop.login(ADMIN_PASSWORD).await.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    let oid = shop.order_id().to_string();
    let pid = shop.product["_id"].as_str().unwrap().to_string();
    let no_such = "0123456789abcdef01234567";
    type Form<'a> = Vec<(&'a str, &'a str)>;
    let calls: Vec<(&str, Form, Door, u16)> = vec![
        ("admin_orders", vec![], EVERY_ROLE, 200),
        ("admin_order", vec![("id", &oid)], EVERY_ROLE, 200),
        (
            "move_order",
            vec![("id", &oid), ("status", "PENDING")],
            MANAGE,
            200,
        ),
        (
            "move_order",
            vec![("id", no_such), ("status", "FULFILLED")],
            FULFIL,
            404,
        ),
        (
            "ship_order",
            vec![
                ("id", no_such),
                ("items[0][product]", "MUG"),
                ("items[0][quantity]", "1"),
            ],
            FULFIL,
            404,
        ),
        (
            "add_order_note",
            vec![("id", no_such), ("text", "Fragile")],
            FULFIL,
            404,
        ),
        (
            "refund_order",
            vec![("id", no_such), ("amount", "1")],
            MANAGE,
            404,
        ),
        (
            "take_return",
            vec![
                ("id", no_such),
                ("reason", "DAMAGED"),
                ("items[0][product]", "MUG"),
                ("items[0][quantity]", "1"),
            ],
            MANAGE,
            404,
        ),
        ("admin_stock_history", vec![("id", &pid)], READ_BOOKS, 200),
        ("admin_products", vec![], READ_BOOKS, 200),
        (
            "add_product",
            vec![
                ("name", "Tray"),
                ("sku", "TRAY-FN"),
                ("stock", "3"),
                ("price", "4.50"),
            ],
            MANAGE,
            200,
        ),
        (
            "update_product",
            vec![("id", &pid), ("stock_adjustment", "+1")],
            MANAGE,
            200,
        ),
        ("admin_customers", vec![], READ_BOOKS, 200),
        ("admin_dashboard", vec![], READ_BOOKS, 200),
        ("admin_activity", vec![], READ_BOOKS, 200),
        ("admin_staff", vec![], OWNERS, 200),
        (
            "change_staff_member",
            vec![("id", no_such), ("role", "VIEWER")],
            OWNERS,
            404,
        ),
        ("staff_password_link", vec![("id", no_such)], OWNERS, 404),
        ("my_account", vec![], Door::InABrowser, 200),
        (
            "create_my_token",
            vec![("name", "Printer"), ("role", "")],
            Door::InABrowser,
            200,
        ),
        (
            "revoke_my_token",
            vec![("id", no_such)],
            Door::AnyStaff,
            404,
        ),
        (
            "end_my_session",
            vec![("id", no_such)],
            Door::InABrowser,
            404,
        ),
        ("admin_webhooks", vec![], OWNERS, 200),
        (
            "add_webhook",
            vec![("url", "http://127.0.0.1:9/fn"), ("events[0]", "*")],
            OWNERS,
            200,
        ),
        (
            "webhook_action",
            vec![("id", &wid), ("action", "ping")],
            OWNERS,
            200,
        ),
        ("admin_webhook_deliveries", vec![("id", &wid)], OWNERS, 200),
        (
            "redeliver_webhook",
            vec![("id", &wid), ("delivery", no_such)],
            OWNERS,
            404,
        ),
    ];
    for (name, form, door, ok) in calls {
        for who in EVERYONE {
            // A product added twice is a duplicate: the second caller let
            // in adds another SKU.
            let mut form = form.clone();
            let sku = format!("TRAY-{who:?}");
            if name == "add_product" {
                form[1].1 = &sku;
            }
            let request = shop
                .http
                .post(shop.url(&format!("/api/fn/{name}")))
                .form(&form);
            let r = shop.as_(who, request).send().await.unwrap();
            let status = r.status().as_u16();
            assert_eq!(
                status,
                door.answer(who, ok),
                "{who:?} calling {name}: {}",
                r.text().await.unwrap()
            );
        }
        // The admin's own session, signed in with the `admin` login.
        let r = shop
            .http
            .post(shop.url(&format!("/api/fn/{name}")))
            .form(&form)
            .header("cookie", cookie.as_str())
            .header("origin", shop.server.url.clone())
            .send()
            .await
            .unwrap();
        if name != "add_product" {
            assert_eq!(r.status().as_u16(), ok, "the admin calling {name}");
        }
    }
}

async fn staff_live_connections_see_orders_until_their_access_ends(backend: Backend) {
    let shop = Shop::open(backend).await.with_staff().await;
    let staff = shop.staff.as_ref().unwrap();
    let packer = SocketIoListener::connect(&shop.server.url, &staff.packer_token);
    let (token_id, token) = shop.token_of(&staff.manager_cookie, None).await;
    let mut feed = live_feed_as(&shop.server.url, "", Some(&token)).await;
    let listener = SocketIoListener::connect(&shop.server.url, &token);
    let r = shop
        .as_(
            Who::Admin,
            shop.http
                .patch(shop.url(&format!("/api/orders/{}/status", shop.order_id()))),
        )
        .json(&json!({"status": "PAID"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Staff see the order whole, whoever placed it.
    let seen = packer.next_order();
    assert_eq!(seen["_id"], shop.order_id());
    assert_eq!(seen["customer"]["email"], "ada@example.com");
    assert_eq!(next_order_event(&mut feed).await["status"], "PAID");
    assert_eq!(listener.next_order()["status"], "PAID");

    // Revoked: refused on the next request, its live connections closed.
    let r = shop
        .http
        .delete(shop.url(&format!("/api/tokens/{token_id}")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = shop
        .http
        .get(shop.url("/api/orders"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        closed_within(&mut feed, Duration::from_secs(15)).await,
        "the revoked token's WebSocket is closed"
    );
    assert!(
        listener.disconnected_within(Duration::from_secs(15)),
        "the revoked token's socket.io connection is closed"
    );
    // The packer's own connection stays.
    assert!(!packer.disconnected_within(Duration::from_millis(500)));
}

async fn a_packer_ships_and_the_timeline_names_them_but_not_to_the_customer(backend: Backend) {
    let shop = Shop::open(backend).await.with_staff().await;
    let oid = shop.order_id();
    let paid = shop
        .as_(
            Who::ManagerToken,
            shop.http
                .patch(shop.url(&format!("/api/orders/{oid}/status"))),
        )
        .json(&json!({"status": "PAID"}))
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), StatusCode::OK);
    let shipped: Value = shop
        .as_(
            Who::PackerSession,
            shop.http
                .post(shop.url(&format!("/api/orders/{oid}/shipments"))),
        )
        .json(&json!({"carrier": "DHL", "trackingNumber": "JD0001"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shipped["status"], "FULFILLED", "{shipped}");
    let names = |order: &Value| -> Vec<(String, String)> {
        order["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["summary"].as_str().unwrap().to_string(),
                    e["actor"]["name"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let staff_view = names(&shipped);
    assert!(
        staff_view
            .iter()
            .any(|(what, who)| what.starts_with("Shipped") && who == "Pat Packer"),
        "{staff_view:?}"
    );
    assert!(
        staff_view
            .iter()
            .any(|(what, who)| what == "Paid" && who.starts_with("Integration (Mia Manager)")),
        "{staff_view:?}"
    );
    let token = shop.order["trackingToken"].as_str().unwrap();
    let customer_view: Value = shop
        .http
        .get(shop.url(&format!("/api/orders/{oid}?token={token}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let customer_names = names(&customer_view);
    assert!(!customer_names.is_empty());
    for (what, who) in &customer_names {
        assert!(
            who == "the shop" || who == "customer",
            "the customer sees {who:?} on {what:?}"
        );
    }
    assert!(
        !customer_view.to_string().contains("Pat Packer"),
        "no staff name reaches the customer"
    );
}

async fn staff_sign_in_by_email_and_see_and_end_their_sessions(backend: Backend) {
    // Signing in more often than the login limit lets through in a minute.
    let shop = Shop::open_with(backend, &[("IGNIFLO_RATE_LOGIN", "1000")])
        .await
        .with_staff()
        .await;
    let login = |email: &str, password: &str| {
        shop.http
            .post(shop.url("/api/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
    };
    assert_eq!(
        login("PAT@example.com", "wrong password!!")
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let r = login("PAT@example.com", STAFF_PASSWORD).await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let second = r.headers()["set-cookie"].to_str().unwrap();
    let second = second.split(';').next().unwrap().to_string();
    let first = shop.staff.as_ref().unwrap().packer_cookie.clone();
    let sessions = |cookie: &str| {
        shop.http
            .get(shop.url("/api/auth/sessions"))
            .header("cookie", cookie.to_string())
            .send()
    };
    let listed: Value = sessions(&second).await.unwrap().json().await.unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[0]["current"], true, "newest first, this one");
    // End the first session from the second.
    let first_id = listed[1]["_id"].as_str().unwrap();
    let r = shop
        .http
        .delete(shop.url(&format!("/api/auth/sessions/{first_id}")))
        .header("cookie", second.clone())
        .header("origin", shop.server.url.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        sessions(&first).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    // A new password (the current one required) ends the other sessions.
    let r = login("pat@example.com", STAFF_PASSWORD).await.unwrap();
    let third = r.headers()["set-cookie"].to_str().unwrap();
    let third = third.split(';').next().unwrap().to_string();
    let change = |current: &str| {
        shop.http
            .post(shop.url("/api/auth/password"))
            .header("cookie", second.clone())
            .header("origin", shop.server.url.clone())
            .json(&json!({"currentPassword": current, "newPassword": "a brand new passphrase"}))
            .send()
    };
    let wrong = change("not my password").await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = change(STAFF_PASSWORD).await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let renewed = r.headers()["set-cookie"].to_str().unwrap();
    let renewed = renewed.split(';').next().unwrap().to_string();
    assert_eq!(
        sessions(&third).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(sessions(&renewed).await.unwrap().status(), StatusCode::OK);
    assert_eq!(
        login("pat@example.com", "a brand new passphrase")
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
}

/// The head the server sends names the page's record (a browser tab, a
/// bookmark, history): to those who may see the record, and to nobody else.
async fn a_page_title_names_its_record_only_to_those_who_may_see_it(backend: Backend) {
    let shop = Shop::open_with(backend, &[("IGNIFLO_WEBHOOK_ALLOW_PRIVATE", "1")])
        .await
        .with_staff()
        .await;
    let wid = shop.webhook().await;
    let oid = shop.order_id();
    let number = shop.order["number"].as_str().unwrap();
    let pid = shop.product["_id"].as_str().unwrap();
    // A name as staff may type it: the head must still hold only a title.
    let hostile =
        r#"Mug</title><meta http-equiv="refresh" content="0;url=https://evil.example"> & co"#;
    let renamed = shop
        .http
        .patch(shop.url(&format!("/api/products/{pid}")))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({ "name": hostile }))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), StatusCode::OK);
    let product = r#"Mug&lt;/title&gt;&lt;meta http-equiv="refresh" content="0;url=https://evil.example"&gt; &amp; co"#;
    let no_redirects = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let title_of = |html: &str| {
        let (_, rest) = html.split_once("<title>").expect("a title");
        rest.split_once("</title>").unwrap().0.to_string()
    };
    let pages = [
        (
            format!("/admin/orders/{oid}"),
            EVERY_ROLE,
            format!("Order {number} · Igniflo admin"),
        ),
        (
            format!("/admin/orders/{oid}/cancel"),
            EVERY_ROLE,
            format!("Cancel order {number}? · Igniflo admin"),
        ),
        (
            format!("/admin/orders/{oid}/packing-slip"),
            EVERY_ROLE,
            format!("Packing slip {number} · Igniflo admin"),
        ),
        (
            format!("/admin/products/{pid}/stock"),
            READ_BOOKS,
            format!("Stock history: {product} · Igniflo admin"),
        ),
        (
            format!("/admin/webhooks/{wid}"),
            OWNERS,
            "Deliveries: http://127.0.0.1:9/hooks · Igniflo admin".into(),
        ),
    ];
    for who in EVERYONE {
        for (page, door, title) in &pages {
            let r = shop
                .as_(who, no_redirects.get(shop.url(page)))
                .send()
                .await
                .unwrap();
            match door.answer(who, 200) {
                200 => {
                    assert_eq!(r.status(), StatusCode::OK, "{who:?} {page}");
                    let html = r.text().await.unwrap();
                    assert_eq!(title_of(&html), *title, "{who:?} {page}");
                    assert!(!html.contains("<meta http-equiv"), "{who:?} {page}");
                }
                // Staff whose role does not reach the record get the
                // console's page saying so, under the shop's name only.
                403 => {
                    assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who:?} {page}");
                    let html = r.text().await.unwrap();
                    assert_eq!(title_of(&html), "Igniflo", "{who:?} {page}");
                    assert!(
                        !html.contains(number) && !html.contains("/hooks"),
                        "{who:?} {page}"
                    );
                }
                _ => assert_eq!(r.status(), StatusCode::SEE_OTHER, "{who:?} {page}"),
            }
        }
    }
    // The tracking page: the token's order, or none.
    let token = shop.order["trackingToken"].as_str().unwrap();
    for (query, title) in [
        (
            format!("token={token}&placed=1"),
            format!("Order {number} · Igniflo"),
        ),
        ("token=not-a-token".to_string(), "Igniflo".to_string()),
        (String::new(), "Igniflo".to_string()),
    ] {
        let html = no_redirects
            .get(shop.url(&format!("/track?{query}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(title_of(&html), title, "/track?{query}");
    }
}
