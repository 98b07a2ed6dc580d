//! `igniflo backup --to FILE`: a consistent copy of the database while the
//! shop keeps serving. SQLite's online backup API copies every page inside
//! one read transaction, so the copy is the database as of one commit; in
//! WAL mode that blocks no writer. The copy is written beside its final
//! name, checked (SQLite's integrity check, then every product's stock
//! against its ledger) and only then renamed into place.

use super::SqliteStore;
use crate::domain::OrderFilter;
use crate::server::live::LiveHub;
use crate::server::service::Service;
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Copies the database at `source` to `target`, which must not exist yet,
/// and proves the copy sound. Returns how many orders the copy holds.
pub async fn back_up(source: &Path, target: &Path) -> Result<u64, String> {
    if target.exists() {
        return Err(exists_already(target));
    }
    if !source.exists() {
        return Err(format!("there is no database at {}", source.display()));
    }
    // A name no other run uses: two backups at once never touch each
    // other's copy.
    let partial = with_suffix(
        target,
        &format!(
            ".partial-{}-{}",
            std::process::id(),
            crate::domain::Id::generate()
        ),
    );
    let copied = {
        let (source, partial) = (source.to_path_buf(), partial.clone());
        tokio::task::spawn_blocking(move || copy_pages(&source, &partial))
            .await
            .map_err(|e| e.to_string())?
    };
    let checked = match copied {
        Ok(()) => check(&partial).await,
        Err(e) => Err(e),
    };
    // Published as a second name of the checked file: unlike a rename, that
    // fails rather than replace a file that appeared at `target` meanwhile.
    let published = checked.and_then(|orders| match std::fs::hard_link(&partial, target) {
        Ok(()) => Ok(orders),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(exists_already(target)),
        Err(e) => Err(format!("cannot write {}: {e}", target.display())),
    });
    // The check closed the copy cleanly, so its log files hold nothing.
    for file in [
        partial.clone(),
        with_suffix(&partial, "-wal"),
        with_suffix(&partial, "-shm"),
    ] {
        remove_if_there(&file);
    }
    published
}

fn exists_already(target: &Path) -> String {
    format!("{} exists already; back up to a new file", target.display())
}

fn copy_pages(source: &Path, target: &Path) -> Result<(), String> {
    let failed = |e: rusqlite::Error| format!("the backup failed: {e}");
    let from =
        Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(failed)?;
    from.busy_timeout(Duration::from_secs(5)).map_err(failed)?;
    let mut to = Connection::open(target).map_err(failed)?;
    {
        // Every page in one step: one read transaction, one commit's view.
        let backup = Backup::new(&from, &mut to).map_err(failed)?;
        let give_up = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            match backup.step(-1).map_err(failed)? {
                StepResult::Done => break,
                _ if std::time::Instant::now() > give_up => {
                    return Err("the backup failed: the database stayed busy for a minute".into())
                }
                _ => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
    let verdict: String = to
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(failed)?;
    if verdict != "ok" {
        return Err(format!(
            "the copy failed SQLite's integrity check: {verdict}"
        ));
    }
    Ok(())
}

/// Opens the copy as Igniflo would and reconciles its stock with its ledger.
/// A copy of another version's schema is refused rather than upgraded:
/// a backup is the database as it was.
async fn check(copy: &Path) -> Result<u64, String> {
    let version: usize = Connection::open_with_flags(copy, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .and_then(|c| c.query_row("PRAGMA user_version", [], |r| r.get(0)))
        .map_err(|e| format!("cannot read the copy: {e}"))?;
    if version != super::open::SCHEMA_VERSION {
        return Err(format!(
            "the database is at schema version {version} and this igniflo's is {}: \
             back it up with the igniflo that serves it",
            super::open::SCHEMA_VERSION
        ));
    }
    let store = Arc::new(SqliteStore::open(copy)?);
    let service = Service::new(store, LiveHub::default());
    let checked = async {
        let mismatches = service
            .stock_mismatches()
            .await
            .map_err(|e| e.to_string())?;
        if !mismatches.is_empty() {
            return Err(format!(
                "the copy's stock disagrees with its ledger for {} product(s)",
                mismatches.len()
            ));
        }
        service
            .count_orders(&OrderFilter::default())
            .await
            .map_err(|e| e.to_string())
    }
    .await;
    service.close().await;
    checked
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Removes a file of the copy, if it is there.
fn remove_if_there(file: &Path) {
    if let Err(e) = std::fs::remove_file(file) {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(file = %file.display(), error = %e, "could not remove a file of the copy");
        }
    }
}
