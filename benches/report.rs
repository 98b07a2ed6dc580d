//! What a run measured, the workers that run it, and the markdown table
//! the figures are printed as.

use super::*;

/// What one run measured.
pub(crate) struct Run {
    pub(crate) latencies: Vec<Duration>,
    pub(crate) elapsed: Duration,
}

impl Run {
    /// Completed operations per second of wall time.
    pub(crate) fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }
}

/// Runs jobs 0..count on one task per worker state (a connection, or `()`),
/// each worker taking the next job as soon as it finishes one. A job hands its
/// state back with the latency it measured; the first failure ends the run.
pub(crate) async fn run_workers<S, F, Fut>(
    states: Vec<S>,
    count: usize,
    job: F,
) -> Result<Run, String>
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
pub(crate) struct Row {
    pub(crate) scenario: String,
    pub(crate) orders_in_db: String,
    pub(crate) concurrency: String,
    pub(crate) requests: usize,
    pub(crate) per_second: f64,
    pub(crate) p50: Duration,
    pub(crate) p99: Duration,
    pub(crate) max: Duration,
    /// Throughput over each raw baseline's, for order rows.
    pub(crate) vs_raw: Option<Baselines>,
    /// The write-ahead log file's largest size in bytes (SQLite only).
    pub(crate) wal_peak: Option<u64>,
}

impl Row {
    pub(crate) fn new(
        scenario: String,
        orders_in_db: String,
        concurrency: String,
        run: Run,
    ) -> Row {
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

    /// With its throughput as a ratio to the raw baselines', if there are any.
    pub(crate) fn against(mut self, raw: Option<Baselines>) -> Row {
        self.compare(raw);
        self
    }

    pub(crate) fn compare(&mut self, raw: Option<Baselines>) {
        self.vs_raw = raw.map(|raw| Baselines {
            order: self.per_second / raw.order,
            same_rows: self.per_second / raw.same_rows,
        });
    }
}

/// A figure for each raw baseline, measured together: its throughput, or a
/// row's throughput over it.
#[derive(Clone, Copy)]
pub(crate) struct Baselines {
    /// Writing only the order and its stock: the baseline.
    pub(crate) order: f64,
    /// Writing the same rows as the service: also the ledger and the event.
    pub(crate) same_rows: f64,
}

pub(crate) fn print_table(target: &Target, options: &Options, rows: &[Row], load_before: &str) {
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
    println!("| Scenario | Orders in DB | Concurrency | Requests | Throughput (/s) | × raw | × raw, same rows | p50 (ms) | p99 (ms) | max (ms) | WAL peak (MB) |");
    println!("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let ms = |d: Duration| format!("{:.2}", d.as_secs_f64() * 1000.0);
    let or_dash = |figure: Option<String>| figure.unwrap_or_else(|| "—".into());
    for row in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            row.scenario,
            row.orders_in_db,
            row.concurrency,
            grouped(row.requests),
            grouped(row.per_second.round() as usize),
            or_dash(row.vs_raw.map(|r| format!("{:.2}", r.order))),
            or_dash(row.vs_raw.map(|r| format!("{:.2}", r.same_rows))),
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
pub(crate) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|line| line.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

/// `12345` as `12,345`.
pub(crate) fn grouped(n: usize) -> String {
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
pub(crate) struct WalWatch(Option<(oneshot::Sender<()>, JoinHandle<u64>)>);

impl WalWatch {
    pub(crate) fn start(database: &Database) -> WalWatch {
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
    pub(crate) async fn peak(self) -> Option<u64> {
        let (stop, task) = self.0?;
        let _ = stop.send(());
        task.await.ok()
    }
}
