//! `/admin/account` (everyone): who I am, my password (the current one
//! required; my other sessions end), my sessions (end any), my API tokens
//! (make one, shown once; revoke). Owners see and revoke every token.
//! And `/admin/set-password`: the page a set-password link opens.

use super::AdminNav;
use crate::components::toast::use_toasts;
use crate::domain::shop_time;
use crate::domain::{ApiToken, AppError, CreatedApiToken, Role, SignedIn, StaffSession};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::server::server_fns::{as_signed_in, form_failure, form_success};
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn;

#[cfg(feature = "ssr")]
const PAGE: &str = "/admin/account";

/// What the account screen shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub who: SignedIn,
    pub sessions: Vec<StaffSession>,
    pub tokens: Vec<ApiToken>,
}

#[server(prefix = "/api/fn", endpoint = "my_account", output = crate::pages::wire::Json)]
pub async fn my_account() -> Result<Account, AppError> {
    as_signed_in(|service, staff| async move {
        let (sessions, tokens) =
            futures_util::try_join!(service.own_sessions(&staff), service.tokens(&staff))?;
        let who = SignedIn {
            name: staff.actor.name.clone(),
            role: staff.role,
            actor: staff.actor,
        };
        Ok(Account {
            who,
            sessions,
            tokens,
        })
    })
    .await
}

/// Changes the caller's password; this browser stays signed in.
#[server(prefix = "/api/fn", endpoint = "change_my_password", output = crate::pages::wire::Json)]
pub async fn change_my_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    use crate::domain::ChangePassword;
    use crate::server::server_fns::set_session_cookie;
    let done = as_signed_in(|service, staff| async move {
        let input = ChangePassword {
            current_password,
            new_password,
        };
        let token = service.change_own_password(&staff, input).await?;
        set_session_cookie(&token).await
    })
    .await;
    match done {
        Ok(()) => {
            form_success(PAGE);
            Ok(())
        }
        Err(e) => form_failure(PAGE, ChangeMyPassword::PATH, e),
    }
}

#[server(prefix = "/api/fn", endpoint = "end_my_session", output = crate::pages::wire::Json)]
pub async fn end_my_session(id: String) -> Result<(), AppError> {
    let done = as_signed_in(|service, staff| async move {
        let id = id
            .parse()
            .map_err(|_| AppError::not_found("session", &id))?;
        service.end_own_session(&staff, id).await
    })
    .await;
    match done {
        Ok(()) => {
            form_success(PAGE);
            Ok(())
        }
        Err(e) => form_failure(PAGE, EndMySession::PATH, e),
    }
}

