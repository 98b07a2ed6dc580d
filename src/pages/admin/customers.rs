//! `/admin/customers`: who orders, searchable; each links to their orders.

use super::fns::admin_customers;
use super::AdminNav;
use crate::domain::shop_time;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn CustomersPage() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.with(|p| p.get("q").filter(|v| !v.is_empty()));
    let customers = Resource::new(q, admin_customers);
    view! {
        <Title text="Customers · Igniflo admin"/>
        <AdminNav/>
        <section class="page">
            <h1>"Customers"</h1>
            <form class="filters" method="get" action="/admin/customers">
                <label>"Search" <input type="search" name="q" value=move || q().unwrap_or_default() placeholder="Name or email"/></label>
                <button class="button" type="submit">"Search"</button>
            </form>
            <Transition fallback=|| view! { <p class="loading">"Loading customers…"</p> }>
                {move || Suspend::new(async move {
                    match customers.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty">"No customers match."</p> }.into_any(),
                        Ok(list) => view! {
                            <div class="table-wrap">
                                <table>
                                    <thead><tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Phone"</th><th scope="col">"Since"</th><th scope="col">"Orders"</th></tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|c| view! {
                                            <tr>
                                                <td>{c.name}</td><td>{c.email}</td><td>{c.phone}</td>
                                                <td>{shop_time::minute_text(c.created_at)}</td>
                                                <td><a href=format!("/admin?customer={}", c.id)>"Their orders"</a></td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
