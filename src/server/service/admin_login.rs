//! The admin login: its password and its sessions.

use super::Service;
use crate::domain::{AppError, Login, Timestamp};
use crate::server::secrets;
use crate::server::store::AdminSession;

/// The one admin login's name.
pub const ADMIN_USERNAME: &str = "admin";

impl Service {
    /// Sets the admin password (ending every session), from
    /// `IGNIFLO_ADMIN_PASSWORD` or the `set-admin-password` command.
    pub async fn set_admin_password(&self, password: &str) -> Result<(), AppError> {
        if password.chars().count() < 12 {
            return Err(AppError::invalid(
                "password",
                "must be at least 12 characters",
            ));
        }
        let password = password.to_string();
        let hash = tokio::task::spawn_blocking(move || secrets::hash_password(&password))
            .await
            .map_err(|_| AppError::Internal)??;
        self.store
            .set_admin_password_hash(hash, Timestamp::now())
            .await
    }

    /// On a first start with no password configured, makes one up; the
    /// caller prints it once. None when a password already exists.
    pub async fn ensure_admin_password(&self) -> Result<Option<String>, AppError> {
        if self.store.admin_password().await?.is_some() {
            return Ok(None);
        }
        let password = secrets::generate_password()?;
        self.set_admin_password(&password).await?;
        Ok(Some(password))
    }

    /// Checks the admin's credentials and opens a session; returns its token.
    pub async fn sign_in(&self, login: &Login) -> Result<String, AppError> {
        let stored = self.store.admin_password().await?;
        let password = login.password.clone();
        let opened_with = match stored {
            Some(stored) if login.username == ADMIN_USERNAME && login.password.len() <= 1024 => {
                let hash = stored.hash;
                let valid =
                    tokio::task::spawn_blocking(move || secrets::verify_password(&password, &hash))
                        .await
                        .map_err(|_| AppError::Internal)?;
                valid.then_some(stored.set_at)
            }
            _ => None,
        };
        let Some(password_set_at) = opened_with else {
            return Err(AppError::Unauthorized);
        };
        let token = secrets::random_token(32)?;
        let session = AdminSession {
            password_set_at,
            expires_at: secrets::session_expiry_from(Timestamp::now()),
        };
        self.store
            .create_session(secrets::token_hash(&token), session)
            .await?;
        Ok(token)
    }

    pub async fn sign_out(&self, session_token: &str) -> Result<(), AppError> {
        self.store
            .end_session(&secrets::token_hash(session_token), Timestamp::now())
            .await
    }

    /// A session is valid until it expires, and only while the password it
    /// was opened with is the current one: a new password ends every
    /// session opened with an earlier one (whatever the clocks say).
    pub async fn admin_session_is_valid(&self, session_token: &str) -> Result<bool, AppError> {
        if session_token.len() > 128 {
            return Ok(false);
        }
        let hash = secrets::token_hash(session_token);
        let (session, password) =
            tokio::try_join!(self.store.admin_session(&hash), self.store.admin_password())?;
        Ok(match (session, password) {
            (Some(session), Some(password)) => {
                session.expires_at > Timestamp::now() && session.password_set_at == password.set_at
            }
            _ => false,
        })
    }
}
