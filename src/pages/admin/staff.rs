//! `/admin/staff` (owners): who runs the shop. Add a member (their one-time
//! set-password link is shown once, to pass on), change their role,
//! deactivate or reactivate them, give them a new link.

use super::AdminNav;
use crate::components::toast::use_toasts;
use crate::domain::shop_time;
use crate::domain::{AppError, Role, StaffMember, StaffWithLink};
use leptos::prelude::*;
use leptos_meta::Title;

#[cfg(feature = "ssr")]
use crate::domain::Permission;
#[cfg(feature = "ssr")]
use crate::server::server_fns::as_staff;

#[server(prefix = "/api/fn", endpoint = "admin_staff", output = crate::pages::wire::Json)]
pub async fn admin_staff() -> Result<Vec<StaffMember>, AppError> {
    as_staff(Permission::ManageStaff, |service, _| async move {
        service.staff().await
    })
    .await
}

/// Adds a member; the answer carries their set-password link, shown once.
#[server(prefix = "/api/fn", endpoint = "add_staff_member", output = crate::pages::wire::Json)]
pub async fn add_staff_member(
    name: String,
    email: String,
    role: Role,
) -> Result<StaffWithLink, AppError> {
    use crate::domain::NewStaffMember;
    as_staff(Permission::ManageStaff, |service, _| async move {
        service
            .add_staff(NewStaffMember { name, email, role })
            .await
    })
    .await
}

/// A row's role change, deactivation or reactivation; works as a plain
/// form post too.
#[server(prefix = "/api/fn", endpoint = "change_staff_member", output = crate::pages::wire::Json)]
pub async fn change_staff_member(
    id: String,
    role: Option<Role>,
    active: Option<bool>,
) -> Result<StaffMember, AppError> {
    use crate::domain::StaffPatch;
    use crate::server::server_fns::{form_failure, form_success};
    use leptos::server_fn::ServerFn;
    let done = as_staff(Permission::ManageStaff, |service, _| async move {
        let id = id
            .parse()
            .map_err(|_| AppError::not_found("staff member", &id))?;
        let patch = StaffPatch {
            name: None,
            role,
            active,
        };
        service.change_staff(id, patch).await
    })
    .await;
    match done {
        Ok(member) => {
            form_success("/admin/staff");
            Ok(member)
        }
        Err(e) => form_failure("/admin/staff", ChangeStaffMember::PATH, e),
    }
}

/// A new set-password link for a member, shown once.
#[server(prefix = "/api/fn", endpoint = "staff_password_link", output = crate::pages::wire::Json)]
pub async fn staff_password_link(id: String) -> Result<StaffWithLink, AppError> {
    as_staff(Permission::ManageStaff, |service, _| async move {
        let id = id
            .parse()
            .map_err(|_| AppError::not_found("staff member", &id))?;
        service.new_staff_link(id).await
    })
    .await
}

