//! The Igniflo server: configuration → store → service → router → serve.
//!
//! `igniflo` serves, configured by the environment (see ARCHITECTURE.md).
//! `igniflo --demo` also adds a small demo catalogue to an empty database.
//! `igniflo migrate --from URL --to URL` copies all data between stores.

use igniflo::server::app::{router, AppState};
use igniflo::server::config::{Config, Database};
use igniflo::server::demo;
use igniflo::server::live::LiveHub;
use igniflo::server::migrate;
use igniflo::server::service::Service;
use igniflo::server::store::{mongo::MongoStore, sqlite::SqliteStore, SharedStore};
use leptos::prelude::get_configuration;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tracing_subscriber::EnvFilter;

/// How long requests in flight may take to finish after SIGTERM.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    match serve(std::env::args().skip(1).collect()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("igniflo: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: Vec<String>) -> Result<(), String> {
    if args.first().map(String::as_str) == Some("migrate") {
        return migrate::run(&args[1..]).await;
    }
    let mut seed_demo = false;
    for arg in &args {
        match arg.as_str() {
            "--demo" => seed_demo = true,
            "--help" | "-h" => {
                println!("usage: igniflo [--demo]\n       {}\n\nServes Igniflo; configure it with LEPTOS_SITE_ADDR, PORT, DATABASE_URL, CLIENT_URL, RUST_LOG.\n--demo  add a small demo catalogue when the catalogue is empty", migrate::USAGE);
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?}; see --help")),
        }
    }
    let config = Config::from_env()?;
    let store: SharedStore = match &config.database {
        Database::Sqlite(path) => Arc::new(SqliteStore::open(path)?),
        Database::Mongo(url) => Arc::new(MongoStore::connect(url).await?),
    };
    let hub = LiveHub::default();
    let service = Service::new(store, hub.clone());
    if seed_demo {
        let added = demo::seed_if_empty(&service).await?;
        if added > 0 {
            tracing::info!(products = added, "added the demo catalogue");
        }
    }
    let mut leptos_options = get_configuration(None)
        .map_err(|e| e.to_string())?
        .leptos_options;
    leptos_options.site_addr = config.addr;
    if leptos_options.output_name.is_empty() {
        // Built by plain cargo (tests, benchmarks) rather than cargo-leptos.
        leptos_options.output_name = "igniflo".into();
    }
    let state = AppState {
        leptos_options,
        service: service.clone(),
        hub,
    };
    let app = router(state, &config);
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.addr))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!("listening on http://{addr}");
    println!("igniflo listening on http://{addr}");
    // After the signal, requests in flight get a grace period to finish;
    // long-lived ones (socket.io long polling) do not hold the exit longer.
    let (stopping_tx, mut stopping_rx) = tokio::sync::watch::channel(false);
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing requests in flight");
        let _ = stopping_tx.send(true);
    });
    let grace = async move {
        let _ = stopping_rx.wait_for(|stopping| *stopping).await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        served = server => served.map_err(|e| e.to_string())?,
        _ = grace => tracing::warn!("requests still open after {SHUTDOWN_GRACE:?}; closing anyway"),
    }
    tracing::info!("stopped taking requests; closing the database");
    service.close().await;
    tracing::info!("shut down cleanly");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("install the SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => {},
        _ = term.recv() => {},
    }
}
