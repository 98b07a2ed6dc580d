//! `/admin/login`: the admin's sign-in form.

use super::session::AdminLogin;
use crate::domain::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<AdminLogin>::new();
    let failed = move || match login.value().get() {
        Some(Err(AppError::TooManyRequests { retry_after_secs })) => Some(format!(
            "Too many attempts; try again in {retry_after_secs} s."
        )),
        Some(Err(AppError::Unauthorized)) => Some("Wrong username or password.".to_string()),
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    // A refused password leaves the box empty for the next try.
    let password = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let (Some(Err(_)), Some(input)) = (login.value().get(), password.get_untracked()) {
            input.set_value("");
        }
    });
    view! {
        <Title text="Admin sign-in · Igniflo"/>
        <section class="page narrow">
            <h1>"Admin sign-in"</h1>
            <ActionForm action=login attr:class="form">
                <label for="username">"Username"</label>
                <input id="username" name="username" autocomplete="username" value="admin" required/>
                <label for="password">"Password"</label>
                <input id="password" node_ref=password name="password" type="password" autocomplete="current-password" required/>
                <button class="button" type="submit" disabled=move || login.pending().get()>"Sign in"</button>
            </ActionForm>
            {move || failed().map(|message| view! { <p class="error" role="alert">{message}</p> })}
        </section>
    }
}
