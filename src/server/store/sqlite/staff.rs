//! Staff, their sessions and their tokens in SQLite. Changes to staff go
//! through the one writer, so "another active owner remains" is checked
//! and written in the same transaction.

use super::rows::{db_error, duplicate_field, id_column, json_value, parsed};
use super::SqliteStore;
use crate::domain::{
    ActivityEntry, ActivityKind, ApiToken, AppError, Id, Page, StaffMember, Timestamp,
};
use crate::server::store::staff::{
    email_key, SessionRecord, StaffRecord, StaffStore, StaffWrite, StaffWritten,
};
use crate::server::store::StoreResult;
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, Row};

const STAFF_COLUMNS: &str = "id, name, email, role, active, created_at, last_sign_in_at, \
     password_hash, password_set_at, link_hash, link_expires_at, updated_at";
const SESSION_COLUMNS: &str = "id, staff_id, password_set_at, created_at, expires_at";
const TOKEN_COLUMNS: &str =
    "t.id, t.name, t.role, t.staff_id, s.name, t.created_at, t.last_used_at";

fn millis(row: &Row, i: usize) -> rusqlite::Result<Option<Timestamp>> {
    Ok(row.get::<_, Option<i64>>(i)?.map(Timestamp::from_millis))
}

fn member_row(r: &Row) -> rusqlite::Result<StaffMember> {
    Ok(StaffMember {
        id: id_column(r, 0)?,
        name: r.get(1)?,
        email: r.get(2)?,
        role: parsed(r, 3, "not a role")?,
        active: r.get(4)?,
        created_at: Timestamp::from_millis(r.get(5)?),
        last_sign_in_at: millis(r, 6)?,
    })
}

fn record_row(r: &Row) -> rusqlite::Result<StaffRecord> {
    Ok(StaffRecord {
        member: member_row(r)?,
        password_hash: r.get(7)?,
        password_set_at: millis(r, 8)?,
        link_hash: r.get(9)?,
        link_expires_at: millis(r, 10)?,
        updated_at: Timestamp::from_millis(r.get(11)?),
    })
}

fn session_row(r: &Row) -> rusqlite::Result<SessionRecord> {
    Ok(SessionRecord {
        id: id_column(r, 0)?,
        staff: id_column(r, 1)?,
        password_set_at: Timestamp::from_millis(r.get(2)?),
        created_at: Timestamp::from_millis(r.get(3)?),
        expires_at: Timestamp::from_millis(r.get(4)?),
    })
}

fn token_row(r: &Row) -> rusqlite::Result<ApiToken> {
    Ok(ApiToken {
        id: id_column(r, 0)?,
        name: r.get(1)?,
        role: parsed(r, 2, "not a role")?,
        staff: id_column(r, 3)?,
        staff_name: r.get(4)?,
        created_at: Timestamp::from_millis(r.get(5)?),
        last_used_at: millis(r, 6)?,
    })
}

fn record_where(c: &Connection, condition: &str, key: &str) -> StoreResult<Option<StaffRecord>> {
    c.prepare_cached(&format!(
        "SELECT {STAFF_COLUMNS} FROM staff WHERE {condition} = ?1"
    ))
    .and_then(|mut s| s.query_row([key], record_row).optional())
    .map_err(db_error)
}

fn written_values(record: &StaffRecord) -> [rusqlite::types::Value; 13] {
    let m = &record.member;
    let at = |t: Option<Timestamp>| t.map(Timestamp::millis).into();
    [
        m.id.to_string().into(),
        m.name.clone().into(),
        m.email.clone().into(),
        email_key(&m.email).into(),
        m.role.as_str().to_string().into(),
        i64::from(m.active).into(),
        m.created_at.millis().into(),
        at(m.last_sign_in_at),
        record.password_hash.clone().into(),
        at(record.password_set_at),
        record.link_hash.clone().into(),
        at(record.link_expires_at),
        record.updated_at.millis().into(),
    ]
}

const WRITTEN_COLUMNS: &str = "id, name, email, email_key, role, active, created_at, \
     last_sign_in_at, password_hash, password_set_at, link_hash, link_expires_at, updated_at";

fn duplicate_email(e: rusqlite::Error, email: &str) -> AppError {
    match duplicate_field(&e) {
        Some("staffEmail") => AppError::Duplicate {
            field: "email".into(),
            value: email.to_string(),
        },
        _ => db_error(e),
    }
}

#[async_trait]
impl StaffStore for SqliteStore {
    async fn staff(&self) -> StoreResult<Vec<StaffMember>> {
        self.read(|c| {
            let mut stmt = c
                .prepare_cached(&format!(
                    "SELECT {STAFF_COLUMNS} FROM staff ORDER BY created_at, id"
                ))
                .map_err(db_error)?;
            let rows = stmt.query_map([], member_row).map_err(db_error)?;
            rows.collect::<rusqlite::Result<_>>().map_err(db_error)
        })
        .await
    }