#[component]
pub fn StaffPage() -> impl IntoView {
    let add = ServerAction::<AddStaffMember>::new();
    let change = ServerAction::<ChangeStaffMember>::new();
    let link = ServerAction::<StaffPasswordLink>::new();
    let staff = Resource::new(
        move || (add.version().get(), change.version().get()),
        |_| admin_staff(),
    );
    let toaster = use_toasts();
    // A link is shown on this page, once: adding a member and making a new
    // link wait for the page to run.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let shown = RwSignal::new(None::<StaffWithLink>);
    Effect::new(move |_| match add.value().get() {
        Some(Ok(added)) => shown.set(Some(added)),
        Some(Err(e)) => toaster.failure(format!("Not added: {e}")),
        None => {}
    });
    Effect::new(move |_| match link.value().get() {
        Some(Ok(made)) => shown.set(Some(made)),
        Some(Err(e)) => toaster.failure(format!("No new link: {e}")),
        None => {}
    });
    Effect::new(move |_| match change.value().get() {
        Some(Ok(m)) => toaster.success(format!(
            "{} is {}{}",
            m.name,
            m.role.label(),
            if m.active { "" } else { " (deactivated)" }
        )),
        Some(Err(e)) => toaster.failure(format!("Not changed: {e}")),
        None => {}
    });
    view! {
        <AdminNav/>
        <Title text="Staff · Igniflo admin"/>
        <section class="page staff">
            <h1>"Staff"</h1>
            <p class="summary">
                "Owners manage staff, tokens and webhooks; managers run orders, refunds, products and customers; "
                "packers see orders, ship them and add notes; viewers read what a manager reads."
            </p>
            <ActionForm action=add attr:class="inline-form" attr:aria-label="Add a staff member">
                <label>"Name" <input name="name" required maxlength="200" autocomplete="off"/></label>
                <label>"Email" <input name="email" type="email" required maxlength="254" autocomplete="off"/></label>
                <label>"Role" {role_select(Role::Packer, "new-member-role".into())}</label>
                <button class="button" type="submit" disabled=move || !hydrated.get()>"Add staff member"</button>
            </ActionForm>
            <p class="hint" hidden=move || hydrated.get()>"Adding someone needs JavaScript: their set-password link is shown on this page, once."</p>
            {move || shown.get().map(|s| view! { <LinkBox shown=s/> })}
            <Transition fallback=|| view! { <p class="loading">"Loading staff…"</p> }>
                {move || Suspend::new(async move {
                    match staff.await {
                        Ok(list) => view! {
                            <div class="table-wrap">
                                <table class="staff-table">
                                    <thead><tr>
                                        <th scope="col">"Name"</th><th scope="col">"Email"</th>
                                        <th scope="col">"Role"</th><th scope="col">"State"</th>
                                        <th scope="col">{format!("Last sign-in ({})", shop_time::zone_name())}</th>
                                        <th scope="col">"Actions"</th>
                                    </tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|member| view! { <MemberRow member change link hydrated/> }).collect_view()}
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

fn role_select(selected: Role, id: String) -> impl IntoView {
    view! {
        <select name="role" id=id>
            {Role::ALL.into_iter().map(|r| view! {
                <option value=r.as_str() selected=r == selected>{r.label()}</option>
            }).collect_view()}
        </select>
    }
}

/// The set-password link just made, with the shop's address in front when
/// the server did not put one there.
#[component]
fn LinkBox(shown: StaffWithLink) -> impl IntoView {
    let link = if shown.set_password_link.starts_with('/') {
        let origin = window().location().origin().unwrap_or_default();
        format!("{origin}{}", shown.set_password_link)
    } else {
        shown.set_password_link.clone()
    };
    view! {
        <div class="secret-box" role="status">
            <p><strong>"Set-password link for " {shown.member.name.clone()}</strong></p>
            <code class="secret">{link}</code>
            <p class="hint">
                "Pass it on to " {shown.member.email.clone()} ": it works once, until "
                {shop_time::minute_text(shown.link_expires_at)} ", and is not shown again."
            </p>
        </div>
    }
}

#[component]
fn MemberRow(
    member: StaffMember,
    change: ServerAction<ChangeStaffMember>,
    link: ServerAction<StaffPasswordLink>,
    hydrated: RwSignal<bool>,
) -> impl IntoView {
    let id = member.id.to_string();
    let (switch_to, switch_label, switch_class) = if member.active {
        ("false", "Deactivate", "button danger small")
    } else {
        ("true", "Reactivate", "button small")
    };
    let role_id = format!("role-{id}");
    let (id_for_role, id_for_switch, id_for_link) = (id.clone(), id.clone(), id);
    let role_label = format!("Role of {}", member.name);
    let switch_name = format!("{switch_label} {}", member.name);
    let link_name = format!("New set-password link for {}", member.name);
    let state = if member.active {
        view! { <span class="marker on">"Active"</span> }
    } else {
        view! { <span class="marker out">"Deactivated"</span> }
    };
    view! {
        <tr data-email=member.email.clone()>
            <td>{member.name.clone()}</td>
            <td>{member.email.clone()}</td>
            <td>
                <ActionForm action=change attr:class="row-form">
                    <input type="hidden" name="id" value=id_for_role/>
                    <label class="visually-hidden" for=role_id.clone()>{role_label}</label>
                    {role_select(member.role, role_id)}
                    <button class="button small secondary" type="submit">"Change role"</button>
                </ActionForm>
            </td>
            <td>{state}</td>
            <td>{member.last_sign_in_at.map_or_else(|| "never".to_string(), shop_time::minute_text)}</td>
            <td class="actions">
                <ActionForm action=change attr:class="row-form">
                    <input type="hidden" name="id" value=id_for_switch/>
                    <input type="hidden" name="active" value=switch_to/>
                    <button class=switch_class type="submit" aria-label=switch_name>{switch_label}</button>
                </ActionForm>
                <ActionForm action=link attr:class="row-form">
                    <input type="hidden" name="id" value=id_for_link/>
                    <button class="button secondary small" type="submit" disabled=move || !hydrated.get()
                        aria-label=link_name>"New link"</button>
                </ActionForm>
            </td>
        </tr>
    }
}
