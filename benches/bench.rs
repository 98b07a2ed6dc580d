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
//! With SQLite, a raw baseline (`raw_sqlite`) runs just before (a) and (b):
//! the same order transaction written straight with rusqlite, one order per
//! commit before 1 task, 16 per commit before 32 tasks and before HTTP. Each
//! order figure is also given as a ratio to it, which travels between
//! machines better than orders per second do. Each row also says how large
//! the write-ahead log file grew while it ran (for the lists: while seeding).
//!
//! The figures are printed as a markdown table for BENCHMARKS.md. The HTTP
//! client is a minimal HTTP/1.1 keep-alive client written here, so the load
//! generator costs little of the cores it shares with the server. It sends
//! the admin token, as an integration would: that is what lets one address
//! place thousands of orders a second past the per-address rate limits.
//!
//! Usage: `cargo run --release --features ssr --bin igniflo-bench -- [--orders N] [--list-orders N] [--quick] [--mongodb URL]`

mod raw_sqlite;

use igniflo::domain::{
    Actor, Id, Money, NewCustomer, NewOrder, NewOrderLine, NewProduct, OrderStatus,
};
use igniflo::server::config::{Config, Database, RateLimits};
use igniflo::server::http::{router, AppState};
use igniflo::server::live::LiveHub;
use igniflo::server::service::Service;
use igniflo::server::store::mongo::MongoStore;
use igniflo::server::store::sqlite::SqliteStore;
use igniflo::server::store::SharedStore;
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
use tokio::net::{TcpListener, TcpStream};
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
    // Each baseline runs just before the figures compared with it: other
    // work on a shared machine comes and goes within a run.
    let raw = raw_baseline(target, options, 1, &mut rows).await?;
    rows.push(store_limit(target, options, 1).await?.against(raw));
    let raw = raw_baseline(target, options, RAW_BATCH, &mut rows).await?;
    rows.push(
        store_limit(target, options, options.concurrency)
            .await?
            .against(raw),
    );
    let raw = raw_baseline(target, options, RAW_BATCH, &mut rows).await?;
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

