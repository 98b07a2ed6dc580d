//! Finding an order again with its number and the email it was placed with:
//! the way back for a customer who lost the tracking link.

use super::api::FindOrder;
use crate::components::toast::use_toasts;
use crate::domain::{validate, AppError};
use leptos::prelude::*;

fn refusal_message(error: &AppError) -> String {
    match error {
        AppError::NotFound { .. } => "No order matches this number and email.".into(),
        AppError::Invalid { message, .. } => format!("Email {message}."),
        AppError::TooManyRequests { retry_after_secs } => {
            format!("Too many attempts; try again in {retry_after_secs} s.")
        }
        other => format!("{other}."),
    }
}

#[component]
pub fn FindOrderForm() -> impl IntoView {
    let toasts = use_toasts();
    let find = ServerAction::<FindOrder>::new();
    let refusal = RwSignal::new(find.value().get_untracked().and_then(Result::err));
    let email = RwSignal::new(String::new());
    let email_checked = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Err(error)) = find.value().get() {
            toasts.failure(refusal_message(&error));
            refusal.set(Some(error));
        }
    });
    let email_problem = move || {
        (email_checked.get())
            .then(|| email.with(|e| validate::email(e).err()))
            .flatten()
            .map(|e| refusal_message(&e))
    };
    view! {
        <p>"Enter your order number and the email you ordered with. You will get a new private link; earlier links for the order stop working."</p>
        <ActionForm action=find attr:class="form lookup-form">
            <label for="number">"Order number"</label>
            <input id="number" name="number" placeholder="7KQ2M-9XD4P" autocomplete="off" required maxlength="32"
                on:input=move |_| refusal.set(None)/>
            <label for="lookup-email">"Email"</label>
            <input id="lookup-email" name="email" type="email" autocomplete="email" required
                bind:value=email
                on:input=move |_| refusal.set(None)
                on:blur=move |_| email_checked.set(true)
                aria-invalid=move || email_problem().is_some().to_string()
                aria-describedby="lookup-email-error"/>
            <p class="field-error" id="lookup-email-error">{email_problem}</p>
            {move || refusal.get().map(|e| view! { <p class="error" role="alert">{refusal_message(&e)}</p> })}
            <button type="submit" class="button" disabled=move || find.pending().get()>
                {move || if find.pending().get() { "Looking…" } else { "Find my order" }}
            </button>
        </ActionForm>
    }
}
