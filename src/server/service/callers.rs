//! Who is calling: a staff member recognised by their session cookie, an
//! `igf_` API token or `IGNIFLO_ADMIN_TOKEN`, with the role they act in and
//! the name their changes are recorded under; and whether a live
//! connection's credential still admits it.

use super::Service;
use crate::domain::{Actor, ActorKind, AppError, Id, Role, Timestamp, API_TOKEN_PREFIX};
use crate::server::secrets;
use crate::server::store::staff::StaffRecord;

/// A staff member's credential, as a request presented it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// A signed-in browser; the session's id.
    Session(Id),
    /// A personal API token; its id.
    Token(Id),
    /// `IGNIFLO_ADMIN_TOKEN`: an owner token of the first owner's.
    AdminToken,
}

/// A caller recognised as staff: what they may do and the name their
/// changes are recorded under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffCaller {
    pub role: Role,
    pub actor: Actor,
    /// The member the credential belongs to; none for `IGNIFLO_ADMIN_TOKEN`
    /// (the first owner's, looked up when needed).
    pub member: Option<Id>,
    pub credential: Credential,
}

impl StaffCaller {
    /// Credentials are managed by people, in a browser: a token cannot mint
    /// tokens (revoking a leaked one would not end its access), change a
    /// password or end sessions.
    pub(super) fn in_a_browser(&self) -> Result<(), AppError> {
        match self.credential {
            Credential::Session(_) => Ok(()),
            Credential::Token(_) | Credential::AdminToken => Err(AppError::Forbidden),
        }
    }

    pub fn admin_token() -> StaffCaller {
        StaffCaller {
            role: Role::Owner,
            actor: Actor {
                kind: ActorKind::Token,
                id: None,
                name: "Admin token".into(),
                staff: None,
            },
            member: None,
            credential: Credential::AdminToken,
        }
    }
}

/// A token's `lastUsedAt` is written at most this often.
const TOKEN_USE_GRANULARITY_MS: i64 = 60_000;

impl Service {
    /// The staff member a session cookie belongs to. A session is valid
    /// until it expires, while its member is active, and only while the
    /// password it was opened with is their current one.
    pub async fn session_caller(
        &self,
        session_token: &str,
    ) -> Result<Option<StaffCaller>, AppError> {
        if session_token.len() > 128 {
            return Ok(None);
        }
        let Some(session) = self
            .store
            .session(&secrets::token_hash(session_token))
            .await?
        else {
            return Ok(None);
        };
        if session.expires_at <= Timestamp::now() {
            return Ok(None);
        }
        let member = self.store.staff_member(session.staff).await?;
        Ok(member
            .filter(|m| m.member.active && m.password_set_at == Some(session.password_set_at))
            .map(|m| StaffCaller {
                role: m.member.role,
                actor: Actor::staff(&m.member),
                member: Some(m.member.id),
                credential: Credential::Session(session.id),
            }))
    }

    /// The staff member an `igf_` token belongs to, while it is not revoked,
    /// its member is active, and its role is still at most theirs.
    pub async fn token_caller(&self, secret: &str) -> Result<Option<StaffCaller>, AppError> {
        if !secret.starts_with(API_TOKEN_PREFIX) || secret.len() > 128 {
            return Ok(None);
        }
        let Some(token) = self
            .store
            .token_by_hash(&secrets::token_hash(secret))
            .await?
        else {
            return Ok(None);
        };
        let Some(member) = self.store.staff_member(token.staff).await? else {
            return Ok(None);
        };
        if !member.member.active || !token.role.at_most(member.member.role) {
            return Ok(None);
        }
        let now = Timestamp::now();
        let stale = token
            .last_used_at
            .is_none_or(|at| now.millis() - at.millis() >= TOKEN_USE_GRANULARITY_MS);
        if stale {
            let store = self.store.clone();
            tokio::spawn(async move { store.token_used(token.id, now).await });
        }
        Ok(Some(StaffCaller {
            role: token.role,
            actor: Actor {
                kind: ActorKind::Token,
                id: Some(token.id.to_string()),
                name: format!("{} ({})", token.name, member.member.name),
                staff: Some(member.member.id.to_string()),
            },
            member: Some(member.member.id),
            credential: Credential::Token(token.id),
        }))
    }

    /// The member a caller acts as (the first owner for `IGNIFLO_ADMIN_TOKEN`).
    pub(super) async fn member_of(&self, caller: &StaffCaller) -> Result<StaffRecord, AppError> {
        let found = match caller.member {
            Some(id) => self.store.staff_member(id).await?,
            None => self.first_owner().await?,
        };
        found.ok_or(AppError::Unauthorized)
    }

    /// Whether the caller's credential still admits them: a live connection
    /// asks again now and then, so revoking a token or deactivating a
    /// member closes it.
    pub async fn still_admitted(&self, caller: &StaffCaller) -> Result<bool, AppError> {
        if caller.credential == Credential::AdminToken {
            return Ok(true);
        }
        let Some(member) = self
            .member_of(caller)
            .await
            .ok()
            .filter(|m| m.member.active)
        else {
            return Ok(false);
        };
        Ok(match caller.credential {
            Credential::Session(session) => self
                .store
                .sessions_of(member.member.id, Timestamp::now())
                .await?
                .iter()
                .any(|s| s.id == session && Some(s.password_set_at) == member.password_set_at),
            Credential::Token(token) => self
                .store
                .tokens(Some(member.member.id))
                .await?
                .iter()
                .any(|t| t.id == token && t.role.at_most(member.member.role)),
            Credential::AdminToken => true,
        })
    }
}
