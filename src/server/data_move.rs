//! `igniflo migrate --from URL --to URL [--force]`: copies every customer,
//! product, order and stock movement from one store to another — from the embedded SQLite
//! file to MongoDB when a shop outgrows one machine, and back — keeping ids,
//! order numbers, status histories, idempotency keys and tracking tokens,
//! the admin login and the webhook endpoints. A target that holds
//! data is refused unless `--force` says to replace it. The copy is checked
//! by counting and checksumming each collection on both sides.
//!
//! Stop the servers on the source first: records written during the move
//! may or may not be copied.

use crate::server::config::Database;
use crate::server::store::mongo::MongoStore;
use crate::server::store::records::{Kind, Record, Records};
use crate::server::store::sqlite::SqliteStore;
use std::io::{IsTerminal, Write};

/// Records read and written at a time.
const BATCH: u32 = 500;

pub const USAGE: &str = "igniflo migrate --from URL --to URL [--force]\n  \
    copies all data between stores (sqlite://PATH, mongodb://…); --force replaces a non-empty target";

struct Options {
    from: String,
    to: String,
    force: bool,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let (mut from, mut to, mut force) = (None, None, false);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--from" => from = args.next().cloned(),
            "--to" => to = args.next().cloned(),
            "--force" => force = true,
            other => return Err(format!("unknown argument {other:?}; usage: {USAGE}")),
        }
    }
    match (from, to) {
        (Some(from), Some(to)) if from == to => {
            Err("--from and --to name the same database".into())
        }
        (Some(from), Some(to)) => Ok(Options { from, to, force }),
        _ => Err(format!("both --from and --to are needed; usage: {USAGE}")),
    }
}

/// Runs the command; the error is a sentence for the person who ran it.
pub async fn run(args: &[String]) -> Result<(), String> {
    let options = parse(args)?;
    let source = open(&options.from, true).await?;
    let target = open(&options.to, false).await?;
    let moved = copy(source.as_ref(), target.as_ref(), options.force).await;
    source.close().await;
    target.close().await;
    moved
}

async fn open(url: &str, must_exist: bool) -> Result<Box<dyn Records>, String> {
    Ok(match Database::parse(url)? {
        Database::Sqlite(path) => {
            if must_exist && !std::path::Path::new(&path).exists() {
                return Err(format!("there is no SQLite file at {path}"));
            }
            Box::new(SqliteStore::open(path)?)
        }
        Database::Mongo(url) => Box::new(MongoStore::connect(&url).await?),
    })
}

async fn copy(source: &dyn Records, target: &dyn Records, force: bool) -> Result<(), String> {
    let on_source = counts(source, "source").await?;
    let on_target = counts(target, "target").await?;
    if on_target.iter().any(|n| *n > 0) {
        if !force {
            return Err(format!(
                "the target already holds {} customers, {} products, {} orders and {} stock movements; \
                 pass --force to replace them",
                on_target[0], on_target[1], on_target[2], on_target[3]
            ));
        }
        target
            .clear()
            .await
            .map_err(|e| format!("could not empty the target: {e}"))?;
    }
    let mut progress = Progress::new(on_source.iter().sum());
    let mut copied = Vec::new();
    for kind in Kind::ALL {
        let mut sum = Checksum::default();
        let mut after = None;
        loop {
            let batch = source
                .export(kind, after, BATCH)
                .await
                .map_err(|e| format!("could not read {} from the source: {e}", kind.name()))?;
            let Some(last) = batch.last() else { break };
            after = Some(last.id());
            batch.iter().for_each(|r| sum.add(r));
            let n = batch.len() as u64;
            target
                .import(batch)
                .await
                .map_err(|e| format!("could not write {} to the target: {e}", kind.name()))?;
            progress.advance(kind, n);
        }
        copied.push((kind, sum));
    }
    progress.finish();
    // The shop's people are the source's: the target's own (a generated
    // first owner, say) make way, with their sessions, tokens and activity.
    let members = source
        .staff()
        .await
        .map_err(|e| format!("could not read the source's staff: {e}"))?;
    target
        .remove_all_staff()
        .await
        .map_err(|e| format!("could not clear the target's staff: {e}"))?;
    for member in &members {
        let record = source
            .staff_member(member.id)
            .await
            .map_err(|e| format!("could not read the source's staff: {e}"))?;
        if let Some(record) = record {
            target
                .add_staff(record)
                .await
                .map_err(|e| format!("could not write staff to the target: {e}"))?;
        }
    }
    eprintln!(
        "staff: {} copied with their passwords (their sessions, API tokens and activity are not: sign in again, make new tokens)",
        members.len()
    );
    let endpoints = source
        .webhook_endpoints()
        .await
        .map_err(|e| format!("could not read the source's webhook endpoints: {e}"))?;
    let mut added = 0;
    for endpoint in endpoints {
        let on_target = target
            .webhook_endpoint(endpoint.id)
            .await
            .map_err(|e| format!("could not read the target's webhook endpoints: {e}"))?;
        if on_target.is_none() {
            target
                .add_webhook_endpoint(endpoint)
                .await
                .map_err(|e| format!("could not write a webhook endpoint to the target: {e}"))?;
            added += 1;
        }
    }
    eprintln!(
        "webhook endpoints: {added} copied, with their secrets (not their deliveries, nor the events \
         still waiting to be sent: let the source's queue drain first)"
    );
    for (kind, expected) in copied {
        let found = checksum(target, kind).await?;
        if found != expected {
            return Err(format!(
                "the copy of {} differs: source {} records (checksum {:016x}), target {} records (checksum {:016x})",
                kind.name(),
                expected.count,
                expected.hash,
                found.count,
                found.hash
            ));
        }
        eprintln!(
            "{}: {} records, checksum {:016x} on both sides",
            kind.name(),
            found.count,
            found.hash
        );
    }
    Ok(())
}

