//! Staff, their sessions and their tokens in MongoDB. A change to a member
//! runs in a transaction that also bumps one guard document, so two owners
//! demoting each other at once cannot both pass "another active owner
//! remains": the second transaction conflicts, runs again and sees the first.

use super::docs::{date, id, oid, timestamp};
use super::errors::{db_error, duplicate_field};
use super::queries::collect;
use super::staff_docs::{SessionDoc, StaffDoc, TokenDoc};
use super::transaction::{self, Abort, Checked};
use super::MongoStore;
use crate::domain::{
    ActivityEntry, ActivityKind, ApiToken, AppError, Id, Page, StaffMember, Timestamp,
};
use crate::server::store::staff::{
    SessionRecord, StaffRecord, StaffStore, StaffWrite, StaffWritten,
};
use crate::server::store::StoreResult;
use async_trait::async_trait;
use bson::oid::ObjectId;
use bson::{doc, DateTime, Document};
use mongodb::{ClientSession, Collection};

pub(super) const STAFF: &str = "staff";
pub(super) const STAFF_SESSIONS: &str = "staff_sessions";
pub(super) const API_TOKENS: &str = "api_tokens";
pub(super) const ACTIVITY: &str = "activity";
/// One document every staff change updates, so concurrent ones conflict.
const STAFF_GUARD: &str = "staff_guard";

impl MongoStore {
    pub(super) fn staff_docs(&self) -> Collection<StaffDoc> {
        self.db.collection(STAFF)
    }

    fn session_docs(&self) -> Collection<SessionDoc> {
        self.db.collection(STAFF_SESSIONS)
    }

    fn token_docs(&self) -> Collection<TokenDoc> {
        self.db.collection(API_TOKENS)
    }

    /// Entries as the API shows them; `_id` is the id's hex, which sorts
    /// as the id does.
    pub(super) fn activity_log(&self) -> Collection<ActivityEntry> {
        self.db.collection(ACTIVITY)
    }

    async fn record_where(&self, filter: Document) -> StoreResult<Option<StaffRecord>> {
        self.ready().await?;
        let found = self.staff_docs().find_one(filter).await.map_err(db_error)?;
        Ok(found.map(StaffRecord::from))
    }

    /// Tokens with their member's name, newest first.
    async fn tokens_where(&self, filter: Document) -> StoreResult<Vec<ApiToken>> {
        self.ready().await?;
        let found = self
            .token_docs()
            .find(filter)
            .sort(doc! { "createdAt": -1, "_id": -1 })
            .await;
        let docs: Vec<TokenDoc> = collect(found).await?;
        let members: Vec<StaffDoc> = collect(
            self.staff_docs()
                .find(doc! { "_id": { "$in": docs.iter().map(|t| t.staff).collect::<Vec<_>>() } })
                .await,
        )
        .await?;
        let names: std::collections::HashMap<ObjectId, String> =
            members.into_iter().map(|s| (s.id, s.name)).collect();
        Ok(docs
            .into_iter()
            .filter_map(|t| {
                Some(ApiToken {
                    id: id(t.id),
                    name: t.name,
                    role: t.role,
                    staff: id(t.staff),
                    staff_name: names.get(&t.staff)?.clone(),
                    created_at: timestamp(t.created_at),
                    last_used_at: t.last_used_at.map(timestamp),
                })
            })
            .collect())
    }

    /// Writes the one document every staff change writes, so that two
    /// running at once conflict and one runs again, seeing the other.
    async fn touch_staff_guard(&self, s: &mut ClientSession) -> mongodb::error::Result<()> {
        self.db
            .collection::<Document>(STAFF_GUARD)
            .update_one(
                doc! { "_id": "staff" },
                doc! { "$inc": { "changes": 1_i64 } },
            )
            .upsert(true)
            .session(s)
            .await
            .map(drop)
    }

    /// Inserts a member's session or token only while they are active, in a
    /// transaction that touches the guard document as staff changes do: a
    /// deactivation running at once conflicts with it, so no session or
    /// token outlives one.
    async fn insert_for_active_member(
        &self,
        member: ObjectId,
        collection: &'static str,
        row: Document,
        signed_in_at: Option<DateTime>,
    ) -> StoreResult<()> {
        self.ready().await?;
        let context = (self, member, collection, row, signed_in_at);
        let Checked(()) = transaction::run(
            &self.client,
            &context,
            |s, (store, member, into, row, at)| {
                Box::pin(async move {
                    store.touch_staff_guard(s).await?;
                    let active = store
                        .staff_docs()
                        .count_documents(doc! { "_id": *member, "active": true })
                        .session(&mut *s)
                        .await?;
                    if active == 0 {
                        return Err(Abort::Refused(AppError::Unauthorized));
                    }
                    store
                        .db
                        .collection::<Document>(into)
                        .insert_one(row.clone())
                        .session(&mut *s)
                        .await?;
                    if let Some(at) = at {
                        store
                            .staff_docs()
                            .update_one(
                                doc! { "_id": *member },
                                doc! { "$set": { "lastSignInAt": *at } },
                            )
                            .session(&mut *s)
                            .await?;
                    }
                    Ok::<_, Abort>(Checked(()))
                })
            },
        )
        .await?;
        Ok(())
    }
}

