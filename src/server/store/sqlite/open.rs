//! Opening the file: its settings, its schema (migrations embedded in the
//! binary, applied in order at start), the writer, and the pool of
//! read-only connections that reads borrow.

use super::rows::db_error;
use super::writer::Writer;
use super::SqliteStore;
use crate::domain::AppError;
use crate::server::store::StoreResult;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::PoisonError;
use std::sync::{Arc, Mutex};

const MIGRATIONS: &[&str] = &[
    include_str!("../../../../migrations/0001_init.sql"),
    include_str!("../../../../migrations/0002_access.sql"),
    include_str!("../../../../migrations/0003_stock_ledger.sql"),
    include_str!("../../../../migrations/0004_fulfillment.sql"),
    include_str!("../../../../migrations/0005_outbox.sql"),
    include_str!("../../../../migrations/0006_webhooks.sql"),
    include_str!("../../../../migrations/0007_mail.sql"),
    include_str!("../../../../migrations/0008_staff.sql"),
];

/// The schema version a database has once every migration is applied.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // Room for every statement the writer runs for each kind of job.
    conn.set_prepared_statement_cache_capacity(64);
    // FULL: a commit is on disk before the order is acknowledged.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA wal_autocheckpoint = 0;
         PRAGMA journal_size_limit = 67108864;
         PRAGMA cache_size = -16000;",
    )
}

/// SQLite's write-ahead log sits next to the database as `<file>-wal`.
fn wal_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

fn upgrade_schema(conn: &mut Connection) -> rusqlite::Result<()> {
    let version: usize = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i + 1)?;
        tx.commit()?;
        tracing::info!(migration = i + 1, "applied database migration");
    }
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies migrations.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, String> {
        let path = path.as_ref().to_path_buf();
        let open = || -> rusqlite::Result<(Connection, Connection)> {
            let mut conn = Connection::open(&path)?;
            configure(&conn)?;
            upgrade_schema(&mut conn)?;
            let checkpoint_conn = Connection::open(&path)?;
            configure(&checkpoint_conn)?;
            Ok((conn, checkpoint_conn))
        };
        let (conn, checkpoint_conn) =
            open().map_err(|e| format!("cannot open SQLite database {}: {e}", path.display()))?;
        Ok(SqliteStore {
            writer: Writer::start(conn, checkpoint_conn, wal_path(&path)),
            path,
            readers: Arc::new(Mutex::new(Vec::new())),
        })
    }

    pub(super) async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let readers = self.readers.clone();
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = readers.lock().unwrap_or_else(PoisonError::into_inner).pop();
            let conn = match pooled {
                Some(c) => c,
                None => {
                    let c = Connection::open_with_flags(
                        &path,
                        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                    )
                    .map_err(db_error)?;
                    c.busy_timeout(std::time::Duration::from_secs(5))
                        .map_err(db_error)?;
                    c
                }
            };
            let result = work(&conn);
            readers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(conn);
            result
        })
        .await
        .map_err(|_| AppError::Internal)?
    }
}

#[cfg(test)]
mod tests {
    /// `.cargo/config.toml` builds SQLite so that a job's savepoint journal
    /// stays in memory up to 4 MiB; without it every placed order writes
    /// its journal to a temporary file.
    #[test]
    fn savepoint_journals_stay_in_memory_up_to_4_mib() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let mut options = conn.prepare("PRAGMA compile_options").unwrap();
        let options: Vec<String> = options
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            options.iter().any(|o| o == "STMTJRNL_SPILL=4194304"),
            "{options:?}"
        );
    }
}
