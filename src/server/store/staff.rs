//! The staff side of the stores: members with their password and
//! set-password link (hashes only), their sessions, their API tokens.

use super::StoreResult;
use crate::domain::{ActivityEntry, ActivityKind, ApiToken, Id, Page, StaffMember, Timestamp};
use async_trait::async_trait;

/// A staff member as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffRecord {
    pub member: StaffMember,
    /// argon2id; none until they set one with their link.
    pub password_hash: Option<String>,
    /// When the password was set: a session opened with an earlier one has
    /// ended.
    pub password_set_at: Option<Timestamp>,
    /// SHA-256 of the one-time set-password link's token, while it is unused.
    pub link_hash: Option<String>,
    pub link_expires_at: Option<Timestamp>,
    /// The version a write is made over.
    pub updated_at: Timestamp,
}

/// How sign-in finds a member: their email, lower-cased.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A session as stored (its cookie value only as a hash, the key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: Id,
    pub staff: Id,
    pub password_set_at: Timestamp,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A change to one staff member, written only over the version the service
/// read (`read_at`).
#[derive(Clone, Debug)]
pub struct StaffWrite {
    pub record: StaffRecord,
    pub read_at: Timestamp,
    /// It takes an active owner away: written only while another active
    /// owner remains, checked in the same transaction as the write.
    pub keep_another_owner: bool,
    /// It deactivates the member: their sessions and tokens go with it.
    pub end_access: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaffWritten {
    Written,
    /// Someone changed the member since it was read: read and judge again.
    Stale,
    /// It would have left the shop without an active owner.
    NoOtherOwner,
}

#[async_trait]
pub trait StaffStore: Send + Sync + 'static {
    /// Every member, in the order they were added.
    async fn staff(&self) -> StoreResult<Vec<StaffMember>>;
    async fn staff_member(&self, id: Id) -> StoreResult<Option<StaffRecord>>;
    async fn staff_by_email(&self, email_key: &str) -> StoreResult<Option<StaffRecord>>;
    async fn staff_by_link(&self, link_hash: &str) -> StoreResult<Option<StaffRecord>>;
    /// Forgets every member with their sessions, tokens and activity: a
    /// data move replaces the target's staff with the source's.
    async fn remove_all_staff(&self) -> StoreResult<()>;
    /// `Duplicate { field: "email" }` when the email is taken.
    async fn add_staff(&self, record: StaffRecord) -> StoreResult<()>;
    async fn write_staff(&self, write: StaffWrite) -> StoreResult<StaffWritten>;

    /// Opens a session (by the SHA-256 of its cookie value) and records
    /// the sign-in on its member.
    async fn open_session(&self, token_hash: String, session: SessionRecord) -> StoreResult<()>;
    async fn session(&self, token_hash: &str) -> StoreResult<Option<SessionRecord>>;
    /// A member's sessions still open at `now`, newest first.
    async fn sessions_of(&self, staff: Id, now: Timestamp) -> StoreResult<Vec<SessionRecord>>;
    /// Ends one session, and forgets every session that has expired by `now`.
    async fn end_session(&self, token_hash: &str, now: Timestamp) -> StoreResult<()>;
    /// Ends one of a member's sessions by its id; false if they have none such.
    async fn end_session_of(&self, staff: Id, session: Id) -> StoreResult<bool>;

    /// Adds a token by the SHA-256 of its secret.
    async fn add_token(&self, token: ApiToken, hash: String) -> StoreResult<()>;
    async fn token_by_hash(&self, hash: &str) -> StoreResult<Option<ApiToken>>;
    /// A member's tokens, or with `None` everyone's, newest first.
    async fn tokens(&self, staff: Option<Id>) -> StoreResult<Vec<ApiToken>>;
    /// Revokes a token (only the member's, when `staff` is given); false if
    /// there is none such.
    async fn delete_token(&self, id: Id, staff: Option<Id>) -> StoreResult<bool>;
    async fn token_used(&self, id: Id, at: Timestamp) -> StoreResult<()>;

    /// The activity log, newest first: only that of `staff` (a member's id:
    /// their own changes and their tokens') and only of `kind`, when given.
    async fn activity(
        &self,
        staff: Option<String>,
        kind: Option<ActivityKind>,
        page: Page,
    ) -> StoreResult<Vec<ActivityEntry>>;
}