async fn counts(store: &dyn Records, side: &str) -> Result<[u64; Kind::ALL.len()], String> {
    let mut counts = [0; Kind::ALL.len()];
    for (i, kind) in Kind::ALL.into_iter().enumerate() {
        counts[i] = store
            .count(kind)
            .await
            .map_err(|e| format!("could not count the {side}'s {}: {e}", kind.name()))?;
    }
    Ok(counts)
}

async fn checksum(store: &dyn Records, kind: Kind) -> Result<Checksum, String> {
    let mut sum = Checksum::default();
    let mut after = None;
    loop {
        let batch = store
            .export(kind, after, BATCH)
            .await
            .map_err(|e| format!("could not read back the target's {}: {e}", kind.name()))?;
        let Some(last) = batch.last() else {
            return Ok(sum);
        };
        after = Some(last.id());
        batch.iter().for_each(|r| sum.add(r));
    }
}

/// FNV-1a over each record's JSON, in id order: equal on both sides only if
/// every field of every record arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Checksum {
    count: u64,
    hash: u64,
}

impl Default for Checksum {
    fn default() -> Self {
        Checksum {
            count: 0,
            hash: 0xcbf2_9ce4_8422_2325,
        }
    }
}

impl Checksum {
    fn add(&mut self, record: &Record) {
        let json = serde_json::to_vec(record).expect("records serialize");
        for byte in json.into_iter().chain([b'\n']) {
            self.hash ^= u64::from(byte);
            self.hash = self.hash.wrapping_mul(0x0100_0000_01b3);
        }
        self.count += 1;
    }
}

/// A bar on stderr, redrawn in place on a terminal; elsewhere (logs, CI) a
/// line at every tenth.
struct Progress {
    total: u64,
    done: u64,
    terminal: bool,
    tenths_shown: u64,
}

impl Progress {
    fn new(total: u64) -> Progress {
        Progress {
            total,
            done: 0,
            terminal: std::io::stderr().is_terminal(),
            tenths_shown: 0,
        }
    }

    fn advance(&mut self, kind: Kind, records: u64) {
        self.done += records;
        let percent = self.done * 100 / self.total.max(1);
        let filled = (percent * 30 / 100) as usize;
        let line = format!(
            "[{}{}] {percent:>3}% {}/{} records ({})",
            "#".repeat(filled),
            "-".repeat(30 - filled),
            self.done,
            self.total,
            kind.name()
        );
        if self.terminal {
            eprint!("\r{line}");
            let _ = std::io::stderr().flush();
        } else if percent / 10 > self.tenths_shown {
            self.tenths_shown = percent / 10;
            eprintln!("{line}");
        }
    }

    fn finish(&self) {
        if self.terminal && self.done > 0 {
            eprintln!();
        }
        eprintln!("copied {} records; verifying", self.done);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn arguments() {
        let o = parse(&args("--from sqlite://a.db --to mongodb://h/shop --force")).unwrap();
        assert_eq!(
            (o.from.as_str(), o.to.as_str(), o.force),
            ("sqlite://a.db", "mongodb://h/shop", true)
        );
        assert!(parse(&args("--from sqlite://a.db")).is_err());
        assert!(parse(&args("--from sqlite://a.db --to sqlite://a.db")).is_err());
        assert!(parse(&args("--from sqlite://a.db --to mongodb://h --fast")).is_err());
    }
}
