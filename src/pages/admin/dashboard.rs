//! `/admin/dashboard`: today at a glance, and the last 30 days as charts
//! (plain SVG: no charting crate for Leptos 0.8 was worth its weight here).

use super::fns::admin_dashboard;
use super::AdminNav;
use crate::components::live::follow_live_feed;
use crate::components::OrderStatusBadge;
use crate::domain::{Dashboard, DayTotal, LiveMessage};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let dashboard = Resource::new(|| (), |_| admin_dashboard());
    // Figures follow the orders and the products running low.
    follow_live_feed(Vec::new(), move |message| {
        if matches!(
            message,
            LiveMessage::OrderUpdated(_) | LiveMessage::LowStock(_) | LiveMessage::Resync
        ) {
            dashboard.refetch();
        }
    });
    view! {
        <Title text="Dashboard · Igniflo admin"/>
        <AdminNav/>
        <section class="page">
            <h1>"Dashboard"</h1>
            <Transition fallback=|| view! { <p class="loading">"Loading figures…"</p> }>
                {move || Suspend::new(async move {
                    match dashboard.await {
                        Ok(d) => view! { <Figures d/> }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Figures(d: Dashboard) -> impl IntoView {
    let orders: Vec<(String, i64)> = d
        .days
        .iter()
        .map(|day| (day_label(day), day.orders as i64))
        .collect();
    let revenue: Vec<(String, i64)> = d
        .days
        .iter()
        .map(|day| (day_label(day), day.revenue.cents()))
        .collect();
    let most = d
        .by_status
        .iter()
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(0)
        .max(1);
    let currency = d.currency;
    view! {
        <div class="kpis">
            <Kpi label="Orders today" value=d.orders_today.to_string()/>
            <Kpi label="Received today" value=d.currency.format(d.revenue_today)/>
            <Kpi label="Received, last 7 days" value=d.currency.format(d.revenue_last_7_days)/>
            <Kpi label="Awaiting payment, last 30 days" value=d.currency.format(d.awaiting_payment_total)/>
            <Kpi label="Waiting to be fulfilled" value=d.awaiting_fulfilment.to_string()/>
            <Kpi label="Waiting for payment" value=d.awaiting_payment.to_string()/>
            <Kpi label="Products low on stock" value=d.low_stock.len().to_string()/>
        </div>
        <div class="charts">
            <figure>
                <figcaption>"Orders per day, last 30 days"</figcaption>
                <BarChart bars=orders title="Orders per day" format=|v| v.to_string()/>
            </figure>
            <figure>
                <figcaption>"Money received per day (orders paid or fulfilled, less refunds), last 30 days"</figcaption>
                <BarChart bars=revenue title="Revenue per day" format=move |cents| currency.format(crate::domain::Money::from_cents(cents))/>
            </figure>
            <figure>
                <figcaption>"Orders by status"</figcaption>
                <ul class="status-bars">
                    {d.by_status.iter().map(|(status, n)| {
                        let width = format!("width: {}%", (*n * 100) / most);
                        view! {
                            <li>
                                <OrderStatusBadge status=*status/>
                                <span class="bar-track"><span class=format!("bar bar-{}", status.as_str().to_ascii_lowercase()) style=width></span></span>
                                <span class="num">{*n}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </figure>
        </div>
        <h2>"Low on stock"</h2>
        {if d.low_stock.is_empty() {
            view! { <p class="empty">"Every product has more than a few units."</p> }.into_any()
        } else {
            view! {
                <ul class="low-stock">
                    {d.low_stock.into_iter().map(|p| view! { <li>{p.name} " (" {p.sku} "): " <strong>{p.stock}</strong> " left"</li> }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
}

#[component]
fn Kpi(label: &'static str, value: String) -> impl IntoView {
    view! {
        <div class="kpi">
            <div class="kpi-value">{value}</div>
            <div class="kpi-label">{label}</div>
        </div>
    }
}

fn day_label(day: &DayTotal) -> String {
    let (_, m, d) = crate::domain::shop_time::date_of(day.day);
    format!("{m:02}-{d:02}")
}

/// Vertical bars with a hover title each; the SVG scales to its container.
#[component]
fn BarChart(
    bars: Vec<(String, i64)>,
    title: &'static str,
    format: impl Fn(i64) -> String + 'static,
) -> impl IntoView {
    const WIDTH: f64 = 600.0;
    const HEIGHT: f64 = 160.0;
    let highest = bars.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1) as f64;
    let slot = WIDTH / bars.len().max(1) as f64;
    let total: i64 = bars.iter().map(|(_, v)| *v).sum();
    let last = bars.len().saturating_sub(1);
    view! {
        <svg class="bar-chart" viewBox=format!("0 0 {WIDTH} {}", HEIGHT + 24.0) role="img" aria-label=format!("{title}: {} in total", format(total))>
            {bars.iter().enumerate().map(|(i, (label, value))| {
                let h = (*value as f64 / highest) * HEIGHT;
                let x = i as f64 * slot;
                view! {
                    <g>
                        <title>{format!("{label}: {}", format(*value))}</title>
                        <rect x=x + 1.0 y=HEIGHT - h width=(slot - 2.0).max(1.0) height=h.max(0.5)/>
                        // a label every week, counted back from today
                        {(last - i).is_multiple_of(7).then(|| view! {
                            <text x=x + slot / 2.0 y=HEIGHT + 22.0 text-anchor=if i == last { "end" } else { "middle" }>{label.clone()}</text>
                        })}
                    </g>
                }
            }).collect_view()}
        </svg>
    }
}