/// Makes a token; the answer carries it, shown once.
#[server(prefix = "/api/fn", endpoint = "create_my_token", output = crate::pages::wire::Json)]
pub async fn create_my_token(name: String, role: String) -> Result<CreatedApiToken, AppError> {
    use crate::domain::NewApiToken;
    as_signed_in(|service, staff| async move {
        // "My role" is sent empty.
        let role = match role.as_str() {
            "" => None,
            named => Some(
                named
                    .parse()
                    .map_err(|()| AppError::invalid("role", "is not a role"))?,
            ),
        };
        service
            .create_token(&staff, NewApiToken { name, role })
            .await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "revoke_my_token", output = crate::pages::wire::Json)]
pub async fn revoke_my_token(id: String) -> Result<(), AppError> {
    let done = as_signed_in(|service, staff| async move {
        let id = id.parse().map_err(|_| AppError::not_found("token", &id))?;
        service.revoke_token(&staff, id).await
    })
    .await;
    match done {
        Ok(()) => {
            form_success(PAGE);
            Ok(())
        }
        Err(e) => form_failure(PAGE, RevokeMyToken::PATH, e),
    }
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let password = ServerAction::<ChangeMyPassword>::new();
    let end = ServerAction::<EndMySession>::new();
    let create = ServerAction::<CreateMyToken>::new();
    let revoke = ServerAction::<RevokeMyToken>::new();
    let account = Resource::new(
        move || {
            (
                password.version().get(),
                end.version().get(),
                create.version().get(),
                revoke.version().get(),
            )
        },
        |_| my_account(),
    );
    let toaster = use_toasts();
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let made = RwSignal::new(None::<CreatedApiToken>);
    Effect::new(move |_| match create.value().get() {
        Some(Ok(token)) => made.set(Some(token)),
        Some(Err(e)) => toaster.failure(format!("No token made: {e}")),
        None => {}
    });
    let password_form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| match password.value().get() {
        Some(Ok(())) => {
            toaster.success("Your password is changed; your other sessions have ended");
            if let Some(form) = password_form.get_untracked() {
                form.reset();
            }
        }
        Some(Err(e)) => toaster.failure(format!("Not changed: {e}")),
        None => {}
    });
    for (action, done) in [
        (end.value(), "Session ended"),
        (revoke.value(), "Token revoked"),
    ] {
        Effect::new(move |_| match action.get() {
            Some(Ok(())) => toaster.success(done),
            Some(Err(e)) => toaster.failure(format!("Not done: {e}")),
            None => {}
        });
    }
    view! {
        <AdminNav/>
        <Title text="Your account · Igniflo admin"/>
        <section class="page account">
            <h1>"Your account"</h1>
            <Transition fallback=|| view! { <p class="loading">"Loading your account…"</p> }>
                {move || Suspend::new(async move {
                    match account.await {
                        Ok(a) => view! {
                            <p class="summary">
                                "Signed in as " <strong>{a.who.name.clone()}</strong> " · " {a.who.role.label()}
                            </p>
                            <h2>"Sessions"</h2>
                            <SessionList sessions=a.sessions end/>
                            <h2>"API tokens"</h2>
                            <TokenList tokens=a.tokens revoke/>
                            <TokenForm create role=a.who.role hydrated/>
                        }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
            {move || made.get().map(|t| view! {
                <div class="secret-box" role="status">
                    <p><strong>"Token " {t.token.name.clone()} " (" {t.token.role.label()} ")"</strong></p>
                    <code class="secret">{t.secret.clone()}</code>
                    <p class="hint">"Copy it now: it is not shown again. Send it as Authorization: Bearer …"</p>
                </div>
            })}
            <h2>"Password"</h2>
            <ActionForm action=password node_ref=password_form attr:class="form narrow-form" attr:aria-label="Change your password">
                <label for="current-password">"Current password"</label>
                <input id="current-password" name="current_password" type="password" autocomplete="current-password" required/>
                <label for="new-password">"New password (at least 12 characters)"</label>
                <input id="new-password" name="new_password" type="password" autocomplete="new-password" minlength="12" required/>
                <button class="button" type="submit">"Change password"</button>
            </ActionForm>
        </section>
    }
}

/// Makes a token of the caller's role or one allowing less.
#[component]
fn TokenForm(
    create: ServerAction<CreateMyToken>,
    role: Role,
    hydrated: RwSignal<bool>,
) -> impl IntoView {
    let lower = Role::ALL
        .into_iter()
        .filter(move |r| *r != role && r.at_most(role));
    view! {
        <ActionForm action=create attr:class="inline-form" attr:aria-label="Make an API token">
            <label>"Token name" <input name="name" required maxlength="200" placeholder="Warehouse sync"/></label>
            <label>"Role"
                <select name="role">
                    <option value="">{format!("{} (mine)", role.label())}</option>
                    {lower.map(|r| view! { <option value=r.as_str()>{r.label()}</option> }).collect_view()}
                </select>
            </label>
            <button class="button" type="submit" disabled=move || !hydrated.get()>"Make token"</button>
        </ActionForm>
        <p class="hint" hidden=move || hydrated.get()>"Making a token needs JavaScript: it is shown on this page, once."</p>
    }
}

#[component]
fn SessionList(sessions: Vec<StaffSession>, end: ServerAction<EndMySession>) -> impl IntoView {
    view! {
        <ul class="plain-list sessions">
            {sessions.into_iter().map(|s| view! {
                <li>
                    {format!("Signed in {}", shop_time::minute_text(s.created_at))}
                    {format!(", until {}", shop_time::minute_text(s.expires_at))}
                    {if s.current {
                        view! { " " <span class="marker on">"This browser"</span> }.into_any()
                    } else {
                        view! {
                            <ActionForm action=end attr:class="row-form">
                                <input type="hidden" name="id" value=s.id.to_string()/>
                                <button class="button secondary small" type="submit">"End session"</button>
                            </ActionForm>
                        }.into_any()
                    }}
                </li>
            }).collect_view()}
        </ul>
    }
}

#[component]
fn TokenList(tokens: Vec<ApiToken>, revoke: ServerAction<RevokeMyToken>) -> impl IntoView {
    if tokens.is_empty() {
        return view! { <p class="empty">"No tokens yet."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="token-table">
                <thead><tr>
                    <th scope="col">"Name"</th><th scope="col">"Role"</th><th scope="col">"Holder"</th>
                    <th scope="col">{format!("Last used ({})", shop_time::zone_name())}</th><th scope="col">"Actions"</th>
                </tr></thead>
                <tbody>
                    {tokens.into_iter().map(|t| view! {
                        <tr>
                            <td>{t.name.clone()}</td>
                            <td>{t.role.label()}</td>
                            <td>{t.staff_name.clone()}</td>
                            <td>{t.last_used_at.map_or_else(|| "never".to_string(), shop_time::minute_text)}</td>
                            <td>
                                <ActionForm action=revoke attr:class="row-form">
                                    <input type="hidden" name="id" value=t.id.to_string()/>
                                    <button class="button danger small" type="submit" aria-label=format!("Revoke token {}", t.name)>"Revoke"</button>
                                </ActionForm>
                            </td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// Sets a new member's password from their link, then signs them in.
#[server(prefix = "/api/fn", endpoint = "set_staff_password", output = crate::pages::wire::Json)]
pub async fn set_staff_password(
    token: String,
    password: String,
    repeat: String,
) -> Result<(), AppError> {
    use crate::domain::SetPassword;
    use crate::server::server_fns::{service, set_session_cookie};
    let back = format!("/admin/set-password?token={}", urlencoding_token(&token));
    let done = async {
        if password != repeat {
            return Err(AppError::invalid("repeat", "does not match the password"));
        }
        let session = service()
            .set_password_with_link(SetPassword { token, password })
            .await?;
        set_session_cookie(&session).await?;
        leptos_axum::redirect("/admin");
        Ok(())
    }
    .await;
    done.or_else(|e| form_failure(&back, SetStaffPassword::PATH, e))
}

/// A link's token goes back into the page's address only as hex.
#[cfg(feature = "ssr")]
fn urlencoding_token(token: &str) -> String {
    token
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(128)
        .collect()
}

#[component]
pub fn SetPasswordPage() -> impl IntoView {
    let set = ServerAction::<SetStaffPassword>::new();
    let query = use_query_map();
    let token = move || query.with(|q| q.get("token").unwrap_or_default());
    let failed = move || match set.value().get() {
        Some(Err(AppError::Invalid { field, message })) if field == "token" => Some(message),
        Some(Err(AppError::Invalid { field, message })) => Some(format!("The {field} {message}.")),
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    view! {
        <Title text="Set your password · Igniflo admin"/>
        <section class="page narrow">
            <h1>"Set your password"</h1>
            <p class="summary">"Choose the password you will sign in with, at least 12 characters."</p>
            <ActionForm action=set attr:class="form">
                <input type="hidden" name="token" value=token/>
                <label for="password">"New password"</label>
                <input id="password" name="password" type="password" autocomplete="new-password" minlength="12" required/>
                <label for="repeat">"Repeat it"</label>
                <input id="repeat" name="repeat" type="password" autocomplete="new-password" minlength="12" required/>
                <button class="button" type="submit" disabled=move || set.pending().get()>"Set password and sign in"</button>
            </ActionForm>
            {move || failed().map(|message| view! { <p class="error" role="alert">{message}</p> })}
        </section>
    }
}