fn duplicate_email(e: mongodb::error::Error, email: &str) -> AppError {
    match duplicate_field(&e) {
        Some(_) => AppError::Duplicate {
            field: "email".into(),
            value: email.to_string(),
        },
        None => db_error(e),
    }
}

#[async_trait]
impl StaffStore for MongoStore {
    async fn staff(&self) -> StoreResult<Vec<StaffMember>> {
        self.ready().await?;
        let found = self
            .staff_docs()
            .find(doc! {})
            .sort(doc! { "createdAt": 1, "_id": 1 })
            .await;
        let docs: Vec<StaffDoc> = collect(found).await?;
        Ok(docs
            .into_iter()
            .map(|d| StaffRecord::from(d).member)
            .collect())
    }

    async fn staff_member(&self, id: Id) -> StoreResult<Option<StaffRecord>> {
        self.record_where(doc! { "_id": oid(id) }).await
    }

    async fn staff_by_email(&self, email_key: &str) -> StoreResult<Option<StaffRecord>> {
        self.record_where(doc! { "emailKey": email_key }).await
    }

    async fn staff_by_link(&self, link_hash: &str) -> StoreResult<Option<StaffRecord>> {
        self.record_where(doc! { "linkHash": link_hash }).await
    }

    async fn remove_all_staff(&self) -> StoreResult<()> {
        self.ready().await?;
        for collection in [ACTIVITY, API_TOKENS, STAFF_SESSIONS, STAFF] {
            self.db
                .collection::<Document>(collection)
                .delete_many(doc! {})
                .await
                .map_err(db_error)?;
        }
        Ok(())
    }

    async fn add_staff(&self, record: StaffRecord) -> StoreResult<()> {
        self.ready().await?;
        self.staff_docs()
            .insert_one(StaffDoc::from(&record))
            .await
            .map(drop)
            .map_err(|e| duplicate_email(e, &record.member.email))
    }

    async fn write_staff(&self, write: StaffWrite) -> StoreResult<StaffWritten> {
        self.ready().await?;
        let Checked(written) = transaction::run(&self.client, &(self, write), |s, (store, w)| {
            Box::pin(async move {
                let member = oid(w.record.member.id);
                store.touch_staff_guard(s).await?;
                if w.keep_another_owner {
                    let others = store
                        .staff_docs()
                        .count_documents(doc! {
                            "role": "OWNER",
                            "active": true,
                            "passwordHash": { "$type": "string" },
                            "_id": { "$ne": member },
                        })
                        .session(&mut *s)
                        .await?;
                    if others == 0 {
                        return Ok(Checked(StaffWritten::NoOtherOwner));
                    }
                }
                // Every field but the last sign-in, which is the sessions' to
                // write; an unused link is removed, not set to null.
                let mut fields = bson::to_document(&StaffDoc::from(&w.record))
                    .map_err(|_| AppError::Internal)?;
                fields.remove("_id");
                fields.remove("lastSignInAt");
                let mut change = doc! { "$set": fields };
                if w.record.link_hash.is_none() {
                    change.insert("$unset", doc! { "linkHash": "" });
                }
                let replaced = store
                    .staff_docs()
                    .update_one(doc! { "_id": member, "updatedAt": date(w.read_at) }, change)
                    .session(&mut *s)
                    .await
                    .map_err(|e| match duplicate_field(&e) {
                        Some(_) => Abort::Refused(duplicate_email(e, &w.record.member.email)),
                        None => Abort::Db(e),
                    })?;
                if replaced.matched_count == 0 {
                    return Ok(Checked(StaffWritten::Stale));
                }
                if w.end_access {
                    store
                        .session_docs()
                        .delete_many(doc! { "staff": member })
                        .session(&mut *s)
                        .await?;
                    store
                        .token_docs()
                        .delete_many(doc! { "staff": member })
                        .session(&mut *s)
                        .await?;
                }
                Ok::<_, Abort>(Checked(StaffWritten::Written))
            })
        })
        .await?;
        Ok(written)
    }

