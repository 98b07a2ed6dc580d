//! `/admin/products/:id/stock`: one product's stock ledger — every change of
//! its stock, why, by whom and what it left — newest first.

use super::fns::admin_stock_history;
use super::AdminNav;
use crate::domain::shop_time;
use crate::domain::StockReason;
use crate::pages::titles;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn StockHistoryPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let history = Resource::new(id, admin_stock_history);
    view! {
        <AdminNav/>
        <section class="page stock-history">
            <p><a href="/admin/products">"← Products"</a></p>
            <Transition fallback=|| view! { <p class="loading">"Loading the stock history…"</p> }>
                {move || Suspend::new(async move {
                    match history.await {
                        Ok(h) => {
                            let rows = h.movements.into_iter().map(|m| {
                                let change = if m.delta > 0 { format!("+{}", m.delta) } else { m.delta.to_string() };
                                let by = m.actor.name;
                                view! {
                                    <tr>
                                        <td>{shop_time::minute_text(m.at)}</td>
                                        <td>{reason_label(m.reason)}</td>
                                        <td class="num">{change}</td>
                                        <td class="num">{m.stock_after}</td>
                                        <td>{m.order.map(|o| view! { <a href=format!("/admin/orders/{o}")>"Order"</a> })}</td>
                                        <td>{by}</td>
                                    </tr>
                                }
                            }).collect_view();
                            view! {
                                <Title text=titles::stock_history(&h.product.name)/>
                                <h1>"Stock history: " {h.product.name.clone()}</h1>
                                <p class="summary">
                                    {format!("SKU {} · {} in stock · low at {} or fewer", h.product.sku, h.product.stock, h.product.low_stock_threshold)}
                                </p>
                                <div class="table-wrap">
                                    <table class="ledger">
                                        <thead><tr>
                                            <th scope="col">{format!("When ({})", shop_time::zone_name())}</th><th scope="col">"Why"</th>
                                            <th scope="col" class="num">"Change"</th><th scope="col" class="num">"Stock after"</th>
                                            <th scope="col">"Order"</th><th scope="col">"By"</th>
                                        </tr></thead>
                                        <tbody>{rows}</tbody>
                                    </table>
                                </div>
                            }.into_any()
                        }
                        Err(e) => view! { <h1>"Stock history"</h1><p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

fn reason_label(reason: StockReason) -> &'static str {
    match reason {
        StockReason::Received => "Received",
        StockReason::Adjusted => "Adjusted by hand",
        StockReason::Ordered => "Ordered",
        StockReason::Cancelled => "Order cancelled",
        StockReason::Returned => "Returned, back in stock",
    }
}
