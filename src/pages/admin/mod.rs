//! `/admin`: the admin console. Signed-in admins only: full page loads are
//! redirected to `/admin/login` by the server, client-side visits by the page.

pub mod login;
pub mod session;

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use session::{admin_session, AdminLogout};

#[component]
pub fn AdminPage() -> impl IntoView {
    let signed_in = Resource::new(|| (), |_| admin_session());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(false)) = signed_in.get() {
            navigate("/admin/login", Default::default());
        }
    });
    let logout = ServerAction::<AdminLogout>::new();
    view! {
        <section class="page">
            <div class="page-header">
                <h1>"Orders"</h1>
                <ActionForm action=logout>
                    <button class="button secondary" type="submit">"Sign out"</button>
                </ActionForm>
            </div>
            <p>"Orders arrive here live; move them from PENDING to PAID to FULFILLED."</p>
        </section>
    }
}
