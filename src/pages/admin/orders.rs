//! `/admin`: the order list. Filters and the page live in the query string
//! (so they survive reloads and work without JavaScript); new orders slide in
//! at the top and changed ones update in place with a brief highlight.

use super::fns::{admin_orders, MoveOrder};
use super::order_actions::{move_failure, CancelDialog, CancelQuestion, StatusActions};
use super::{allows, AdminNav, SignedInStaff};
use crate::components::live::follow_live_feed;
use crate::components::toast::use_toasts;
use crate::components::OrderStatusBadge;
use crate::domain::shop_time;
use crate::domain::{
    FulfillmentStatus, Id, LiveMessage, Order, OrderStatus, OrdersQuery, PaymentStatus, Permission,
    Role,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use std::collections::{HashMap, HashSet};

/// How long a changed row stays highlighted.
const FLASH_MS: u64 = 2_000;

/// What the live feed changed since the list was loaded.
#[derive(Clone, Copy)]
struct LiveChanges {
    /// Orders that arrived after loading, newest first.
    arrived: RwSignal<Vec<Order>>,
    /// The latest known version of orders already listed.
    updated: RwSignal<HashMap<Id, Order>>,
    flashing: RwSignal<HashSet<Id>>,
}

impl LiveChanges {
    fn new() -> Self {
        LiveChanges {
            arrived: RwSignal::new(Vec::new()),
            updated: RwSignal::new(HashMap::new()),
            flashing: RwSignal::new(HashSet::new()),
        }
    }

    fn clear(&self) {
        self.arrived.set(Vec::new());
        self.updated.set(HashMap::new());
    }

    fn flash(&self, id: Id) {
        let flashing = self.flashing;
        flashing.update(|f| {
            f.insert(id);
        });
        set_timeout(
            move || {
                flashing.update(|f| {
                    f.remove(&id);
                })
            },
            std::time::Duration::from_millis(FLASH_MS),
        );
    }

    fn update(&self, order: Order) {
        let id = order.id;
        self.updated.update(|u| {
            u.insert(id, order);
        });
    }

    /// The loaded page with the live changes applied, in the list's order
    /// (ids are time-ordered: by id is by when placed).
    fn apply(&self, loaded: &[Order], oldest_first: bool) -> Vec<Order> {
        let updated = self.updated.get();
        let mut seen = HashSet::new();
        let mut rows: Vec<Order> = self
            .arrived
            .get()
            .iter()
            .chain(loaded)
            .filter(|o| seen.insert(o.id))
            .map(|o| updated.get(&o.id).cloned().unwrap_or_else(|| o.clone()))
            .collect();
        rows.sort_by_key(|o| o.id);
        if !oldest_first {
            rows.reverse();
        }
        rows
    }
}

#[component]
pub fn OrdersPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.with(|q| q.get(name).filter(|v| !v.is_empty()));
    let orders = Resource::new(
        move || OrdersQuery::from_params(|name| param(name)),
        admin_orders,
    );
    let live = LiveChanges::new();
    let staff = SignedInStaff::of_page();
    let listed: RwSignal<HashSet<Id>> = RwSignal::new(HashSet::new());
    Effect::new(move |_| {
        let ids = orders.with(|o| match o {
            Some(Ok(list)) => list.iter().map(|o| o.id).collect(),
            _ => HashSet::new(),
        });
        listed.set(ids);
        live.clear();
    });
    let param_now =
        move |name: &str| query.with_untracked(|q| q.get(name).filter(|v| !v.is_empty()));
    // Read the same way as the server reads it; a malformed filter matches
    // nothing (the list itself shows why).
    let filter_now = move || OrdersQuery::from_params(param_now).filter();
    follow_live_feed(Vec::new(), move |message| match message {
        LiveMessage::OrderUpdated(order) => {
            let order = *order;
            let id = order.id;
            let known = live
                .arrived
                .with_untracked(|a| a.iter().any(|o| o.id == id))
                || listed.with_untracked(|ids| ids.contains(&id));
            if known {
                live.update(order);
            } else if param_now("cursor").is_none() && filter_now().is_ok_and(|f| f.matches(&order))
            {
                live.arrived.update(|a| a.insert(0, order));
            } else {
                return;
            }
            live.flash(id);
        }
        LiveMessage::Resync => orders.refetch(),
        LiveMessage::ProductUpdated(_) | LiveMessage::LowStock(_) => {}
    });

    // Page-level, like `live`: the table below is replaced on every refetch.
    let moves = ServerAction::<MoveOrder>::new();
    let cancel_question = CancelQuestion::provide();
    let toaster = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = moves.value().get() {
            toaster.success(format!("Order {} is {}", saved.number, saved.status));
            live.update(saved);
        }
    });

    // The packing bench: paid, not everything shipped, oldest first.
    let to_ship = move || {
        param("status").as_deref() == Some("PAID") && param("sort").as_deref() == Some("oldest")
    };
    let export_href = move || format!("/api/orders/export.csv?{}", list_query(&query.get(), None));
    view! {
        <AdminNav/>
        <CancelDialog question=cancel_question action=moves/>
        <Title text="Orders · Igniflo admin"/>
        <section class="page">
            <div class="page-header">
                <h1>{move || if to_ship() { "Orders to ship" } else { "Orders" }}</h1>
                <a class="button secondary" class:current=to_ship href=TO_SHIP
                    aria-current=move || to_ship().then_some("page")>"To ship"</a>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        allows(staff.role().await, Permission::SeeReports)
                            .then(|| view! { <a class="button secondary" href=export_href download>"Export CSV"</a> })
                    })}
                </Transition>
            </div>
            <OrderFilters/>
            <Transition fallback=|| view! { <p class="loading">"Loading orders…"</p> }>
                {move || Suspend::new(async move {
                    let role = staff.role().await;
                    match orders.await {
                        Ok(loaded) => view! { <OrderTable loaded live moves role/> }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The filter form: a plain GET form, so it works before hydration too. Its
/// fields follow the URL, as the list does: after "Clear" or the Orders tab
/// the form shows no filter, because the list has none.
/// The packing bench's list: PAID orders (not everything shipped), oldest first.
const TO_SHIP: &str = "/admin?status=PAID&sort=oldest";

/// A select of one of the list's filters: "All" and each value.
fn filter_select(
    label: &'static str,
    name: &'static str,
    values: Vec<(&'static str, &'static str)>,
) -> impl IntoView {
    let query = use_query_map();
    let current = move || query.with(|q| q.get(name).unwrap_or_default());
    view! {
        <label>
            {label}
            <select name=name prop:value=current>
                <option value="" selected=move || current().is_empty()>"All"</option>
                {values
                    .into_iter()
                    .map(|(value, text)| view! { <option value=value selected=move || current() == value>{text}</option> })
                    .collect_view()}
            </select>
        </label>
    }
}

#[component]
fn OrderFilters() -> impl IntoView {
    let query = use_query_map();
    let value = move |name: &'static str| move || query.with(|q| q.get(name).unwrap_or_default());
    let customer = value("customer");
    view! {
        <form class="filters" method="get" action="/admin">
            {filter_select("Status", "status", OrderStatus::ALL.iter().map(|s| (s.as_str(), s.as_str())).collect())}
            {filter_select("Payment", "paymentStatus", PaymentStatus::ALL.iter().map(|s| (s.as_str(), s.label())).collect())}
            {filter_select("Shipping", "fulfillmentStatus", FulfillmentStatus::ALL.iter().map(|s| (s.as_str(), s.label())).collect())}
            <label>
                "Search"
                <input type="search" name="q" prop:value=value("q") value=value("q") placeholder="Order number, name or email"/>
            </label>
            <label>"Placed from" <input type="date" name="from" prop:value=value("from") value=value("from")/></label>
            <label>"Placed to" <input type="date" name="to" prop:value=value("to") value=value("to")/></label>
            {move || {
                let customer = customer();
                (!customer.is_empty()).then(|| view! { <input type="hidden" name="customer" value=customer/> })
            }}
            {move || {
                let sort = value("sort")();
                (!sort.is_empty()).then(|| view! { <input type="hidden" name="sort" value=sort/> })
            }}
            <button class="button" type="submit">"Apply"</button>
            <a class="button secondary" href="/admin">"Clear"</a>
        </form>
    }
}

#[component]
fn OrderTable(
    loaded: Vec<Order>,
    live: LiveChanges,
    moves: ServerAction<MoveOrder>,
    role: Option<Role>,
) -> impl IntoView {
    let query = use_query_map();
    let full_page = loaded.len() == crate::domain::Page::DEFAULT_LIMIT as usize;
    let last_id = loaded.last().map(|o| o.id);
    // Plain closures over page-level signals: nothing reactive is created
    // here, so nothing is left disposed when a refetch replaces this table.
    let loaded = std::sync::Arc::new(loaded);
    let oldest_first = query.with_untracked(|q| q.get_str("sort") == Some("oldest"));
    let rows = move || live.apply(&loaded, oldest_first);
    // Where a form posted without JavaScript comes back to: this very page.
    let back = move || {
        format!(
            "/admin?{}",
            query.with(|q| list_query(q, q.get("cursor").and_then(|c| c.parse().ok())))
        )
    };
    view! {
        {move_failure(moves)}
        <Show when={
            let rows = rows.clone();
            move || !rows().is_empty()
        } fallback=|| view! { <p class="empty">"No orders match."</p> }>
            <div class="table-wrap">
                <table class="orders">
                    <thead>
                        <tr>
                            <th scope="col">"Order"</th>
                            <th scope="col">{format!("Placed ({})", shop_time::zone_name())}</th>
                            <th scope="col">"Customer"</th>
                            <th scope="col" class="num">"Items"</th>
                            <th scope="col" class="num">"Total"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Payment"</th>
                            <th scope="col">"Shipping"</th>
                            <th scope="col">"Move to"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=rows.clone() key=|o| (o.id, o.status, o.updated_at) let:order>
                            <OrderRow order=order.clone() flashing=live.flashing moves back=back() role/>
                        </For>
                    </tbody>
                </table>
            </div>
        </Show>
        <nav class="pager" aria-label="Pages">
            {move || query.with(|q| q.get("cursor").is_some()).then(|| view! {
                <a class="button secondary" href=format!("/admin?{}", list_query(&query.get(), None))>"← Newest"</a>
            })}
            {last_id.filter(|_| full_page).map(|last| view! {
                <a class="button secondary" href=move || format!("/admin?{}", list_query(&query.get(), Some(last)))>"Older →"</a>
            })}
        </nav>
    }
}

#[component]
fn OrderRow(
    order: Order,
    flashing: RwSignal<HashSet<Id>>,
    moves: ServerAction<MoveOrder>,
    back: String,
    role: Option<Role>,
) -> impl IntoView {
    let id = order.id;
    let class = move || {
        if flashing.with(|f| f.contains(&id)) {
            "flash"
        } else {
            ""
        }
    };
    let units: i64 = order.items.iter().map(|l| l.quantity).sum();
    let for_buttons = order.clone();
    view! {
        <tr class=class data-order=order.number.clone()>
            <td><a href=format!("/admin/orders/{id}")>{order.number.clone()}</a></td>
            <td>{shop_time::minute_text(order.created_at)}</td>
            <td>
                <div>{order.customer.name.clone()}</div>
                <div class="muted">{order.customer.email.clone()}</div>
            </td>
            <td class="num">{units}</td>
            <td class="num">{order.currency.format(order.total)}</td>
            <td><OrderStatusBadge status=order.status/></td>
            <td>{order.payment_status.label()}</td>
            <td>{order.fulfillment_status.label()}</td>
            <td class="actions">
                <StatusActions order=for_buttons action=moves back role small=true/>
            </td>
        </tr>
    }
}

/// The list's query string with the page cursor set (or dropped).
fn list_query(query: &leptos_router::params::ParamsMap, cursor: Option<Id>) -> String {
    let mut pairs: Vec<String> = [
        "status",
        "paymentStatus",
        "fulfillmentStatus",
        "q",
        "customer",
        "from",
        "to",
        "sort",
    ]
    .iter()
    .filter_map(|k| {
        query
            .get(k)
            .filter(|v| !v.is_empty())
            .map(|v| format!("{k}={}", encode(&v)))
    })
    .collect();
    if let Some(cursor) = cursor {
        pairs.push(format!("cursor={cursor}"));
    }
    pairs.join("&")
}

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