/// The raw rusqlite baseline, `per_commit` orders to a transaction, on the
/// blocking pool as the store's writer runs on a thread of its own. Adds its
/// row and returns its throughput; nothing with MongoDB, which a ratio to
/// SQLite would only mislead about.
async fn raw_baseline(
    target: &Target,
    options: &Options,
    per_commit: usize,
    rows: &mut Vec<Row>,
) -> Result<Option<f64>, String> {
    let Target::Sqlite(scratch) = target else {
        return Ok(None);
    };
    let path = scratch.file(&format!("raw_{per_commit}_{}.db", rows.len()));
    eprintln!(
        "(raw) placing {} orders straight with rusqlite, {per_commit} per commit",
        grouped(options.orders)
    );
    let wal = WalWatch::start(&Database::Sqlite(path.display().to_string()));
    let orders = options.orders;
    let run =
        tokio::task::spawn_blocking(move || raw_sqlite::place_orders(&path, orders, per_commit))
            .await
            .map_err(|e| format!("the raw baseline failed: {e}"))??;
    let mut row = Row::new(
        format!(
            "raw rusqlite, 3 items, {per_commit} order{} per commit",
            if per_commit == 1 { "" } else { "s" }
        ),
        format!("0 → {}", grouped(options.orders)),
        "1 thread".into(),
        run,
    );
    row.wal_peak = wal.peak().await;
    let per_second = row.per_second;
    rows.push(row.against(Some(per_second)));
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
                    .change_status(id, OrderStatus::Paid, Actor::Admin)
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

/// A service on a database of its own, with customers and well-stocked
/// products to order from.
struct Shop {
    service: Service,
    database: Database,
    customers: Vec<Id>,
    products: Vec<Id>,
}

impl Shop {
    async fn open(target: &Target, name: &str) -> Result<Arc<Shop>, String> {
        let (store, database) = target.database(name).await?;
        let service = Service::new(store, LiveHub::default());
        let mut customers = Vec::with_capacity(CUSTOMERS);
        for c in 0..CUSTOMERS {
            let customer = service
                .register_customer(NewCustomer {
                    name: format!("Bench Customer {c}"),
                    email: format!("customer{c}@bench.example"),
                    phone: "+44 20 7946 0958".into(),
                })
                .await
                .map_err(|e| format!("registering a customer failed: {e}"))?;
            customers.push(customer.id);
        }
        let mut products = Vec::with_capacity(PRODUCTS);
        for p in 0..PRODUCTS {
            let product = service
                .add_product(NewProduct {
                    name: format!("Bench Product {p}"),
                    sku: format!("BENCH-{p:03}"),
                    stock: STOCK,
                    price: Money::from_cents(100 + 25 * p as i64),
                    low_stock_threshold: None,
                })
                .await
                .map_err(|e| format!("adding a product failed: {e}"))?;
            products.push(product.id);
        }
        Ok(Arc::new(Shop {
            service,
            database,
            customers,
            products,
        }))
    }

    /// The `i`th order: a rotating customer and 3 different products.
    fn order(&self, i: usize) -> NewOrder {
        NewOrder {
            customer: self.customers[i % self.customers.len()],
            items: (0..LINES_PER_ORDER)
                .map(|k| NewOrderLine {
                    product: self.products[(LINES_PER_ORDER * i + k) % self.products.len()]
                        .to_string(),
                    quantity: 1,
                })
                .collect(),
            payment_received: false,
        }
    }

    fn order_json(&self, i: usize) -> Vec<u8> {
        serde_json::to_vec(&self.order(i)).expect("orders serialize")
    }

    async fn place(&self, i: usize) -> Result<Id, String> {
        let placed = self
            .service
            .place_order(self.order(i), None, Actor::Customer)
            .await
            .map_err(|e| format!("placing an order failed: {e}"))?;
        Ok(placed.placed.order.id)
    }
}

/// The bearer token the benchmark's server accepts as admin.
const BENCH_ADMIN_TOKEN: &str = "benchmark-admin-token-0000";

/// The real router, served in-process on a free port of 127.0.0.1.
struct Server {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start(shop: &Shop) -> Result<Server, String> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("cannot listen on 127.0.0.1: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        // The load generator is an integration: it carries the admin token,
        // which exempts it from the per-address rate limits.
        let config = Config {
            addr,
            database: shop.database.clone(),
            client_url: None,
            admin_password: None,
            admin_token: Some(BENCH_ADMIN_TOKEN.into()),
            trust_proxy: false,
            limits: RateLimits::default(),
        };
        let leptos_options = LeptosOptions::builder()
            .output_name("igniflo")
            .site_addr(addr)
            .build();
        let state = AppState::new(leptos_options, shop.service.clone(), &config);
        let app = router(state, &config).into_make_service_with_connect_info::<SocketAddr>();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(Server { addr, stop, task })
    }

    /// Stops taking connections and waits for open ones to finish.
    async fn stop(self) -> Result<(), String> {
        let _ = self.stop.send(());
        match tokio::time::timeout(REQUEST_TIMEOUT, self.task).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(e))) => Err(format!("the server failed: {e}")),
            Ok(Err(e)) => Err(format!("the server task failed: {e}")),
            Err(_) => Err("the server did not stop".into()),
        }
    }
}

// ---- a minimal HTTP/1.1 keep-alive client ------------------------------------

struct Client {
    stream: BufReader<TcpStream>,
}

