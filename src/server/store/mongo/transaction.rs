//! Multi-document transactions with the driver's retry protocol, bounded: a
//! `TransientTransactionError` (a write conflict with a concurrent order, an
//! election) runs the whole transaction again after a jittered pause; an
//! `UnknownTransactionCommitResult` retries the commit alone. A business
//! outcome (out of stock, a stale status) aborts and is returned as it is,
//! never retried.

use super::errors::db_error;
use crate::domain::AppError;
use crate::server::metrics::metrics;
use crate::server::store::{Applied, StoreResult};
use futures_util::future::BoxFuture;
use mongodb::error::{Error, TRANSIENT_TRANSACTION_ERROR, UNKNOWN_TRANSACTION_COMMIT_RESULT};
use mongodb::options::{Acknowledgment, WriteConcern};
use mongodb::{Client, ClientSession};
use std::time::{Duration, Instant};

/// How long one transaction may keep retrying before the caller is told the
/// store is unavailable. Time, not a count of attempts, is the bound: many
/// buyers of one product conflict often, and on a slow server each attempt
/// takes longer.
const TIME_BUDGET: Duration = Duration::from_secs(15);
/// The longest pause between attempts.
const MAX_BACKOFF_MS: u64 = 100;

/// Why one run of a transaction stopped short of its commit.
pub enum Abort {
    /// A business outcome: returned to the caller, not retried.
    Refused(AppError),
    /// A concurrent transaction committed what this one was about to write:
    /// run again, on a snapshot that sees it.
    Raced,
    Db(Error),
}

impl From<Error> for Abort {
    fn from(e: Error) -> Self {
        Abort::Db(e)
    }
}

impl From<AppError> for Abort {
    fn from(e: AppError) -> Self {
        Abort::Refused(e)
    }
}

/// Whether a transaction's result is to be committed: a change the store
/// found stale or short of stock is rolled back and returned as it is.
pub trait Commits {
    fn commits(&self) -> bool;
}

/// What a read-only transaction found: nothing to commit, nothing to undo.
pub struct Checked<T>(pub T);

impl<T> Commits for Checked<T> {
    fn commits(&self) -> bool {
        true
    }
}

impl Commits for Applied {
    fn commits(&self) -> bool {
        matches!(self, Applied::Done { .. })
    }
}

/// Runs `work` in a transaction until it commits, is refused, or the retry
/// budget is spent (then the store is `Unavailable`). `context` is lent to
/// each run, so the future `work` returns may borrow it.
pub async fn run<C, T, F>(client: &Client, context: &C, mut work: F) -> StoreResult<T>
where
    C: Sync,
    T: Send + Commits,
    F: for<'s> FnMut(&'s mut ClientSession, &'s C) -> BoxFuture<'s, Result<T, Abort>>,
{
    let mut session = client.start_session().await.map_err(db_error)?;
    let started = Instant::now();
    let mut attempt = 0;
    'attempts: loop {
        attempt += 1;
        let retry_allowed = started.elapsed() < TIME_BUDGET;
        session
            .start_transaction()
            .write_concern(WriteConcern::builder().w(Acknowledgment::Majority).build())
            .await
            .map_err(db_error)?;
        let value = match work(&mut session, context).await {
            Ok(value) if !value.commits() => {
                let _ = session.abort_transaction().await;
                return Ok(value);
            }
            Ok(value) => value,
            Err(abort) => {
                // The server may have aborted already; then this is a no-op.
                let _ = session.abort_transaction().await;
                match abort {
                    Abort::Refused(e) => return Err(e),
                    Abort::Raced if retry_allowed => {
                        metrics().mongodb_retry();
                        continue 'attempts;
                    }
                    Abort::Db(e) if transient(&e) && retry_allowed => {
                        metrics().mongodb_retry();
                        pause(attempt).await;
                        continue 'attempts;
                    }
                    Abort::Raced => return Err(exhausted(attempt)),
                    Abort::Db(e) => return Err(give_up(e, attempt)),
                }
            }
        };
        loop {
            let retry_allowed = started.elapsed() < TIME_BUDGET;
            match session.commit_transaction().await {
                Ok(()) => return Ok(value),
                Err(e) if e.contains_label(UNKNOWN_TRANSACTION_COMMIT_RESULT) && retry_allowed => {
                    metrics().mongodb_retry();
                    attempt += 1;
                }
                Err(e) if transient(&e) && retry_allowed => {
                    metrics().mongodb_retry();
                    pause(attempt).await;
                    continue 'attempts;
                }
                Err(e) => return Err(give_up(e, attempt)),
            }
        }
    }
}

fn transient(e: &Error) -> bool {
    e.contains_label(TRANSIENT_TRANSACTION_ERROR)
}

fn exhausted(attempts: u32) -> AppError {
    tracing::warn!(attempts, "transaction kept conflicting; giving up");
    AppError::Unavailable
}

fn give_up(e: Error, attempts: u32) -> AppError {
    if transient(&e) {
        exhausted(attempts)
    } else {
        db_error(e)
    }
}

/// A random pause that grows with the attempt, so conflicting transactions
/// stop colliding in lockstep.
async fn pause(attempt: u32) {
    let ceiling = (1u64 << attempt.min(7)).min(MAX_BACKOFF_MS);
    let mut random = [0u8; 8];
    let _ = getrandom::fill(&mut random);
    let ms = u64::from_le_bytes(random) % (ceiling + 1);
    tokio::time::sleep(Duration::from_millis(ms)).await;
}
