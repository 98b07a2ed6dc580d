//! `/`: the customer's shop and order tracker.

use leptos::prelude::*;

#[component]
pub fn CustomerPage() -> impl IntoView {
    let (count, set_count) = signal(0);
    view! {
        <section class="page">
            <h1>"Order from Igniflo"</h1>
            <p>"Pick products that are in stock, place your order and follow its status live."</p>
            <button class="button" on:click=move |_| set_count.update(|c| *c += 1)>
                "Interactive check: " {count}
            </button>
        </section>
    }
}