impl Client {
    async fn connect(addr: SocketAddr) -> Result<Client, String> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
        // Requests go out in one write; Nagle would only add delay.
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        Ok(Client {
            stream: BufReader::new(stream),
        })
    }

    /// Connected before timing starts, so the figures leave out TCP setup.
    async fn connect_many(addr: SocketAddr, n: usize) -> Result<Vec<Client>, String> {
        let mut clients = Vec::with_capacity(n);
        for _ in 0..n {
            clients.push(Client::connect(addr).await?);
        }
        Ok(clients)
    }

    /// Sends one request and returns the response body, which must come with
    /// the `expected` status.
    async fn expect(
        &mut self,
        method: &str,
        target: &str,
        body: &[u8],
        expected: u16,
    ) -> Result<Vec<u8>, String> {
        let (status, response) =
            tokio::time::timeout(REQUEST_TIMEOUT, self.send(method, target, body))
                .await
                .map_err(|_| format!("{method} {target} timed out"))??;
        if status != expected {
            let text = String::from_utf8_lossy(&response);
            return Err(format!(
                "{method} {target} answered {status}, not {expected}: {}",
                text.chars().take(300).collect::<String>()
            ));
        }
        Ok(response)
    }

    async fn send(
        &mut self,
        method: &str,
        target: &str,
        body: &[u8],
    ) -> Result<(u16, Vec<u8>), String> {
        let broken = |e: std::io::Error| format!("{method} {target}: {e}");
        let mut request = format!(
            "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {BENCH_ADMIN_TOKEN}\r\n"
        );
        if !body.is_empty() {
            request.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body);
        self.stream
            .get_mut()
            .write_all(&bytes)
            .await
            .map_err(broken)?;

        let mut line = String::new();
        if self.stream.read_line(&mut line).await.map_err(broken)? == 0 {
            return Err(format!(
                "{method} {target}: the server closed the connection"
            ));
        }
        let status = line
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse::<u16>().ok())
            .ok_or_else(|| format!("{method} {target}: not an HTTP/1.1 status line: {line:?}"))?;
        let mut length = None;
        loop {
            line.clear();
            if self.stream.read_line(&mut line).await.map_err(broken)? == 0 {
                return Err(format!(
                    "{method} {target}: the connection closed inside the headers"
                ));
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let Some((name, value)) = header.split_once(':') else {
                return Err(format!("{method} {target}: a malformed header {header:?}"));
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(
                    value
                        .parse::<usize>()
                        .map_err(|_| format!("bad Content-Length {value:?}"))?,
                );
            } else if name.eq_ignore_ascii_case("connection") && value.eq_ignore_ascii_case("close")
            {
                // The runs rely on keep-alive; a server dropping it would
                // silently turn them into connection-setup benchmarks.
                return Err(format!("{method} {target}: the server ended keep-alive"));
            }
        }
        let length = length
            .ok_or_else(|| format!("{method} {target}: the response has no Content-Length"))?;
        let mut response = vec![0; length];
        self.stream
            .read_exact(&mut response)
            .await
            .map_err(broken)?;
        Ok((status, response))
    }
}

// ---- running and summarizing ---------------------------------------------------

/// What one run measured.
struct Run {
    latencies: Vec<Duration>,
    elapsed: Duration,
}

impl Run {
    /// Completed operations per second of wall time.
    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }
}