    async fn open_session(&self, token_hash: String, session: SessionRecord) -> StoreResult<()> {
        self.ready().await?;
        let doc = SessionDoc {
            token_hash,
            session_id: oid(session.id),
            staff: oid(session.staff),
            password_set_at: date(session.password_set_at),
            created_at: date(session.created_at),
            expires_at: date(session.expires_at),
        };
        let doc = bson::to_document(&doc).map_err(|_| AppError::Internal)?;
        self.insert_for_active_member(
            oid(session.staff),
            STAFF_SESSIONS,
            doc,
            Some(date(session.created_at)),
        )
        .await
    }

    async fn session(&self, token_hash: &str) -> StoreResult<Option<SessionRecord>> {
        self.ready().await?;
        let found = self
            .session_docs()
            .find_one(doc! { "_id": token_hash })
            .await
            .map_err(db_error)?;
        Ok(found.map(SessionRecord::from))
    }

    async fn sessions_of(&self, staff: Id, now: Timestamp) -> StoreResult<Vec<SessionRecord>> {
        self.ready().await?;
        let found = self
            .session_docs()
            .find(doc! { "staff": oid(staff), "expiresAt": { "$gt": date(now) } })
            .sort(doc! { "createdAt": -1 })
            .await;
        let docs: Vec<SessionDoc> = collect(found).await?;
        Ok(docs.into_iter().map(SessionRecord::from).collect())
    }

    async fn end_session(&self, token_hash: &str, now: Timestamp) -> StoreResult<()> {
        self.ready().await?;
        self.session_docs()
            .delete_many(doc! { "$or": [
                { "_id": token_hash },
                { "expiresAt": { "$lte": date(now) } },
            ] })
            .await
            .map(drop)
            .map_err(db_error)
    }

    async fn end_session_of(&self, staff: Id, session: Id) -> StoreResult<bool> {
        self.ready().await?;
        let removed = self
            .session_docs()
            .delete_one(doc! { "staff": oid(staff), "sessionId": oid(session) })
            .await
            .map_err(db_error)?;
        Ok(removed.deleted_count > 0)
    }

    async fn add_token(&self, token: ApiToken, hash: String) -> StoreResult<()> {
        self.ready().await?;
        let doc = TokenDoc {
            id: oid(token.id),
            token_hash: hash,
            staff: oid(token.staff),
            name: token.name,
            role: token.role,
            created_at: date(token.created_at),
            last_used_at: None,
        };
        let doc = bson::to_document(&doc).map_err(|_| AppError::Internal)?;
        self.insert_for_active_member(oid(token.staff), API_TOKENS, doc, None)
            .await
    }

    async fn token_by_hash(&self, hash: &str) -> StoreResult<Option<ApiToken>> {
        Ok(self
            .tokens_where(doc! { "tokenHash": hash })
            .await?
            .into_iter()
            .next())
    }

    async fn tokens(&self, staff: Option<Id>) -> StoreResult<Vec<ApiToken>> {
        self.tokens_where(match staff {
            Some(staff) => doc! { "staff": oid(staff) },
            None => doc! {},
        })
        .await
    }

    async fn delete_token(&self, token: Id, staff: Option<Id>) -> StoreResult<bool> {
        self.ready().await?;
        let mut filter = doc! { "_id": oid(token) };
        if let Some(staff) = staff {
            filter.insert("staff", oid(staff));
        }
        let removed = self
            .token_docs()
            .delete_one(filter)
            .await
            .map_err(db_error)?;
        Ok(removed.deleted_count > 0)
    }

    async fn activity(
        &self,
        staff: Option<String>,
        kind: Option<ActivityKind>,
        page: Page,
    ) -> StoreResult<Vec<ActivityEntry>> {
        self.ready().await?;
        let mut filter = Document::new();
        if let Some(staff) = staff {
            filter.insert(
                "$or",
                vec![
                    doc! { "actor.kind": "staff", "actor.id": &staff },
                    doc! { "actor.staff": &staff },
                ],
            );
        }
        if let Some(kind) = kind {
            filter.insert("kind", kind.as_str());
        }
        if let Some(before) = page.before {
            filter.insert("_id", doc! { "$lt": before.to_string() });
        }
        let found = self
            .activity_log()
            .find(filter)
            .sort(doc! { "_id": -1 })
            .limit(i64::from(page.limit))
            .await;
        collect(found).await
    }

    async fn token_used(&self, token: Id, at: Timestamp) -> StoreResult<()> {
        self.ready().await?;
        self.token_docs()
            .update_one(
                doc! { "_id": oid(token) },
                doc! { "$set": { "lastUsedAt": date(at) } },
            )
            .await
            .map(drop)
            .map_err(db_error)
    }
}
