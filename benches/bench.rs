//! `igniflo-bench`: how fast Igniflo takes and lists orders on this machine.
//!
//! Three measurements, each on a fresh database: by default a SQLite file in
//! a temporary directory that is removed at the end, or with `--mongodb URL`
//! a database of its own on that MongoDB server (use a throwaway server: the
//! databases are left there). All traffic stays on 127.0.0.1:
//!
//! (a) the store's limit: 3-item orders placed straight through
//!     `Service::place_order` by 1 and by 32 concurrent tasks (the second
//!     shows what the writer's group commit buys; `--concurrency` sets 32);
//! (b) `POST /api/orders` over HTTP against the real router, first as fast as
//!     32 keep-alive connections go (closed loop), then paced at half that
//!     rate (open loop) to see latency under a sustainable load;
//! (c) `GET /api/orders?limit=50&status=…` after seeding a large and a small
//!     database, for a common status (PENDING) and a rarer one (PAID).
//!
//! With SQLite, two raw baselines (`raw_sqlite`) run just before (a) and
//! (b): the same order transaction written straight with rusqlite, one order
//! per commit before 1 task, 16 per commit before 32 tasks and before HTTP;
//! first with the order's own writes (the baseline the targets were set
//! against), then also with the rows the service writes besides (a ledger
//! movement per line and the `order.created` event). Each order figure is
//! given as a ratio to both, which travels between machines better than
//! orders per second do: "× raw" is against the first, "× raw, same rows"
//! against the second, which leaves only what the service spends beyond
//! writing its rows. Each row also says how large the write-ahead log file
//! grew while it ran (for the lists: while seeding).
//!
//! The figures are printed as a markdown table for BENCHMARKS.md. The HTTP
//! client is a minimal HTTP/1.1 keep-alive client written here, so the load
//! generator costs little of the cores it shares with the server. It sends
//! the admin token, as an integration would: that is what lets one address
//! place thousands of orders a second past the per-address rate limits.
//!
//! Usage: `cargo run --release --features ssr --bin igniflo-bench -- [--orders N] [--list-orders N] [--quick] [--mongodb URL]`

mod http_client;
mod raw_sqlite;
mod report;
mod shop;
mod target;

use http_client::*;
use raw_sqlite::Writes;
use report::*;
use shop::*;
use target::*;

use axum::serve::Listener as _;
use igniflo::domain::{
    Actor, Id, Money, NewCustomer, NewOrder, NewOrderLine, NewProduct, OrderStatus,
};
use igniflo::server::config::{Config, Database, RateLimits};
use igniflo::server::http::{listen, router, AppState};
use igniflo::server::live::LiveHub;
use igniflo::server::service::Service;
use igniflo::server::store::mongo::MongoStore;
use igniflo::server::store::sqlite::SqliteStore;
use igniflo::server::store::SharedStore;
use igniflo::server::webhooks::WebhookSettings;
use leptos::prelude::LeptosOptions;
use mongodb::options::ClientOptions;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tracing_subscriber::EnvFilter;

const USAGE: &str = "usage: igniflo-bench [--orders N] [--list-orders N] [--concurrency N] [--quick] [--mongodb URL]

  --orders N       orders placed in each run of (a) and (b) (default 20000)
  --list-orders N  orders in the large database listed in (c) (default 100000)
  --concurrency N  tasks in (a)'s second run, connections in (b) (default 32)
  --quick          small sizes for a smoke run (under a minute)
  --mongodb URL    run on this MongoDB server (a database per run) instead
                   of SQLite files";

/// Customers and products in every benchmark shop: enough that orders spread
/// over several rows, few enough that setting up is instant.
const CUSTOMERS: usize = 50;
const PRODUCTS: usize = 20;
/// Lines per order: a small basket, the common case.
const LINES_PER_ORDER: usize = 3;
/// Stock so large that no run can sell out (validation caps stock here).
const STOCK: i64 = 999_999_999;
/// Concurrent tasks seeding the list databases, per task of `--concurrency`:
/// enough to fill every batch the writer commits.
const SEED_TASKS_PER_TASK: usize = 2;
/// One seeded order in this many is moved to PAID, so PAID is the rare status
/// the list must find through its index (5% — still a full page at 1,000).
const PAID_EVERY: usize = 20;
/// Concurrent tasks in (a)'s second run and keep-alive connections in (b),
/// unless `--concurrency` says otherwise.
const CONCURRENCY: usize = 32;
/// The order list page size requested in (c).
const LIST_LIMIT: usize = 50;
/// Requests that warm the page cache and the reader pool before timing a list.
const LIST_WARMUP: usize = 50;
/// The smaller list database, for comparison with the large one.
const SMALL_LIST_ORDERS: usize = 1_000;
/// No single request may hang the benchmark.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Orders per commit in the raw baseline's batched run: about what the
/// store's writer gathers per commit under 32 concurrent buyers.
const RAW_BATCH: usize = 16;
/// How often the write-ahead log's size is sampled: often enough to catch
/// its peak, which lasts from one checkpoint to the next.
const WAL_SAMPLE: Duration = Duration::from_millis(20);

