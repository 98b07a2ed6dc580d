//! Owners manage staff: members, their roles and set-password links; API
//! tokens; the activity log.

use super::callers::StaffCaller;
use super::Service;
use crate::domain::{
    validate, ActivityEntry, ActivityKind, ApiToken, AppError, CreatedApiToken, Id, NewApiToken,
    NewStaffMember, Page, Role, StaffMember, StaffPatch, StaffWithLink, Timestamp,
    API_TOKEN_PREFIX, PASSWORD_LINK_HOURS,
};
use crate::server::secrets;
use crate::server::store::staff::{StaffRecord, StaffWrite, StaffWritten};

impl Service {
    /// Writes `record` over `read`, keeping an active owner when it takes
    /// one away and ending the member's access when it deactivates them.
    pub(super) async fn write_staff(
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
