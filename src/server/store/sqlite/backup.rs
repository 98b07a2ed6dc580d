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
        return Err(format!(
            "{} exists already; back up to a new file",
            target.display()
        ));
    }
    if !source.exists() {
        return Err(format!("there is no database at {}", source.display()));
    }
    let partial = with_suffix(target, ".partial");
    let _ = std::fs::remove_file(&partial);
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
    let orders = match checked {
        Ok(orders) => orders,
        Err(e) => {
            for file in [
                partial.clone(),
                with_suffix(&partial, "-wal"),
                with_suffix(&partial, "-shm"),
            ] {
                remove_with_log(&file);
            }
            return Err(e);
        }
    };
    std::fs::rename(&partial, target)
        .map_err(|e| format!("cannot move the copy to {}: {e}", target.display()))?;
    // The check closed the copy cleanly: its log files are empty.
    for log in [with_suffix(&partial, "-wal"), with_suffix(&partial, "-shm")] {
        remove_with_log(&log);
    }
    Ok(orders)
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
async fn check(copy: &Path) -> Result<u64, String> {
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
fn remove_with_log(file: &Path) {
    if let Err(e) = std::fs::remove_file(file) {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(file = %file.display(), error = %e, "could not remove a file of the copy");
        }
    }
}