    async fn staff_member(&self, id: Id) -> StoreResult<Option<StaffRecord>> {
        self.read(move |c| record_where(c, "id", &id.to_string()))
            .await
    }

    async fn staff_by_email(&self, email_key: &str) -> StoreResult<Option<StaffRecord>> {
        let key = email_key.to_string();
        self.read(move |c| record_where(c, "email_key", &key)).await
    }

    async fn staff_by_link(&self, link_hash: &str) -> StoreResult<Option<StaffRecord>> {
        let key = link_hash.to_string();
        self.read(move |c| record_where(c, "link_hash", &key)).await
    }

    async fn remove_all_staff(&self) -> StoreResult<()> {
        self.writer
            .write(|c| {
                c.execute_batch(
                    "DELETE FROM activity; DELETE FROM api_tokens; \
                     DELETE FROM staff_sessions; DELETE FROM staff;",
                )
                .map_err(db_error)
            })
            .await
    }

    async fn add_staff(&self, record: StaffRecord) -> StoreResult<()> {
        self.writer
            .write(move |c| {
                c.prepare_cached(&format!(
                    "INSERT INTO staff ({WRITTEN_COLUMNS}) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
                ))
                .and_then(|mut s| s.execute(rusqlite::params_from_iter(written_values(&record))))
                .map(drop)
                .map_err(|e| duplicate_email(e, &record.member.email))
            })
            .await
    }

    async fn write_staff(&self, write: StaffWrite) -> StoreResult<StaffWritten> {
        self.writer
            .write(move |c| {
                let id = write.record.member.id.to_string();
                if write.keep_another_owner {
                    let others: bool = c
                        .query_row(
                            "SELECT EXISTS (SELECT 1 FROM staff WHERE role = 'OWNER' \
                             AND active = 1 AND password_hash IS NOT NULL AND id <> ?1)",
                            [&id],
                            |r| r.get(0),
                        )
                        .map_err(db_error)?;
                    if !others {
                        return Ok(StaffWritten::NoOtherOwner);
                    }
                }
                let mut values = written_values(&write.record).to_vec();
                values.push(write.read_at.millis().into());
                let changed = c
                    .prepare_cached(
                        // The last sign-in is the sessions' to write.
                        "UPDATE staff SET name = ?2, email = ?3, email_key = ?4, role = ?5, \
                         active = ?6, created_at = ?7, password_hash = ?9, \
                         password_set_at = ?10, link_hash = ?11, link_expires_at = ?12, \
                         updated_at = ?13 WHERE id = ?1 AND updated_at = ?14",
                    )
                    .and_then(|mut s| s.execute(rusqlite::params_from_iter(values)))
                    .map_err(|e| duplicate_email(e, &write.record.member.email))?;
                if changed == 0 {
                    return Ok(StaffWritten::Stale);
                }
                if write.end_access {
                    c.execute("DELETE FROM staff_sessions WHERE staff_id = ?1", [&id])
                        .and_then(|_| {
                            c.execute("DELETE FROM api_tokens WHERE staff_id = ?1", [&id])
                        })
                        .map_err(db_error)?;
                }
                Ok(StaffWritten::Written)
            })
            .await
    }

    async fn open_session(&self, token_hash: String, session: SessionRecord) -> StoreResult<()> {
        self.writer
            .write(move |c| {
                // Only for an active member, checked in the same write as a
                // deactivation's: none outlives it.
                let opened = c
                    .execute(
                        &format!(
                            "INSERT INTO staff_sessions (token_hash, {SESSION_COLUMNS}) \
                         SELECT ?1, ?2, ?3, ?4, ?5, ?6 \
                         WHERE EXISTS (SELECT 1 FROM staff WHERE id = ?3 AND active = 1)"
                        ),
                        params![
                            token_hash,
                            session.id.to_string(),
                            session.staff.to_string(),
                            session.password_set_at.millis(),
                            session.created_at.millis(),
                            session.expires_at.millis()
                        ],
                    )
                    .map_err(db_error)?;
                if opened == 0 {
                    return Err(AppError::Unauthorized);
                }
                c.execute(
                    "UPDATE staff SET last_sign_in_at = ?2 WHERE id = ?1",
                    params![session.staff.to_string(), session.created_at.millis()],
                )
                .map(drop)
                .map_err(db_error)
            })
            .await
    }

    async fn session(&self, token_hash: &str) -> StoreResult<Option<SessionRecord>> {
        let key = token_hash.to_string();
        self.read(move |c| {
            c.prepare_cached(&format!(
                "SELECT {SESSION_COLUMNS} FROM staff_sessions WHERE token_hash = ?1"
            ))
            .and_then(|mut s| s.query_row([key], session_row).optional())
            .map_err(db_error)
        })
        .await
    }

