//! Signing in and passwords: the first owner (`admin`) and
//! `IGNIFLO_ADMIN_PASSWORD`, sessions, set-password links, one's own
//! password and sessions. Passwords are argon2id, checked off the async
//! threads.

use super::callers::{Credential, StaffCaller};
use super::Service;
use crate::domain::{
    AppError, ChangePassword, Id, Login, Role, SetPassword, StaffMember, StaffSession, Timestamp,
    FIRST_OWNER_LOGIN,
};
use crate::server::secrets;
use crate::server::store::staff::{email_key, SessionRecord, StaffRecord, StaffWritten};

/// Passwords: at least 12 characters, at most 1024 (argon2 of a megabyte
/// is a denial of service).
fn check_password(field: &str, password: &str) -> Result<(), AppError> {
    match password.chars().count() {
        n if n < 12 => Err(AppError::invalid(field, "must be at least 12 characters")),
        n if n > 1024 => Err(AppError::invalid(field, "must be at most 1024 characters")),
        _ => Ok(()),
    }
}

async fn hash_password(password: &str) -> Result<String, AppError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || secrets::hash_password(&password))
        .await
        .map_err(|_| AppError::Internal)?
}

/// Checks a password against a member's hash. Without a member or a
/// password it checks a stand-in hash and says no, so a wrong email or a
/// member still to set their password costs what a wrong password does:
/// timing tells no one who is staff.
async fn verify_password(password: &str, hash: Option<&str>) -> Result<bool, AppError> {
    static STAND_IN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let (password, hash) = (password.to_string(), hash.map(str::to_string));
    tokio::task::spawn_blocking(move || match hash {
        Some(hash) => secrets::verify_password(&password, &hash),
        None => {
            let stand_in = STAND_IN.get_or_init(|| {
                secrets::hash_password("no one signs in with this").unwrap_or_default()
            });
            secrets::verify_password(&password, stand_in);
            false
        }
    })
    .await
    .map_err(|_| AppError::Internal)
}

impl Service {
    /// The first owner: who `{username: "admin"}` signs in as and whose
    /// password `IGNIFLO_ADMIN_PASSWORD` sets.
    pub(super) async fn first_owner(&self) -> Result<Option<StaffRecord>, AppError> {
        self.store.staff_by_email(FIRST_OWNER_LOGIN).await
    }

    /// Sets the first owner's password (ending their sessions), making
    /// them on a first start; from `IGNIFLO_ADMIN_PASSWORD` or the
    /// `set-admin-password` command.
    pub async fn set_admin_password(&self, password: &str) -> Result<(), AppError> {
        check_password("password", password)?;
        let hash = hash_password(password).await?;
        for _ in 0..super::CHANGE_RETRIES {
            let now = Timestamp::now();
            let Some(owner) = self.first_owner().await? else {
                let member = StaffMember {
                    id: Id::generate(),
                    name: FIRST_OWNER_LOGIN.into(),
                    email: FIRST_OWNER_LOGIN.into(),
                    role: Role::Owner,
                    active: true,
                    created_at: now,
                    last_sign_in_at: None,
                };
                match self
                    .store
                    .add_staff(StaffRecord {
                        member,
                        password_hash: Some(hash.clone()),
                        password_set_at: Some(now),
                        link_hash: None,
                        link_expires_at: None,
                        updated_at: now,
                    })
                    .await
                {
                    Err(AppError::Duplicate { .. }) => continue,
                    done => return done,
                }
            };
            let mut record = owner.clone();
            let now = now.max(Timestamp::from_millis(owner.updated_at.millis() + 1));
            record.password_hash = Some(hash.clone());
            record.password_set_at = Some(now);
            record.updated_at = now;
            if self.write_staff(owner, record, false).await? == StaffWritten::Written {
                return Ok(());
            }
        }
        Err(AppError::Unavailable)
    }

    /// On a first start with no password configured, makes one up; the
    /// caller prints it once. None when the first owner has one.
    pub async fn ensure_admin_password(&self) -> Result<Option<String>, AppError> {
        if self
            .first_owner()
            .await?
            .is_some_and(|o| o.password_hash.is_some())
        {
            return Ok(None);
        }
        let password = secrets::generate_password()?;
        self.set_admin_password(&password).await?;
        Ok(Some(password))
    }

    /// Checks a member's credentials and opens a session; returns its token.
    pub async fn sign_in(&self, login: &Login) -> Result<String, AppError> {
        if login.password.len() > 1024 || login.email.len() > 320 {
            return Err(AppError::Unauthorized);
        }
        let member = self.store.staff_by_email(&email_key(&login.email)).await?;
        let hash = member.as_ref().and_then(|m| m.password_hash.as_deref());
        let valid = verify_password(&login.password, hash).await?;
        let Some(member) = member.filter(|m| valid && m.member.active) else {
            return Err(AppError::Unauthorized);
        };
        let Some(password_set_at) = member.password_set_at else {
            return Err(AppError::Unauthorized);
        };
        self.open_session(member.member.id, password_set_at).await
    }

