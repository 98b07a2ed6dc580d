//! Staff: signing in, sessions, set-password links, the owners' management
//! of staff, API tokens, and recognising a caller by their credential.

use super::Service;
use crate::domain::{
    validate, ActivityEntry, ActivityKind, Actor, ActorKind, ApiToken, AppError, ChangePassword,
    CreatedApiToken, Id, Login, NewApiToken, NewStaffMember, Page, Role, SetPassword, StaffMember,
    StaffPatch, StaffSession, StaffWithLink, Timestamp, API_TOKEN_PREFIX, FIRST_OWNER_LOGIN,
    PASSWORD_LINK_HOURS,
};
use crate::server::secrets;
use crate::server::store::staff::{
    email_key, SessionRecord, StaffRecord, StaffWrite, StaffWritten,
};

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
    fn in_a_browser(&self) -> Result<(), AppError> {
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

/// A token's `lastUsedAt` is written at most this often.
const TOKEN_USE_GRANULARITY_MS: i64 = 60_000;

impl Service {
    /// The first owner: who `{username: "admin"}` signs in as and whose
    /// password `IGNIFLO_ADMIN_PASSWORD` sets.
    async fn first_owner(&self) -> Result<Option<StaffRecord>, AppError> {
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

    /// Writes `record` over `read`, keeping an active owner when it takes
    /// one away and ending the member's access when it deactivates them.
    async fn write_staff(
        &self,
        read: StaffRecord,
        record: StaffRecord,
        keep_owner_check: bool,
    ) -> Result<StaffWritten, AppError> {
        let was_owner = read.member.active && read.member.role == Role::Owner;
        let still_owner = record.member.active && record.member.role == Role::Owner;
        self.store
            .write_staff(StaffWrite {
                keep_another_owner: keep_owner_check && was_owner && !still_owner,
                end_access: read.member.active && !record.member.active,
                read_at: read.updated_at,
                record,
            })
            .await
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

    async fn open_session(
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
    async fn member_of(&self, caller: &StaffCaller) -> Result<StaffRecord, AppError> {
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

    // ---- Owners manage staff ----

    pub async fn staff(&self) -> Result<Vec<StaffMember>, AppError> {
        self.store.staff().await
    }

    /// Adds a member without a password; the link lets them set one.
    pub async fn add_staff(&self, input: NewStaffMember) -> Result<StaffWithLink, AppError> {
        let name = validate::name("name", &input.name)?;
        let email = validate::email(&input.email)?;
        let now = Timestamp::now();
        let (token, link_hash, expires) = self.new_password_link(now)?;
        let member = StaffMember {
            id: Id::generate(),
            name,
            email,
            role: input.role,
            active: true,
            created_at: now,
            last_sign_in_at: None,
        };
        self.store
            .add_staff(StaffRecord {
                member: member.clone(),
                password_hash: None,
                password_set_at: None,
                link_hash: Some(link_hash),
                link_expires_at: Some(expires),
                updated_at: now,
            })
            .await?;
        Ok(self.with_link(member, &token, expires))
    }

    fn new_password_link(&self, now: Timestamp) -> Result<(String, String, Timestamp), AppError> {
        let token = secrets::random_token(32)?;
        let hash = secrets::token_hash(&token);
        let expires = Timestamp::from_millis(now.millis() + PASSWORD_LINK_HOURS * 3_600_000);
        Ok((token, hash, expires))
    }

    fn with_link(&self, member: StaffMember, token: &str, expires: Timestamp) -> StaffWithLink {
        let path = format!("/admin/set-password?token={token}");
        StaffWithLink {
            member,
            set_password_link: match &self.public_url {
                Some(base) => format!("{}{path}", base.trim_end_matches('/')),
                None => path,
            },
            link_expires_at: expires,
        }
    }

    async fn staff_record(&self, id: Id) -> Result<StaffRecord, AppError> {
        self.store
            .staff_member(id)
            .await?
            .ok_or_else(|| AppError::not_found("staff member", id))
    }

    /// Renames, changes the role of, deactivates or reactivates a member.
    /// The last active owner keeps being one (409).
    pub async fn change_staff(&self, id: Id, patch: StaffPatch) -> Result<StaffMember, AppError> {
        let name = patch
            .name
            .as_deref()
            .map(|n| validate::name("name", n))
            .transpose()?;
        for _ in 0..super::CHANGE_RETRIES {
            let read = self.staff_record(id).await?;
            let mut record = read.clone();
            if let Some(name) = &name {
                record.member.name = name.clone();
            }
            if let Some(role) = patch.role {
                record.member.role = role;
            }
            if let Some(active) = patch.active {
                record.member.active = active;
                if !active {
                    // An unused set-password link ends with the member.
                    record.link_hash = None;
                    record.link_expires_at = None;
                }
            }
            if record == read {
                return Ok(read.member);
            }
            record.updated_at =
                Timestamp::now().max(Timestamp::from_millis(read.updated_at.millis() + 1));
            match self.write_staff(read, record.clone(), true).await? {
                StaffWritten::Written => return Ok(record.member),
                StaffWritten::NoOtherOwner => return Err(AppError::LastOwner),
                StaffWritten::Stale => continue,
            }
        }
        Err(AppError::Unavailable)
    }

    /// A new set-password link for a member (one who forgot theirs, or
    /// whose link expired); an earlier unused link stops working.
    pub async fn new_staff_link(&self, id: Id) -> Result<StaffWithLink, AppError> {
        for _ in 0..super::CHANGE_RETRIES {
            let read = self.staff_record(id).await?;
            let now = Timestamp::now();
            let (token, hash, expires) = self.new_password_link(now)?;
            let mut record = read.clone();
            record.link_hash = Some(hash);
            record.link_expires_at = Some(expires);
            record.updated_at = now.max(Timestamp::from_millis(read.updated_at.millis() + 1));
            if self.write_staff(read, record.clone(), false).await? == StaffWritten::Written {
                return Ok(self.with_link(record.member, &token, expires));
            }
        }
        Err(AppError::Unavailable)
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

    // ---- API tokens ----

    /// Makes a token for the caller, of their role or a lower one.
    pub async fn create_token(
        &self,
        caller: &StaffCaller,
        input: NewApiToken,
    ) -> Result<CreatedApiToken, AppError> {
        caller.in_a_browser()?;
        let name = validate::name("name", &input.name)?;
        let role = input.role.unwrap_or(caller.role);
        if !role.at_most(caller.role) {
            return Err(AppError::invalid(
                "role",
                format!(
                    "may allow no more than your own role, {}",
                    caller.role.as_str()
                ),
            ));
        }
        let member = self.member_of(caller).await?;
        let secret = format!("{API_TOKEN_PREFIX}{}", secrets::random_token(20)?);
        let token = ApiToken {
            id: Id::generate(),
            name,
            role,
            staff: member.member.id,
            staff_name: member.member.name,
            created_at: Timestamp::now(),
            last_used_at: None,
        };
        self.store
            .add_token(token.clone(), secrets::token_hash(&secret))
            .await?;
        Ok(CreatedApiToken { token, secret })
    }

    /// The caller's tokens; an owner sees everyone's.
    pub async fn tokens(&self, caller: &StaffCaller) -> Result<Vec<ApiToken>, AppError> {
        if caller.role == Role::Owner {
            return self.store.tokens(None).await;
        }
        let member = self.member_of(caller).await?;
        self.store.tokens(Some(member.member.id)).await
    }

    /// Revokes one of the caller's tokens (an owner: anyone's).
    pub async fn revoke_token(&self, caller: &StaffCaller, id: Id) -> Result<(), AppError> {
        let whose = if caller.role == Role::Owner {
            None
        } else {
            Some(self.member_of(caller).await?.member.id)
        };
        if self.store.delete_token(id, whose).await? {
            Ok(())
        } else {
            Err(AppError::not_found("token", id))
        }
    }

    /// The activity log, newest first: of one staff member (by session or
    /// token alike) and of one kind, when given.
    pub async fn activity(
        &self,
        staff: Option<Id>,
        kind: Option<ActivityKind>,
        page: Page,
    ) -> Result<Vec<ActivityEntry>, AppError> {
        self.store
            .activity(staff.map(|s| s.to_string()), kind, page)
            .await
    }

    /// Adds a member from the command line (`igniflo add-staff`).
    pub async fn add_staff_from_cli(
        &self,
        email: &str,
        role: Role,
        name: Option<&str>,
    ) -> Result<StaffWithLink, AppError> {
        let name = name
            .map(str::to_string)
            .unwrap_or_else(|| email.split('@').next().unwrap_or(email).to_string());
        self.add_staff(NewStaffMember {
            name,
            email: email.to_string(),
            role,
        })
        .await
    }
}