    async fn sessions_of(&self, staff: Id, now: Timestamp) -> StoreResult<Vec<SessionRecord>> {
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(&format!(
                    "SELECT {SESSION_COLUMNS} FROM staff_sessions \
                     WHERE staff_id = ?1 AND expires_at > ?2 ORDER BY created_at DESC"
                ))
                .map_err(db_error)?;
            let rows = stmt
                .query_map(params![staff.to_string(), now.millis()], session_row)
                .map_err(db_error)?;
            rows.collect::<rusqlite::Result<_>>().map_err(db_error)
        })
        .await
    }

    async fn end_session(&self, token_hash: &str, now: Timestamp) -> StoreResult<()> {
        let key = token_hash.to_string();
        self.writer
            .write(move |c| {
                c.execute(
                    "DELETE FROM staff_sessions WHERE token_hash = ?1 OR expires_at <= ?2",
                    params![key, now.millis()],
                )
                .map(drop)
                .map_err(db_error)
            })
            .await
    }

    async fn end_session_of(&self, staff: Id, session: Id) -> StoreResult<bool> {
        self.writer
            .write(move |c| {
                c.execute(
                    "DELETE FROM staff_sessions WHERE staff_id = ?1 AND id = ?2",
                    params![staff.to_string(), session.to_string()],
                )
                .map(|n| n > 0)
                .map_err(db_error)
            })
            .await
    }

    async fn add_token(&self, token: ApiToken, hash: String) -> StoreResult<()> {
        self.writer
            .write(move |c| {
                let added = c.execute(
                    "INSERT INTO api_tokens (id, token_hash, staff_id, name, role, created_at) \
                     SELECT ?1, ?2, ?3, ?4, ?5, ?6 \
                     WHERE EXISTS (SELECT 1 FROM staff WHERE id = ?3 AND active = 1)",
                    params![
                        token.id.to_string(),
                        hash,
                        token.staff.to_string(),
                        token.name,
                        token.role.as_str(),
                        token.created_at.millis()
                    ],
                )
                .map_err(db_error)?;
                if added == 0 {
                    return Err(AppError::Unauthorized);
                }
                Ok(())
            })
            .await
    }

    async fn token_by_hash(&self, hash: &str) -> StoreResult<Option<ApiToken>> {
        let key = hash.to_string();
        self.read(move |c| {
            c.prepare_cached(&format!(
                "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN staff s ON s.id = t.staff_id \
                 WHERE t.token_hash = ?1"
            ))
            .and_then(|mut s| s.query_row([key], token_row).optional())
            .map_err(db_error)
        })
        .await
    }

    async fn tokens(&self, staff: Option<Id>) -> StoreResult<Vec<ApiToken>> {
        let staff = staff.map(|s| s.to_string());
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(&format!(
                    "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN staff s ON s.id = t.staff_id \
                     WHERE ?1 IS NULL OR t.staff_id = ?1 ORDER BY t.created_at DESC, t.id DESC"
                ))
                .map_err(db_error)?;
            let rows = stmt.query_map([staff], token_row).map_err(db_error)?;
            rows.collect::<rusqlite::Result<_>>().map_err(db_error)
        })
        .await
    }

    async fn delete_token(&self, id: Id, staff: Option<Id>) -> StoreResult<bool> {
        let staff = staff.map(|s| s.to_string());
        self.writer
            .write(move |c| {
                c.execute(
                    "DELETE FROM api_tokens WHERE id = ?1 AND (?2 IS NULL OR staff_id = ?2)",
                    params![id.to_string(), staff],
                )
                .map(|n| n > 0)
                .map_err(db_error)
            })
            .await
    }

    async fn activity(
        &self,
        staff: Option<String>,
        kind: Option<ActivityKind>,
        page: Page,
    ) -> StoreResult<Vec<ActivityEntry>> {
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT body FROM activity \
                     WHERE (?1 IS NULL OR actor_id = ?1) AND (?2 IS NULL OR kind = ?2) \
                     AND (?3 IS NULL OR id < ?3) ORDER BY id DESC LIMIT ?4",
                )
                .map_err(db_error)?;
            let rows = stmt
                .query_map(
                    params![
                        staff,
                        kind.map(ActivityKind::as_str),
                        page.before.map(|b| b.to_string()),
                        page.limit
                    ],
                    |r| json_value(r, 0),
                )
                .map_err(db_error)?;
            rows.collect::<rusqlite::Result<_>>().map_err(db_error)
        })
        .await
    }

    async fn token_used(&self, id: Id, at: Timestamp) -> StoreResult<()> {
        self.writer
            .write(move |c| {
                c.execute(
                    "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1",
                    params![id.to_string(), at.millis()],
                )
                .map(drop)
                .map_err(db_error)
            })
            .await
    }
}
