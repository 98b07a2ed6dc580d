//! `/admin/login`: staff sign in with their email (the first owner with
//! `admin`) and password.

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
        Some(Err(AppError::Unauthorized)) => Some("Wrong email or password.".to_string()),
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
        <Title text="Staff sign-in · Igniflo"/>
        <section class="page narrow">
            <h1>"Staff sign-in"</h1>
            <ActionForm action=login attr:class="form">
                <label for="username">"Email"</label>
                <input id="username" name="username" autocomplete="username" required aria-describedby="login-hint"/>
                <p class="hint" id="login-hint">"The shop's first owner signs in as " <code>"admin"</code> "."</p>
                <label for="password">"Password"</label>
                <input id="password" node_ref=password name="password" type="password" autocomplete="current-password" required/>
                <button class="button" type="submit" disabled=move || login.pending().get()>"Sign in"</button>
            </ActionForm>
            {move || failed().map(|message| view! { <p class="error" role="alert">{message}</p> })}
        </section>
    }
}
