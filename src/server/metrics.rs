//! Operational figures, served as Prometheus' text format at `GET /metrics`
//! (to the admin token, a signed-in admin, or `IGNIFLO_METRICS_TOKEN`).
//!
//! One registry per process, written with atomics from wherever the event
//! happens (the HTTP layer, the service, the stores, the live doors) and
//! read only when scraped. Label values come from small, fixed sets (route
//! templates, statuses, kinds), never from what a client sends, so the
//! number of series stays bounded.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::Duration;

/// Seconds: from a millisecond to ten seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Jobs per SQLite commit: the writer groups up to 256.
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

pub struct Metrics {
    http_requests: Family<Counter>,
    http_latency: Family<Histogram>,
    orders_placed: Counter,
    status_moves: Family<Counter>,
    out_of_stock: Counter,
    sqlite_batch_size: Histogram,
    sqlite_commit: Histogram,
    mongodb_retries: Counter,
    live_connections: Family<Gauge>,
    webhook_attempts: Family<Counter>,
    email_attempts: Family<Counter>,
    outbox_depth: Gauge,
    outbox_oldest_age: Gauge,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| Metrics {
    http_requests: Family::default(),
    http_latency: Family::default(),
    orders_placed: Counter::default(),
    status_moves: Family::default(),
    out_of_stock: Counter::default(),
    sqlite_batch_size: Histogram::new(BATCH_BUCKETS),
    sqlite_commit: Histogram::new(LATENCY_BUCKETS),
    mongodb_retries: Counter::default(),
    live_connections: Family::default(),
    webhook_attempts: Family::default(),
    email_attempts: Family::default(),
    outbox_depth: Gauge::default(),
    outbox_oldest_age: Gauge::default(),
});

pub fn metrics() -> &'static Metrics {
    &METRICS
}

impl Metrics {
    /// One answered request: `route` is the matched route's template
    /// (`/api/orders/{id}`), or `unmatched` (site files, unknown paths).
    pub fn http_request(&self, method: &str, route: &str, status: u16, took: Duration) {
        let class = match status {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        self.http_requests
            .get(
                &[("method", method), ("route", route), ("status", class)],
                Counter::default,
            )
            .add(1);
        self.http_latency
            .get(&[("method", method), ("route", route)], || {
                Histogram::new(LATENCY_BUCKETS)
            })
            .observe(took.as_secs_f64());
    }

    pub fn order_placed(&self) {
        self.orders_placed.add(1);
    }

    /// An order moved to `status` (PAID, FULFILLED, CANCELLED).
    pub fn status_moved(&self, status: &str) {
        self.status_moves
            .get(&[("to", status)], Counter::default)
            .add(1);
    }

    /// An order refused because a line's stock was short.
    pub fn out_of_stock(&self) {
        self.out_of_stock.add(1);
    }

    /// One commit of the SQLite writer: how many jobs it carried, how long
    /// it took.
    pub fn sqlite_commit(&self, jobs: usize, took: Duration) {
        self.sqlite_batch_size.observe(jobs as f64);
        self.sqlite_commit.observe(took.as_secs_f64());
    }

    /// A MongoDB transaction tried again (a write conflict or a lost commit).
    pub fn mongodb_retry(&self) {
        self.mongodb_retries.add(1);
    }

    /// A live connection of `kind` (`websocket`, `socketio`) that counts
    /// itself until dropped.
    pub fn live_connection(&self, kind: &'static str) -> LiveConnection {
        let gauge = self.live_connections.get(&[("kind", kind)], Gauge::default);
        gauge.0.fetch_add(1, Ordering::Relaxed);
        LiveConnection(gauge)
    }

    /// One attempt to deliver a webhook, by what came of it: `delivered`,
    /// `retrying`, `failed` (retries ran out) or `gone` (410).
    pub fn webhook_attempt(&self, result: &'static str) {
        self.webhook_attempts
            .get(&[("result", result)], Counter::default)
            .add(1);
    }

    /// One attempt to hand an email to the SMTP server: `delivered`,
    /// `retrying` or `failed`.
    pub fn email_attempt(&self, result: &'static str) {
        self.email_attempts
            .get(&[("result", result)], Counter::default)
            .add(1);
    }

    /// The outbox as last looked at: events waiting, and the oldest's age.
    pub fn outbox(&self, waiting: u64, oldest_age: Duration) {
        self.outbox_depth.0.store(waiting as i64, Ordering::Relaxed);
        self.outbox_oldest_age
            .0
            .store(oldest_age.as_secs() as i64, Ordering::Relaxed);
    }

    /// Everything, in Prometheus' text format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.http_requests.render(
            &mut out,
            "igniflo_http_requests_total",
            "counter",
            "HTTP requests answered, by method, route template and status class.",
        );
        self.http_latency.render(
            &mut out,
            "igniflo_http_request_duration_seconds",
            "histogram",
            "Time to answer an HTTP request (to the first byte of a streamed page).",
        );
        self.orders_placed
            .render(&mut out, "igniflo_orders_placed_total", "Orders placed.");
        self.status_moves.render(
            &mut out,
            "igniflo_order_status_moves_total",
            "counter",
            "Orders moved to a status, by the status.",
        );
        self.out_of_stock.render(
            &mut out,
            "igniflo_out_of_stock_refusals_total",
            "Orders refused because a line's stock was short.",
        );
        self.sqlite_batch_size.render_one(
            &mut out,
            "igniflo_sqlite_commit_jobs",
            "Changes carried by one commit of the SQLite writer.",
        );
        self.sqlite_commit.render_one(
            &mut out,
            "igniflo_sqlite_commit_seconds",
            "Time the SQLite writer took to apply and commit one batch.",
        );
        self.mongodb_retries.render(
            &mut out,
            "igniflo_mongodb_transaction_retries_total",
            "MongoDB transactions tried again after a write conflict or an unknown commit result.",
        );
        self.live_connections.render(
            &mut out,
            "igniflo_live_connections",
            "gauge",
            "Open live connections, by kind.",
        );
        self.webhook_attempts.render(
            &mut out,
            "igniflo_webhook_attempts_total",
            "counter",
            "Webhook requests made, by what came of them (delivered, retrying, failed, gone).",
        );
        self.email_attempts.render(
            &mut out,
            "igniflo_email_attempts_total",
            "counter",
            "Emails handed to the SMTP server, by what came of it (delivered, retrying, failed).",
        );
        self.outbox_depth.render(
            &mut out,
            "igniflo_outbox_events",
            "Events committed and not yet handed on to webhook deliveries.",
        );
        self.outbox_oldest_age.render(
            &mut out,
            "igniflo_outbox_oldest_age_seconds",
            "How long the oldest event in the outbox has waited.",
        );
        out
    }
}