    pub(super) async fn open_session(
        &self,
        staff: Id,
        password_set_at: Timestamp,
    ) -> Result<String, AppError> {
        let token = secrets::random_token(32)?;
        let now = Timestamp::now();
        let session = SessionRecord {
            id: Id::generate(),
            staff,
            password_set_at,
            created_at: now,
            expires_at: secrets::session_expiry_from(now),
        };
        self.store
            .open_session(secrets::token_hash(&token), session)
            .await?;
        Ok(token)
    }

    pub async fn sign_out(&self, session_token: &str) -> Result<(), AppError> {
        self.store
            .end_session(&secrets::token_hash(session_token), Timestamp::now())
            .await
    }

    /// Sets a password with a set-password link: once, within 24 hours.
    /// Returns a session token: the member is signed in.
    pub async fn set_password_with_link(&self, input: SetPassword) -> Result<String, AppError> {
        let gone = || {
            AppError::invalid("token", "this link is not valid: it was used, replaced or mistyped; ask an owner for a new one")
        };
        if input.token.len() > 128 {
            return Err(gone());
        }
        check_password("password", &input.password)?;
        let link_hash = secrets::token_hash(&input.token);
        let usable = |found: Option<StaffRecord>| {
            let read = found.ok_or_else(gone)?;
            if read.link_expires_at.is_none_or(|at| at <= Timestamp::now()) || !read.member.active {
                return Err(AppError::invalid(
                    "token",
                    "this link has expired; ask an owner for a new one",
                ));
            }
            Ok(read)
        };
        // The link first: no one makes the server hash for an unknown link.
        usable(self.store.staff_by_link(&link_hash).await?)?;
        let hash = hash_password(&input.password).await?;
        for _ in 0..super::CHANGE_RETRIES {
            let read = usable(self.store.staff_by_link(&link_hash).await?)?;
            let now = Timestamp::now();
            let mut record = read.clone();
            record.password_hash = Some(hash.clone());
            record.password_set_at = Some(now);
            record.link_hash = None;
            record.link_expires_at = None;
            record.updated_at = now.max(Timestamp::from_millis(read.updated_at.millis() + 1));
            if self.write_staff(read, record.clone(), false).await? == StaffWritten::Written {
                return self.open_session(record.member.id, now).await;
            }
        }
        Err(AppError::Unavailable)
    }

    /// Changes the caller's own password (the current one required); every
    /// other session of theirs ends. Returns the new session's token.
    pub async fn change_own_password(
        &self,
        caller: &StaffCaller,
        input: ChangePassword,
    ) -> Result<String, AppError> {
        caller.in_a_browser()?;
        check_password("newPassword", &input.new_password)?;
        let read = self.member_of(caller).await?;
        if !verify_password(&input.current_password, read.password_hash.as_deref()).await? {
            return Err(AppError::invalid(
                "currentPassword",
                "is not your current password",
            ));
        }
        let hash = hash_password(&input.new_password).await?;
        let now = Timestamp::now().max(Timestamp::from_millis(read.updated_at.millis() + 1));
        let mut record = read.clone();
        record.password_hash = Some(hash);
        record.password_set_at = Some(now);
        record.updated_at = now;
        match self.write_staff(read, record.clone(), false).await? {
            StaffWritten::Written => self.open_session(record.member.id, now).await,
            _ => Err(AppError::Busy {
                message: "Your account changed meanwhile; try again".into(),
            }),
        }
    }

    /// The caller's open sessions, newest first.
    pub async fn own_sessions(&self, caller: &StaffCaller) -> Result<Vec<StaffSession>, AppError> {
        caller.in_a_browser()?;
        let member = self.member_of(caller).await?;
        let current = match caller.credential {
            Credential::Session(id) => Some(id),
            _ => None,
        };
        Ok(self
            .store
            .sessions_of(member.member.id, Timestamp::now())
            .await?
            .into_iter()
            .filter(|s| Some(s.password_set_at) == member.password_set_at)
            .map(|s| StaffSession {
                id: s.id,
                created_at: s.created_at,
                expires_at: s.expires_at,
                current: Some(s.id) == current,
            })
            .collect())
    }

    pub async fn end_own_session(&self, caller: &StaffCaller, session: Id) -> Result<(), AppError> {
        caller.in_a_browser()?;
        let member = self.member_of(caller).await?;
        if self.store.end_session_of(member.member.id, session).await? {
            Ok(())
        } else {
            Err(AppError::not_found("session", session))
        }
    }
}
