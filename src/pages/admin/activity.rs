//! `/admin/activity`: what staff did across the shop, newest first, each
//! with who did it; filtered by staff member and kind (a plain GET form, so
//! it works without JavaScript), paged like the order list.

use super::AdminNav;
use crate::domain::shop_time;
use crate::domain::{ActivityEntry, ActivityKind, ActivityQuery, AppError, Id};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// One page of the log, and the staff to filter by.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActivityPage {
    pub entries: Vec<ActivityEntry>,
    /// Every member's id and name, for the filter.
    pub staff: Vec<(Id, String)>,
    /// Set when the page is full: the next page's cursor.
    pub next: Option<Id>,
}

#[server(prefix = "/api/fn", endpoint = "admin_activity", output = crate::pages::wire::Json)]
pub async fn admin_activity(
    #[server(default)] query: ActivityQuery,
) -> Result<ActivityPage, AppError> {
    use crate::domain::Permission;
    use crate::server::server_fns::as_staff;
    as_staff(Permission::SeeReports, |service, _| async move {
        let ((staff, kind), page) = (query.filters()?, query.page()?);
        let (entries, members) =
            futures_util::try_join!(service.activity(staff, kind, page), service.staff())?;
        let next = (entries.len() == page.limit as usize)
            .then(|| entries.last().map(|e| e.id))
            .flatten();
        Ok(ActivityPage {
            entries,
            staff: members.into_iter().map(|m| (m.id, m.name)).collect(),
            next,
        })
    })
    .await
}

#[component]
pub fn ActivityPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.with(|q| q.get(name).filter(|v| !v.is_empty()));
    let log = Resource::new(
        move || ActivityQuery {
            staff: param("staff"),
            kind: param("kind"),
            limit: None,
            cursor: param("cursor"),
        },
        admin_activity,
    );
    let chosen = move |name: &'static str| move || param(name).unwrap_or_default();
    view! {
        <AdminNav/>
        <Title text="Activity · Igniflo admin"/>
        <section class="page activity">
            <h1>"Activity"</h1>
            <Transition fallback=|| view! { <p class="loading">"Loading the activity…"</p> }>
                {move || Suspend::new(async move {
                    match log.await {
                        Ok(page) => {
                            let staff_options = page.staff.iter().map(|(id, name)| {
                                let id = id.to_string();
                                let selected = chosen("staff")() == id;
                                view! { <option value=id selected=selected>{name.clone()}</option> }
                            }).collect_view();
                            let kind_options = ActivityKind::ALL.into_iter().map(|k| {
                                let selected = chosen("kind")() == k.as_str();
                                view! { <option value=k.as_str() selected=selected>{k.label()}</option> }
                            }).collect_view();
                            let next = page.next.map(|cursor| {
                                let mut href = format!("/admin/activity?cursor={cursor}");
                                for name in ["staff", "kind"] {
                                    if let Some(v) = param(name) {
                                        href.push_str(&format!("&{name}={v}"));
                                    }
                                }
                                view! { <a class="button secondary" href=href>"Older"</a> }
                            });
                            view! {
                                <form class="filters" method="get" action="/admin/activity">
                                    <label>"Staff member"
                                        <select name="staff">
                                            <option value="">"Everyone"</option>
                                            {staff_options}
                                        </select>
                                    </label>
                                    <label>"Kind"
                                        <select name="kind">
                                            <option value="">"All"</option>
                                            {kind_options}
                                        </select>
                                    </label>
                                    <button class="button" type="submit">"Apply"</button>
                                    <a class="button secondary" href="/admin/activity">"Clear"</a>
                                </form>
                                <EntryList entries=page.entries/>
                                <nav class="pager" aria-label="Pages">{next}</nav>
                            }.into_any()
                        }
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn EntryList(entries: Vec<ActivityEntry>) -> impl IntoView {
    if entries.is_empty() {
        return view! { <p class="empty">"Nothing yet."</p> }.into_any();
    }
    view! {
        <ol class="activity-log">
            {entries.into_iter().map(|e| {
                let subject = match (e.order, e.order_number.clone(), e.product) {
                    (Some(order), Some(number), _) => Some(view! {
                        <a href=format!("/admin/orders/{order}")>{format!("Order {number}")}</a>
                    }.into_any()),
                    (_, _, Some(product)) => Some(view! {
                        <a href=format!("/admin/products/{product}/stock")>"Stock history"</a>
                    }.into_any()),
                    _ => None,
                };
                view! {
                    <li data-kind=e.kind.as_str()>
                        <div class="activity-head">
                            <span class="kind">{e.kind.label()}</span>
                            <strong>{e.actor.name.clone()}</strong>
                            <span class="muted">{shop_time::minute_text(e.at)}</span>
                            {subject}
                        </div>
                        <div class="summary">{e.summary.clone()}</div>
                    </li>
                }
            }).collect_view()}
        </ol>
    }
    .into_any()
}
