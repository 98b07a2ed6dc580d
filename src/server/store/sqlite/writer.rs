//! The one connection that writes, on its own thread, committing queued
//! writes together (group commit): each write runs in its own savepoint, so a
//! failed order rolls back alone, and one `COMMIT` — one fsync — makes a whole
//! batch durable. Callers hear back only after that commit.
//!
//! WAL checkpoints run on a second thread with their own connection, so the
//! writer never stalls on copying the log back into the database.

use crate::domain::AppError;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::PoisonError;
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::oneshot;

/// Runs inside the batch's transaction; says whether it succeeded and hands
/// back what delivers its result once the batch's fate is known.
type Job = Box<dyn FnOnce(&Connection) -> (bool, Deliver) + Send>;
type Deliver = Box<dyn FnOnce(Result<(), AppError>) + Send>;

/// A log longer than this is restarted by the writer.
const LONG_LOG_BYTES: u64 = 64 * 1024 * 1024;

/// How often the background checkpoint runs: while the log is over a quarter
/// of `LONG_LOG_BYTES`, and otherwise.
const CATCHING_UP_PAUSE: Duration = Duration::from_millis(10);
const QUIET_PAUSE: Duration = Duration::from_millis(250);

/// Most writes one commit carries.
const MAX_BATCH: usize = 64;

pub struct Writer {
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    checkpointer: Mutex<Option<JoinHandle<()>>>,
    stopping: Arc<AtomicBool>,
}

impl Writer {
    pub fn start(conn: Connection, checkpoint_conn: Connection, wal: PathBuf) -> Writer {
        let (tx, rx) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || write_loop(conn, rx, wal))
            .expect("spawn the SQLite writer thread");
        let stopping = Arc::new(AtomicBool::new(false));
        let stop = stopping.clone();
        let checkpointer = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint_loop(checkpoint_conn, stop))
            .expect("spawn the SQLite checkpoint thread");
        Writer {
            jobs: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
            checkpointer: Mutex::new(Some(checkpointer)),
            stopping,
        }
    }

    /// Queues `work` for the writer and waits until its batch is committed.
    pub async fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        self.write_keeping(work, |_| true).await
    }

    /// As `write`, but what `work` wrote is rolled back (and its result
    /// still returned) unless `keep` says otherwise: a refusal that is not
    /// an error.
    pub async fn write_keeping<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, AppError> + Send + 'static,
        keep: fn(&T) -> bool,
    ) -> Result<T, AppError> {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let result = work(conn);
            let ok = result.as_ref().is_ok_and(keep);
            let deliver: Deliver = Box::new(move |committed| {
                let _ = reply.send(committed.and(result));
            });
            (ok, deliver)
        });
        let sender = self
            .jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or(AppError::Unavailable)?;
        sender.send(job).map_err(|_| AppError::Unavailable)?;
        answer.await.map_err(|_| AppError::Unavailable)?
    }

    /// Stops taking writes, lets queued ones commit, checkpoints and closes.
    pub fn close(&self) {
        self.jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        self.stopping.store(true, Ordering::SeqCst);
        if let Some(t) = self
            .checkpointer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            let _ = t.join();
        }
        if let Some(t) = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            let _ = t.join();
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.close();
    }
}

fn write_loop(conn: Connection, jobs: mpsc::Receiver<Job>, wal: PathBuf) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(&conn, batch);
        restart_a_long_log(&conn, &wal);
    }
    // Every sender is gone: fold the log into the database before closing.
    if let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);") {
        tracing::warn!(error = %e, "final checkpoint failed");
    }
    if let Err((_, e)) = conn.close() {
        tracing::warn!(error = %e, "closing the database failed");
    }
}

fn run_batch(conn: &Connection, batch: Vec<Job>) {
    let started = std::time::Instant::now();
    let jobs = batch.len();
    if let Err(e) = run(conn, "BEGIN IMMEDIATE") {
        // Dropping the jobs tells each caller the store is unavailable.
        tracing::error!(error = %e, "could not begin a write transaction");
        return;
    }
    let mut deliveries = Vec::with_capacity(batch.len());
    for job in batch {
        if let Err(e) = run(conn, "SAVEPOINT job") {
            tracing::error!(error = %e, "could not open a savepoint");
            continue;
        }
        let (ok, deliver) = job(conn);
        let closed = if ok {
            run(conn, "RELEASE job")
        } else {
            run(conn, "ROLLBACK TO job").and_then(|()| run(conn, "RELEASE job"))
        };
        if let Err(e) = &closed {
            tracing::error!(error = %e, "could not close a savepoint");
        }
        deliveries.push((deliver, closed.is_ok()));
    }
    let committed = run(conn, "COMMIT");
    if let Err(e) = &committed {
        tracing::error!(error = %e, "commit failed; the batch is rolled back");
        let _ = conn.execute_batch("ROLLBACK");
    } else {
        crate::server::metrics::metrics().sqlite_commit(jobs, started.elapsed());
    }
    for (deliver, savepoint_closed) in deliveries {
        let outcome = if committed.is_ok() && savepoint_closed {
            Ok(())
        } else {
            Err(AppError::Unavailable)
        };
        deliver(outcome);
    }
}

/// Runs one statement the writer runs for every job, parsed once.
fn run(conn: &Connection, statement: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(statement)?.execute([]).map(drop)
}

/// The log only starts over when a write begins after every frame has been
/// copied back; a writer that never pauses never sees that moment, and the
/// log grows without end (1.9 GB in a 50,000-order benchmark). So once it is
/// long, the writer restarts it itself between batches: the background
/// checkpoint has copied nearly everything already, so this is short (a few
/// ms: the tail, a sync, readers finishing) and rare (every ~64 MB of
/// writes), not the every-100-commits stall of SQLite's own auto-checkpoint.
fn restart_a_long_log(conn: &Connection, wal: &Path) {
    let long = std::fs::metadata(wal).is_ok_and(|m| m.len() > LONG_LOG_BYTES);
    if long {
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "restarting the write-ahead log failed");
        }
    }
}

/// Copies the WAL back into the database in the background. A PASSIVE
/// checkpoint never blocks the writer; it does what readers allow. While the
/// log is long it runs every few milliseconds, so when the writer restarts
/// the log (`restart_a_long_log`) only a short tail is left to copy: the
/// stall the queued orders see is a few milliseconds, not the 7–17 ms it
/// was with up to a quarter of a second of writes left over.
fn checkpoint_loop(conn: Connection, stopping: Arc<AtomicBool>) {
    let page_bytes: i64 = conn
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .unwrap_or(4096);
    let mut pause = QUIET_PAUSE;
    while !stopping.load(Ordering::SeqCst) {
        std::thread::sleep(pause);
        let frames_in_log =
            conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1));
        pause = match frames_in_log {
            Ok(frames) if frames.saturating_mul(page_bytes) > LONG_LOG_BYTES as i64 / 4 => {
                CATCHING_UP_PAUSE
            }
            // -1: another checkpoint (the writer's restart) was running.
            Ok(frames) if frames < 0 => pause,
            Ok(_) => QUIET_PAUSE,
            Err(e) => {
                tracing::debug!(error = %e, "background checkpoint skipped");
                QUIET_PAUSE
            }
        };
    }
    let _ = conn.close();
}
