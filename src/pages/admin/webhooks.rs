//! `/admin/webhooks`: the endpoints integrations receive events at — add
//! one (its signing secret is shown once), ping, switch off and on, rotate
//! the secret, delete — and `/admin/webhooks/:id`, one endpoint's
//! deliveries with every attempt, each of which can be sent again.

use super::fns::{
    admin_webhook_deliveries, admin_webhooks, AddWebhook, EndpointAction, RedeliverWebhook,
    WebhookAction,
};
use super::AdminNav;
use crate::components::toast::use_toasts;
use crate::domain::shop_time;
use crate::domain::webhook::{
    Delivery, DeliveryAttempt, DeliveryState, WebhookEndpoint, WebhookWithSecret, EVENT_TYPES,
};
use crate::pages::titles;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn WebhooksPage() -> impl IntoView {
    let add = ServerAction::<AddWebhook>::new();
    let act = ServerAction::<WebhookAction>::new();
    let endpoints = Resource::new(
        move || (add.version().get(), act.version().get()),
        |_| admin_webhooks(),
    );
    let toaster = use_toasts();
    // Adding an endpoint and rotating a secret show the secret on this page,
    // once: they wait for the page to run (effects run only in the browser).
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    // The secret of the endpoint just added or rotated: shown until the next.
    let new_secret = RwSignal::new(None::<WebhookWithSecret>);
    Effect::new(move |_| match add.value().get() {
        Some(Ok(added)) => new_secret.set(Some(added)),
        Some(Err(e)) => toaster.failure(format!("The endpoint was not added: {e}")),
        None => {}
    });
    Effect::new(move |_| match act.value().get() {
        Some(Ok(Some(rotated))) => new_secret.set(Some(rotated)),
        Some(Ok(None)) => toaster.success("Done"),
        Some(Err(e)) => toaster.failure(format!("Not done: {e}")),
        None => {}
    });
    view! {
        <AdminNav/>
        <Title text="Webhooks · Igniflo admin"/>
        <section class="page webhooks">
            <h1>"Webhooks"</h1>
            <p class="summary">
                "Each endpoint receives the events it subscribes to as signed POST requests "
                "(Standard Webhooks), in the order they happened, retried for a day until it answers 2xx."
            </p>
            <AddEndpointForm add hydrated/>
            {move || new_secret.get().map(|shown| view! {
                <div class="secret-box" role="status">
                    <p><strong>"Signing secret for " {shown.endpoint.url.clone()}</strong></p>
                    <code class="secret">{shown.secret.clone()}</code>
                    <p class="hint">"Copy it now: it is not shown again. Receivers verify the webhook-signature header with it."</p>
                </div>
            })}
            <Transition fallback=|| view! { <p class="loading">"Loading endpoints…"</p> }>
                {move || Suspend::new(async move {
                    match endpoints.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty">"No endpoints yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <div class="table-wrap">
                                <table class="webhook-table">
                                    <thead><tr>
                                        <th scope="col">"Endpoint"</th><th scope="col">"Events"</th>
                                        <th scope="col">"State"</th><th scope="col">"Actions"</th>
                                    </tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|endpoint| view! { <EndpointRow endpoint act hydrated/> }).collect_view()}
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

/// The form that subscribes a URL: the events are checkboxes, "All events"
/// (`*`) first.
#[component]
fn AddEndpointForm(add: ServerAction<AddWebhook>, hydrated: RwSignal<bool>) -> impl IntoView {
    let url = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let chosen = RwSignal::new(vec!["*".to_string()]);
    let all = std::iter::once(("*", "All events")).chain(EVENT_TYPES.iter().map(|e| (*e, *e)));
    let boxes = all
        .map(|(kind, label)| {
            let checked = move || chosen.with(|c| c.iter().any(|k| k == kind));
            let toggle = move |ev| {
                let on = event_target_checked(&ev);
                chosen.update(|c| {
                    c.retain(|k| k != kind);
                    if on {
                        c.push(kind.to_string());
                    }
                });
            };
            view! {
                <label class="check"><input type="checkbox" value=kind checked=checked prop:checked=checked on:change=toggle/> {label}</label>
            }
        })
        .collect_view();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        add.dispatch(AddWebhook {
            url: url.get_untracked(),
            events: chosen.get_untracked(),
            description: Some(description.get_untracked()),
        });
    };
    Effect::new(move |_| {
        if let Some(Ok(_)) = add.value().get() {
            url.set(String::new());
            description.set(String::new());
        }
    });
    view! {
        <form class="add-endpoint" aria-label="Add an endpoint" on:submit=submit>
            <div class="inline-form">
                <label>"URL" <input name="url" type="url" required maxlength="2000" size="40" placeholder="https://example.com/webhooks" bind:value=url/></label>
                <label>"Description" <input name="description" maxlength="500" placeholder="Warehouse" bind:value=description/></label>
                <button class="button" type="submit" disabled=move || !hydrated.get()>"Add endpoint"</button>
            </div>
            <p class="hint" hidden=move || hydrated.get()>"Adding an endpoint needs JavaScript: its secret is shown on this page, once."</p>
            <fieldset class="event-choice">
                <legend>"Events"</legend>
                {boxes}
            </fieldset>
        </form>
    }
}

#[component]
fn EndpointRow(
    endpoint: WebhookEndpoint,
    act: ServerAction<WebhookAction>,
    hydrated: RwSignal<bool>,
) -> impl IntoView {
    let id = endpoint.id.to_string();
    let button = move |action: EndpointAction, label: &'static str, class: &'static str| {
        let id = id.clone();
        // A rotated secret is shown on the page: only once it runs.
        let needs_page = action == EndpointAction::RotateSecret;
        view! {
            <ActionForm action=act attr:class="row-form">
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="action" value=action_name(action)/>
                <button class=class type="submit" disabled=move || needs_page && !hydrated.get()>{label}</button>
            </ActionForm>
        }
    };
    let state = if endpoint.active {
        view! { <span class="marker on">"Active"</span> }.into_any()
    } else {
        let why = endpoint
            .disabled_reason
            .clone()
            .unwrap_or_else(|| "Switched off by hand.".into());
        view! { <span class="marker out">"Disabled"</span> " " <span class="hint">{why}</span> }
            .into_any()
    };
    let switch = if endpoint.active {
        button(
            EndpointAction::SwitchOff,
            "Disable",
            "button secondary small",
        )
    } else {
        button(EndpointAction::SwitchOn, "Enable", "button small")
    };
    view! {
        <tr data-url=endpoint.url.clone()>
            <td class="endpoint">
                <code>{endpoint.url.clone()}</code>
                {(!endpoint.description.is_empty()).then(|| view! { <span class="hint">{endpoint.description.clone()}</span> })}
                <a href=format!("/admin/webhooks/{}", endpoint.id)>"Deliveries"</a>
            </td>
            <td>{endpoint.events.join(", ")}</td>
            <td>{state}</td>
            <td class="actions">
                {button(EndpointAction::Ping, "Send ping", "button small")}
                {switch}
                {button(EndpointAction::RotateSecret, "Rotate secret", "button secondary small")}
                <details class="confirm-delete">
                    <summary class="button secondary small">"Delete…"</summary>
                    <p>"Delete this endpoint and its delivery history?"</p>
                    {button(EndpointAction::Delete, "Delete endpoint", "button danger small")}
                </details>
            </td>
        </tr>
    }
}

/// The action as the server function reads it from a form.
fn action_name(action: EndpointAction) -> &'static str {
    match action {
        EndpointAction::Ping => "ping",
        EndpointAction::SwitchOn => "switch_on",
        EndpointAction::SwitchOff => "switch_off",
        EndpointAction::RotateSecret => "rotate_secret",
        EndpointAction::Delete => "delete",
    }
}

#[component]
pub fn WebhookDeliveriesPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let redeliver = ServerAction::<RedeliverWebhook>::new();
    let deliveries = Resource::new(
        move || (id(), redeliver.version().get()),
        |(id, _)| admin_webhook_deliveries(id),
    );
    let toaster = use_toasts();
    Effect::new(move |_| match redeliver.value().get() {
        Some(Ok(())) => toaster.success("Queued to be sent again"),
        Some(Err(e)) => toaster.failure(format!("Not queued: {e}")),
        None => {}
    });
    view! {
        <AdminNav/>
        <section class="page webhook-deliveries">
            <p><a href="/admin/webhooks">"← Webhooks"</a></p>
            <Transition fallback=|| view! { <p class="loading">"Loading deliveries…"</p> }>
                {move || Suspend::new(async move {
                    match deliveries.await {
                        Ok(found) => {
                            let endpoint = found.endpoint.id.to_string();
                            let rows = found.deliveries.into_iter().map(|d| {
                                view! { <DeliveryRow delivery=d endpoint=endpoint.clone() redeliver/> }
                            }).collect_view();
                            view! {
                                <Title text=titles::webhook_deliveries(&found.endpoint.url)/>
                                <h1>"Deliveries"</h1>
                                <p class="summary"><code>{found.endpoint.url.clone()}</code></p>
                                <div class="table-wrap">
                                    <table class="delivery-table">
                                        <thead><tr>
                                            <th scope="col">{format!("Event time ({})", shop_time::zone_name())}</th>
                                            <th scope="col">"Event"</th><th scope="col">"State"</th>
                                            <th scope="col">"Attempts"</th><th scope="col">"Actions"</th>
                                        </tr></thead>
                                        <tbody>{rows}</tbody>
                                    </table>
                                </div>
                            }.into_any()
                        }
                        Err(e) => view! { <h1>"Deliveries"</h1><p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn DeliveryRow(
    delivery: Delivery,
    endpoint: String,
    redeliver: ServerAction<RedeliverWebhook>,
) -> impl IntoView {
    let (class, label) = match delivery.state {
        DeliveryState::Pending => ("marker low", "Pending"),
        DeliveryState::Delivered => ("marker on", "Delivered"),
        DeliveryState::Failed => ("marker out", "Failed"),
    };
    let next = (delivery.state == DeliveryState::Pending).then(|| {
        view! { <span class="hint">{format!("next try {}", shop_time::minute_text(delivery.due_at))}</span> }
    });
    let attempts = delivery
        .attempts
        .iter()
        .rev()
        .map(attempt_line)
        .collect_view();
    let count = delivery.attempts.len();
    view! {
        <tr data-event=delivery.event_id.clone()>
            <td>{shop_time::minute_text(delivery.event_at)}</td>
            <td><span class="event-type">{delivery.event_type.clone()}</span> <code class="hint">{delivery.event_id.clone()}</code></td>
            <td><span class=class>{label}</span> {next}</td>
            <td>
                {if count == 0 {
                    view! { <span class="hint">"None yet"</span> }.into_any()
                } else {
                    view! {
                        <details>
                            <summary>{format!("{count} attempt{}", if count == 1 { "" } else { "s" })}</summary>
                            <ol class="attempts" reversed>{attempts}</ol>
                        </details>
                    }.into_any()
                }}
            </td>
            <td class="actions">
                <ActionForm action=redeliver attr:class="row-form">
                    <input type="hidden" name="id" value=endpoint/>
                    <input type="hidden" name="delivery" value=delivery.id.to_string()/>
                    <button class="button small" type="submit">"Send again"</button>
                </ActionForm>
            </td>
        </tr>
    }
}

/// One attempt: when, the answer's status (or why there was none), how long
/// it took, and the start of what the endpoint said.
fn attempt_line(attempt: &DeliveryAttempt) -> impl IntoView {
    let outcome = match (attempt.status, &attempt.error) {
        (Some(status), _) => format!("HTTP {status}"),
        (None, Some(error)) => error.clone(),
        (None, None) => "no answer".into(),
    };
    view! {
        <li>
            <span>{shop_time::minute_text(attempt.at)}</span>
            " · " <strong>{outcome}</strong>
            " · " {format!("{} ms", attempt.latency_ms)}
            {(!attempt.response.is_empty()).then(|| view! { <pre class="response">{attempt.response.clone()}</pre> })}
        </li>
    }
}