/// Counts one open live connection; dropping it counts it closed.
pub struct LiveConnection(std::sync::Arc<Gauge>);

impl Drop for LiveConnection {
    fn drop(&mut self) {
        self.0 .0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[derive(Default)]
struct Counter(AtomicU64);

impl Counter {
    fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        self.samples(out, name, "");
    }
}

#[derive(Default)]
struct Gauge(AtomicI64);

impl Gauge {
    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
        self.samples(out, name, "");
    }
}

struct Histogram {
    bounds: &'static [f64],
    /// Per bucket (not cumulative), then the sum in millionths.
    counts: Vec<AtomicU64>,
    sum_millionths: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_millionths: AtomicU64::new(0),
        }
    }

    fn observe(&self, value: f64) {
        let bucket = self.bounds.partition_point(|&b| b < value);
        self.counts[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum_millionths
            .fetch_add((value * 1e6).round() as u64, Ordering::Relaxed);
    }

    fn render_one(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        self.samples(out, name, "");
    }
}

/// What each kind of metric writes as its samples, after `name`, with the
/// family's `labels` (already formatted, `a="x",b="y"`, or empty).
trait Samples {
    fn samples(&self, out: &mut String, name: &str, labels: &str);
}

impl Samples for Counter {
    fn samples(&self, out: &mut String, name: &str, labels: &str) {
        one_sample(out, name, labels, self.0.load(Ordering::Relaxed));
    }
}

impl Samples for Gauge {
    fn samples(&self, out: &mut String, name: &str, labels: &str) {
        one_sample(out, name, labels, self.0.load(Ordering::Relaxed));
    }
}

fn one_sample(out: &mut String, name: &str, labels: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "{name}{} {value}", braced(labels));
}

impl Samples for Histogram {
    fn samples(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (i, count) in self.counts.iter().enumerate() {
            cumulative += count.load(Ordering::Relaxed);
            let le = self
                .bounds
                .get(i)
                .map_or("+Inf".to_string(), |b| b.to_string());
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {cumulative}"
            );
        }
        let sum = self.sum_millionths.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum{} {sum}", braced(labels));
        let _ = writeln!(out, "{name}_count{} {cumulative}", braced(labels));
    }
}

fn braced(labels: &str) -> String {
    if labels.is_empty() {
        String::new()
    } else {
        format!("{{{labels}}}")
    }
}

/// One metric per set of label values.
struct Family<T> {
    members: Mutex<BTreeMap<String, std::sync::Arc<T>>>,
}

impl<T> Default for Family<T> {
    fn default() -> Self {
        Family {
            members: Mutex::new(BTreeMap::new()),
        }
    }
}

impl<T: Samples> Family<T> {
    fn get(&self, labels: &[(&str, &str)], new: impl FnOnce() -> T) -> std::sync::Arc<T> {
        let key = labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
            .collect::<Vec<_>>()
            .join(",");
        self.members
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_insert_with(|| std::sync::Arc::new(new()))
            .clone()
    }

    fn render(&self, out: &mut String, name: &str, kind: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        let members = self.members.lock().unwrap_or_else(PoisonError::into_inner);
        for (labels, metric) in members.iter() {
            metric.samples(out, name, labels);
        }
    }
}

/// A label value as the text format quotes it.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_counts_cumulatively_with_its_sum() {
        let h = Histogram::new(&[0.1, 1.0]);
        for v in [0.05, 0.5, 0.5, 3.0] {
            h.observe(v);
        }
        let mut out = String::new();
        h.samples(&mut out, "x", "route=\"/a\"");
        assert_eq!(
            out,
            "x_bucket{route=\"/a\",le=\"0.1\"} 1\nx_bucket{route=\"/a\",le=\"1\"} 3\n\
             x_bucket{route=\"/a\",le=\"+Inf\"} 4\nx_sum{route=\"/a\"} 4.05\nx_count{route=\"/a\"} 4\n"
        );
    }

    #[test]
    fn label_values_are_quoted_safely() {
        let family: Family<Counter> = Family::default();
        family.get(&[("route", "a\"b\\c")], Counter::default).add(2);
        let mut out = String::new();
        family.render(&mut out, "y_total", "counter", "Help.");
        assert!(out.ends_with("y_total{route=\"a\\\"b\\\\c\"} 2\n"), "{out}");
    }
}
