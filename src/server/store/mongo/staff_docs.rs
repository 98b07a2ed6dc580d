//! The documents staff, their sessions and their tokens are kept as.

use super::docs::{date, id, oid, timestamp};
use crate::domain::{Role, StaffMember};
use crate::server::store::staff::{email_key, SessionRecord, StaffRecord};
use bson::oid::ObjectId;
use bson::DateTime;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StaffDoc {
    #[serde(rename = "_id")]
    pub(super) id: ObjectId,
    pub(super) name: String,
    pub(super) email: String,
    pub(super) email_key: String,
    pub(super) role: Role,
    pub(super) active: bool,
    pub(super) created_at: DateTime,
    pub(super) updated_at: DateTime,
    #[serde(default)]
    pub(super) last_sign_in_at: Option<DateTime>,
    #[serde(default)]
    pub(super) password_hash: Option<String>,
    #[serde(default)]
    pub(super) password_set_at: Option<DateTime>,
    /// Absent, not null, when unused: the unique index covers strings only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) link_hash: Option<String>,
    #[serde(default)]
    pub(super) link_expires_at: Option<DateTime>,
}

impl From<&StaffRecord> for StaffDoc {
    fn from(r: &StaffRecord) -> StaffDoc {
        let m = &r.member;
        StaffDoc {
            id: oid(m.id),
            name: m.name.clone(),
            email: m.email.clone(),
            email_key: email_key(&m.email),
            role: m.role,
            active: m.active,
            created_at: date(m.created_at),
            updated_at: date(r.updated_at),
            last_sign_in_at: m.last_sign_in_at.map(date),
            password_hash: r.password_hash.clone(),
            password_set_at: r.password_set_at.map(date),
            link_hash: r.link_hash.clone(),
            link_expires_at: r.link_expires_at.map(date),
        }
    }
}

impl From<StaffDoc> for StaffRecord {
    fn from(d: StaffDoc) -> StaffRecord {
        StaffRecord {
            member: StaffMember {
                id: id(d.id),
                name: d.name,
                email: d.email,
                role: d.role,
                active: d.active,
                created_at: timestamp(d.created_at),
                last_sign_in_at: d.last_sign_in_at.map(timestamp),
            },
            password_hash: d.password_hash,
            password_set_at: d.password_set_at.map(timestamp),
            link_hash: d.link_hash,
            link_expires_at: d.link_expires_at.map(timestamp),
            updated_at: timestamp(d.updated_at),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SessionDoc {
    /// SHA-256 of the cookie value.
    #[serde(rename = "_id")]
    pub(super) token_hash: String,
    pub(super) session_id: ObjectId,
    pub(super) staff: ObjectId,
    pub(super) password_set_at: DateTime,
    pub(super) created_at: DateTime,
    pub(super) expires_at: DateTime,
}

impl From<SessionDoc> for SessionRecord {
    fn from(d: SessionDoc) -> SessionRecord {
        SessionRecord {
            id: id(d.session_id),
            staff: id(d.staff),
            password_set_at: timestamp(d.password_set_at),
            created_at: timestamp(d.created_at),
            expires_at: timestamp(d.expires_at),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TokenDoc {
    #[serde(rename = "_id")]
    pub(super) id: ObjectId,
    pub(super) token_hash: String,
    pub(super) staff: ObjectId,
    pub(super) name: String,
    pub(super) role: Role,
    pub(super) created_at: DateTime,
    #[serde(default)]
    pub(super) last_used_at: Option<DateTime>,
}