/// Runs jobs 0..count on one task per worker state (a connection, or `()`),
/// each worker taking the next job as soon as it finishes one. A job hands its
/// state back with the latency it measured; the first failure ends the run.
async fn run_workers<S, F, Fut>(states: Vec<S>, count: usize, job: F) -> Result<Run, String>
where
    S: Send + 'static,
    F: Fn(S, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(S, Duration), String>> + Send + 'static,
{
    let job = Arc::new(job);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<JoinHandle<Result<Vec<Duration>, String>>> = states
        .into_iter()
        .map(|mut state| {
            let (job, next) = (job.clone(), next.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        return Ok(latencies);
                    }
                    let (back, latency) = job(state, i).await?;
                    state = back;
                    latencies.push(latency);
                }
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(count);
    for worker in workers {
        latencies.extend(
            worker
                .await
                .map_err(|e| format!("a worker failed: {e}"))??,
        );
    }
    Ok(Run {
        latencies,
        elapsed: started.elapsed(),
    })
}

/// One line of the results table.
struct Row {
    scenario: String,
    orders_in_db: String,
    concurrency: String,
    requests: usize,
    per_second: f64,
    p50: Duration,
    p99: Duration,
    max: Duration,
    /// Throughput over the raw baseline's, for order rows.
    vs_raw: Option<f64>,
    /// The write-ahead log file's largest size in bytes (SQLite only).
    wal_peak: Option<u64>,
}

impl Row {
    fn new(scenario: String, orders_in_db: String, concurrency: String, run: Run) -> Row {
        let per_second = run.rate();
        let mut latencies = run.latencies;
        latencies.sort_unstable();
        // Nearest rank: the smallest latency at or above the fraction q.
        let percentile = |q: f64| {
            latencies[((q * latencies.len() as f64).ceil() as usize).clamp(1, latencies.len()) - 1]
        };
        Row {
            scenario,
            orders_in_db,
            concurrency,
            requests: latencies.len(),
            per_second,
            p50: percentile(0.50),
            p99: percentile(0.99),
            max: percentile(1.0),
            vs_raw: None,
            wal_peak: None,
        }
    }

    /// With its throughput as a ratio to the raw baseline's, if there is one.
    fn against(mut self, raw: Option<f64>) -> Row {
        self.vs_raw = raw.map(|raw| self.per_second / raw);
        self
    }
}

fn print_table(target: &Target, options: &Options, rows: &[Row], load_before: &str) {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let store = match target {
        Target::Sqlite(_) => "SQLite (WAL, synchronous=FULL) on a temporary file".to_string(),
        Target::Mongo { server, .. } => format!("MongoDB at {server}"),
    };
    println!();
    println!(
        "Igniflo benchmark: {cores} cores, {store}; \
         --orders {} --list-orders {} --concurrency {}; 1-minute load average {load_before} before, {} after",
        options.orders,
        options.list_orders,
        options.concurrency,
        load_average()
    );
    println!();
    println!("| Scenario | Orders in DB | Concurrency | Requests | Throughput (/s) | × raw | p50 (ms) | p99 (ms) | max (ms) | WAL peak (MB) |");
    println!("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    let ms = |d: Duration| format!("{:.2}", d.as_secs_f64() * 1000.0);
    let or_dash = |figure: Option<String>| figure.unwrap_or_else(|| "—".into());
    for row in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            row.scenario,
            row.orders_in_db,
            row.concurrency,
            grouped(row.requests),
            grouped(row.per_second.round() as usize),
            or_dash(row.vs_raw.map(|r| format!("{r:.2}"))),
            ms(row.p50),
            ms(row.p99),
            ms(row.max),
            or_dash(
                row.wal_peak
                    .map(|b| format!("{:.0}", b as f64 / (1024.0 * 1024.0)))
            ),
        );
    }
}

/// The 1-minute load average (Linux), so figures taken while something
/// else was busy on the same cores can be told apart.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|line| line.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

/// `12345` as `12,345`.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Follows the size of a SQLite database's write-ahead log file while a
/// measurement runs; does nothing for MongoDB.
struct WalWatch(Option<(oneshot::Sender<()>, JoinHandle<u64>)>);

impl WalWatch {
    fn start(database: &Database) -> WalWatch {
        let Database::Sqlite(path) = database else {
            return WalWatch(None);
        };
        let wal = PathBuf::from(format!("{path}-wal"));
        let size = move || std::fs::metadata(&wal).map_or(0, |m| m.len());
        let (stop, mut stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let mut peak = 0;
            let mut tick = tokio::time::interval(WAL_SAMPLE);
            loop {
                tokio::select! {
                    _ = &mut stopped => return peak.max(size()),
                    _ = tick.tick() => peak = peak.max(size()),
                }
            }
        });
        WalWatch(Some((stop, task)))
    }

    /// The largest size seen, in bytes.
    async fn peak(self) -> Option<u64> {
        let (stop, task) = self.0?;
        let _ = stop.send(());
        task.await.ok()
    }
}

/// Where the run's databases are made.
enum Target {
    Sqlite(Scratch),
    /// `server`: the hosts, for the report (the URL may hold a password).
    Mongo {
        options: Box<ClientOptions>,
        server: String,
    },
}

impl Target {
    async fn create(options: &Options) -> Result<Target, String> {
        match &options.mongodb {
            None => Ok(Target::Sqlite(Scratch::create()?)),
            Some(url) => {
                let options = ClientOptions::parse(url)
                    .await
                    .map_err(|e| format!("--mongodb: not a usable MongoDB URL: {e}"))?;
                let server = options
                    .hosts
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(",");
                Ok(Target::Mongo {
                    options: Box::new(options),
                    server,
                })
            }
        }
    }

    /// A fresh store named after the measurement.
    async fn database(&self, name: &str) -> Result<(SharedStore, Database), String> {
        match self {
            Target::Sqlite(scratch) => {
                let path = scratch.file(&format!("{name}.db"));
                let store = Arc::new(SqliteStore::open(&path)?);
                Ok((store, Database::Sqlite(path.display().to_string())))
            }
            Target::Mongo { options, .. } => {
                let mut options = ClientOptions::clone(options);
                let database = format!("igniflo_bench_{}_{name}", std::process::id());
                options.default_database = Some(database.clone());
                let store = Arc::new(MongoStore::connect_with(options).await?);
                Ok((store, Database::Mongo(database)))
            }
        }
    }
}

/// The temporary directory holding every database of the run; removed when
/// dropped, whether the run succeeded or not.
struct Scratch(PathBuf);

impl Scratch {
    fn create() -> Result<Scratch, String> {
        let dir = std::env::temp_dir().join(format!("igniflo-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        Ok(Scratch(dir))
    }

    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.0) {
            eprintln!("igniflo-bench: could not remove {}: {e}", self.0.display());
        }
    }
}
