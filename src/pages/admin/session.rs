//! Signing the admin in and out from the pages: server functions with the
//! same rules as `/api/auth/*` (they call the same service functions).

use crate::domain::{AppError, SignedIn};
#[cfg(feature = "ssr")]
use crate::server::server_fns::answer;
use leptos::prelude::*;

/// Checks the admin's password, sets the session cookie and goes to /admin.
/// Works as a plain form post before the page is hydrated.
#[server(prefix = "/api/fn", endpoint = "admin_login", output = crate::pages::wire::Json)]
pub async fn admin_login(username: String, password: String) -> Result<(), AppError> {
    use crate::domain::Login;
    use crate::server::http::AppState;
    use crate::server::server_fns::{form_failure, set_session_cookie};
    use leptos::server_fn::ServerFn;
    let signed_in = async {
        let state = expect_context::<AppState>();
        let token = state
            .service
            .sign_in(&Login {
                email: username,
                password,
            })
            .await?;
        set_session_cookie(&token).await?;
        leptos_axum::redirect("/admin");
        Ok(())
    }
    .await;
    signed_in.or_else(|e| form_failure("/admin/login", AdminLogin::PATH, e))
}

#[server(prefix = "/api/fn", endpoint = "admin_logout", output = crate::pages::wire::Json)]
pub async fn admin_logout() -> Result<(), AppError> {
    use crate::server::auth;
    use crate::server::http::AppState;
    answer(
        async {
            let state = expect_context::<AppState>();
            let parts: axum::http::request::Parts = leptos_axum::extract()
                .await
                .map_err(|_| AppError::Internal)?;
            if let Some(token) = auth::session_cookie(&parts.headers) {
                state.service.sign_out(token).await?;
            }
            let response = expect_context::<leptos_axum::ResponseOptions>();
            response.insert_header(axum::http::header::SET_COOKIE, auth::session_clear_cookie());
            leptos_axum::redirect("/admin/login");
            Ok(())
        }
        .await,
    )
}

/// Who is signed in, if staff: the pages offer only what their role may do.
#[server(prefix = "/api/fn", endpoint = "admin_session", output = crate::pages::wire::Json)]
pub async fn admin_session() -> Result<Option<SignedIn>, AppError> {
    use crate::server::server_fns::caller;
    answer(caller().await.map(|caller| {
        caller.staff().map(|staff| SignedIn {
            name: staff.actor.name.clone(),
            role: staff.role,
            actor: staff.actor.clone(),
        })
    }))
}