struct Options {
    orders: usize,
    list_orders: usize,
    list_requests: usize,
    /// How long the paced (open-loop) HTTP run lasts at most.
    paced_for: Duration,
    /// The MongoDB server to run on; SQLite files when `None`.
    mongodb: Option<String>,
    concurrency: usize,
}

/// Parses the arguments; `None` means help was asked for.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let (mut orders, mut list_orders, mut quick, mut mongodb) = (None, None, false, None);
    let mut concurrency = CONCURRENCY;
    let count = |flag: &str, value: Option<String>| -> Result<usize, String> {
        value
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{flag} needs a whole number above 0"))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--orders" => orders = Some(count("--orders", args.next())?),
            "--list-orders" => list_orders = Some(count("--list-orders", args.next())?),
            "--concurrency" => concurrency = count("--concurrency", args.next())?,
            "--quick" => quick = true,
            "--mongodb" => mongodb = Some(args.next().ok_or("--mongodb needs a mongodb:// URL")?),
            "--help" | "-h" => return Ok(None),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(Some(if quick {
        Options {
            orders: orders.unwrap_or(1_000),
            list_orders: list_orders.unwrap_or(5_000),
            list_requests: 200,
            paced_for: Duration::from_secs(2),
            mongodb,
            concurrency,
        }
    } else {
        Options {
            orders: orders.unwrap_or(20_000),
            list_orders: list_orders.unwrap_or(100_000),
            list_requests: 2_000,
            paced_for: Duration::from_secs(10),
            mongodb,
            concurrency,
        }
    }))
}

