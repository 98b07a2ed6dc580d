//! `/admin`: the admin console.

use leptos::prelude::*;

#[component]
pub fn AdminPage() -> impl IntoView {
    view! {
        <section class="page">
            <h1>"Orders"</h1>
            <p>"Orders arrive here live; move them from PENDING to PAID to FULFILLED."</p>
        </section>
    }
}