#[tokio::main]
async fn main() -> ExitCode {
    // Warnings and errors only: they reveal failed writes or a live hub that
    // falls behind, while per-request logging would distort the figures.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .init();
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("igniflo-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    let load_before = load_average();
    let target = match Target::create(&options).await {
        Ok(target) => target,
        Err(e) => {
            eprintln!("igniflo-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    match run(&target, &options).await {
        Ok(rows) => {
            print_table(&target, &options, &rows, &load_before);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("igniflo-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(target: &Target, options: &Options) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    // Each pair of baselines runs just before the figures compared with it:
    // other work on a shared machine comes and goes within a run.
    let raw = baselines(target, options, 1, &mut rows).await?;
    rows.push(store_limit(target, options, 1).await?.against(raw));
    let raw = baselines(target, options, RAW_BATCH, &mut rows).await?;
    rows.push(
        store_limit(target, options, options.concurrency)
            .await?
            .against(raw),
    );
    let raw = baselines(target, options, RAW_BATCH, &mut rows).await?;
    for row in http_orders(target, options).await? {
        rows.push(row.against(raw));
    }
    rows.extend(http_lists(target, options, options.list_orders).await?);
    // The small database is the baseline; a run asked to list no more than it
    // already measured it.
    if options.list_orders > SMALL_LIST_ORDERS {
        rows.extend(http_lists(target, options, SMALL_LIST_ORDERS).await?);
    }
    Ok(rows)
}

// ---- the measurements ----------------------------------------------------------

/// The two raw baselines at `per_commit` orders to a transaction: the
/// order's own writes (the baseline), then the same rows the
/// service writes with every order (its ledger movements and its
/// `order.created` event), whose ratio to the first is what those rows cost
/// any program. Adds both rows; `None` on MongoDB.
async fn baselines(
    target: &Target,
    options: &Options,
    per_commit: usize,
    rows: &mut Vec<Row>,
) -> Result<Option<Baselines>, String> {
    let Some(order) = raw_baseline(target, options, per_commit, Writes::Order, rows).await? else {
        return Ok(None);
    };
    let Some(same_rows) = raw_baseline(
        target,
        options,
        per_commit,
        Writes::WithLedgerAndOutbox,
        rows,
    )
    .await?
    else {
        return Ok(None);
    };
    let raw = Baselines { order, same_rows };
    let pair = rows.len() - 2;
    for row in &mut rows[pair..] {
        row.compare(Some(raw));
    }
    Ok(Some(raw))
}

/// A raw rusqlite baseline, `per_commit` orders to a transaction, on the
/// blocking pool as the store's writer runs on a thread of its own. Adds its
/// row and returns its throughput; nothing with MongoDB, which a ratio to
/// SQLite would only mislead about.
async fn raw_baseline(
    target: &Target,
    options: &Options,
    per_commit: usize,
    writes: Writes,
    rows: &mut Vec<Row>,
) -> Result<Option<f64>, String> {
    let Target::Sqlite(scratch) = target else {
        return Ok(None);
    };
    let path = scratch.file(&format!("raw_{per_commit}_{}.db", rows.len()));
    eprintln!(
        "(raw) placing {} orders straight with rusqlite ({}), {per_commit} per commit",
        grouped(options.orders),
        writes.label()
    );
    let wal = WalWatch::start(&Database::Sqlite(path.display().to_string()));
    let orders = options.orders;
    let run = tokio::task::spawn_blocking(move || {
        raw_sqlite::place_orders(&path, orders, per_commit, writes)
    })
    .await
    .map_err(|e| format!("the raw baseline failed: {e}"))??;
    let mut row = Row::new(
        format!(
            "raw rusqlite, {}, {per_commit} order{} per commit",
            writes.label(),
            if per_commit == 1 { "" } else { "s" }
        ),
        format!("0 → {}", grouped(options.orders)),
        "1 thread".into(),
        run,
    );
    row.wal_peak = wal.peak().await;
    let per_second = row.per_second;
    rows.push(row);
    Ok(Some(per_second))
}

/// (a) Orders placed straight through the service by `tasks` concurrent tasks.
async fn store_limit(target: &Target, options: &Options, tasks: usize) -> Result<Row, String> {
    let shop = Shop::open(target, &format!("store_{tasks}")).await?;
    eprintln!(
        "(a) placing {} orders through the service with {tasks} task(s)",
        grouped(options.orders)
    );
    let wal = WalWatch::start(&shop.database);
    let placing = shop.clone();
    let run = run_workers(vec![(); tasks], options.orders, move |(), i| {
        let shop = placing.clone();
        async move {
            let started = Instant::now();
            shop.place(i).await?;
            Ok(((), started.elapsed()))
        }
    })
    .await?;
    let wal_peak = wal.peak().await;
    shop.service.close().await;
    let mut row = Row::new(
        "`Service::place_order`, 3 items".into(),
        format!("0 → {}", grouped(options.orders)),
        format!("{tasks} task{}", if tasks == 1 { "" } else { "s" }),
        run,
    );
    row.wal_peak = wal_peak;
    Ok(row)
}

/// (b) `POST /api/orders` as fast as the connections go, then paced at half
/// that rate on the same server.
async fn http_orders(target: &Target, options: &Options) -> Result<Vec<Row>, String> {
    let shop = Shop::open(target, "http_orders").await?;
    let server = Server::start(&shop).await?;
    eprintln!(
        "(b) posting {} orders over {} keep-alive connections",
        grouped(options.orders),
        options.concurrency
    );
    let clients = Client::connect_many(server.addr, options.concurrency).await?;
    let wal = WalWatch::start(&shop.database);
    let posting = shop.clone();
    let closed = run_workers(clients, options.orders, move |mut client, i| {
        let body = posting.order_json(i);
        async move {
            let started = Instant::now();
            client.expect("POST", "/api/orders", &body, 201).await?;
            Ok((client, started.elapsed()))
        }
    })
    .await?;
    let capacity = closed.rate();
    let mut closed_row = Row::new(
        "`POST /api/orders`, closed loop".into(),
        format!("0 → {}", grouped(options.orders)),
        format!("{} connections", options.concurrency),
        closed,
    );
    closed_row.wal_peak = wal.peak().await;

    // Open loop: request i is due at start + i / rate whatever happened to
    // earlier ones, so a stall shows as latency instead of slowing the load.
    let rate = (capacity / 2.0).round().max(1.0);
    let interval = Duration::from_secs_f64(1.0 / rate);
    let paced_orders = ((rate * options.paced_for.as_secs_f64()) as usize).clamp(1, options.orders);
    eprintln!(
        "(b) posting {} orders paced at {}/s",
        grouped(paced_orders),
        grouped(rate as usize)
    );
    let clients = Client::connect_many(server.addr, options.concurrency).await?;
    let start = Instant::now() + Duration::from_millis(20);
    let wal = WalWatch::start(&shop.database);
    let posting = shop.clone();
    let paced = run_workers(clients, paced_orders, move |mut client, i| {
        let body = posting.order_json(i);
        let due = start + interval.mul_f64(i as f64);
        async move {
            // Latency counts from when the request was due. A connection that
            // was free sleeps until then and counts from when it woke, so the
            // timer's millisecond granularity is not charged to the server; a
            // connection that was still busy counts the wait it caused.
            let from = if Instant::now() < due {
                tokio::time::sleep_until(due.into()).await;
                Instant::now()
            } else {
                due
            };
            client.expect("POST", "/api/orders", &body, 201).await?;
            Ok((client, from.elapsed()))
        }
    })
    .await?;
    let mut paced_row = Row::new(
        format!("`POST /api/orders`, paced at {}/s", grouped(rate as usize)),
        format!(
            "{} → {}",
            grouped(options.orders),
            grouped(options.orders + paced_orders)
        ),
        format!("{} connections", options.concurrency),
        paced,
    );
    paced_row.wal_peak = wal.peak().await;
    server.stop().await?;
    shop.service.close().await;
    Ok(vec![closed_row, paced_row])
}

/// (c) The order list, newest first, for a common and a rarer status.
async fn http_lists(target: &Target, options: &Options, seeded: usize) -> Result<Vec<Row>, String> {
    let shop = Shop::open(target, &format!("list_{seeded}")).await?;
    let seed_tasks = SEED_TASKS_PER_TASK * options.concurrency;
    eprintln!(
        "(c) seeding {} orders with {seed_tasks} tasks, 1 in {PAID_EVERY} moved to PAID",
        grouped(seeded)
    );
    let wal = WalWatch::start(&shop.database);
    let seeding = shop.clone();
    let seed = run_workers(vec![(); seed_tasks], seeded, move |(), i| {
        let shop = seeding.clone();
        async move {
            let started = Instant::now();
            let id = shop.place(i).await?;
            if i % PAID_EVERY == 0 {
                shop.service
                    .change_status(id, OrderStatus::Paid, Actor::system())
                    .await
                    .map_err(|e| format!("marking an order PAID failed: {e}"))?;
            }
            Ok(((), started.elapsed()))
        }
    })
    .await?;
    let wal_peak = wal.peak().await;
    eprintln!("    seeded at {:.0} orders/s", seed.rate());

    let server = Server::start(&shop).await?;
    let mut client = Client::connect(server.addr).await?;
    let mut rows = Vec::new();
    for status in ["PENDING", "PAID"] {
        let target = format!("/api/orders?limit={LIST_LIMIT}&status={status}");
        eprintln!(
            "(c) GET {target} × {} on {} orders",
            options.list_requests,
            grouped(seeded)
        );
        let page = client.expect("GET", &target, &[], 200).await?;
        let listed = serde_json::from_slice::<Vec<serde_json::Value>>(&page)
            .map_err(|e| format!("the order list is not a JSON array: {e}"))?
            .len();
        for _ in 1..LIST_WARMUP {
            client.expect("GET", &target, &[], 200).await?;
        }
        // One connection, one request at a time: the latency of a page, not
        // the server's parallel capacity.
        let started = Instant::now();
        let mut latencies = Vec::with_capacity(options.list_requests);
        for _ in 0..options.list_requests {
            let sent = Instant::now();
            client.expect("GET", &target, &[], 200).await?;
            latencies.push(sent.elapsed());
        }
        let run = Run {
            latencies,
            elapsed: started.elapsed(),
        };
        let mut row = Row::new(
            format!(
                "`GET /api/orders?limit={LIST_LIMIT}&status={status}` ({listed} rows, {:.0} KB)",
                page.len() as f64 / 1024.0
            ),
            grouped(seeded),
            "1 connection".into(),
            run,
        );
        row.wal_peak = wal_peak;
        rows.push(row);
    }
    drop(client);
    server.stop().await?;
    shop.service.close().await;
    Ok(rows)
}

// ---- the shop under test -------------------------------------------------------
