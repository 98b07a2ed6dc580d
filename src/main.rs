//! The Igniflo server: configuration → store → service → router → serve.
//!
//! `igniflo` serves, configured by the environment (see ARCHITECTURE.md).
//! `igniflo --demo` also adds a small demo catalogue to an empty database.
//! `igniflo migrate --from URL --to URL` copies all data between stores.
//! `igniflo check-stock` reconciles every product's stock with its ledger.
//! `igniflo backup --to FILE` copies the SQLite database while it serves.

use axum::serve::Listener as _;
use igniflo::server::config::{Config, Database};
use igniflo::server::data_move;
use igniflo::server::demo;
use igniflo::server::http::{listen, router, AppState};
use igniflo::server::live::LiveHub;
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
    match args.first().map(String::as_str) {
        Some("migrate") => return data_move::run(&args[1..]).await,
        Some("backup") => return back_up(&args[1..]).await,
        Some("add-staff") => return add_staff(&args[1..]).await,
        _ => {}
    }
    let mut seed_demo = false;
    let mut set_password = false;
    let mut check_stock = false;
    for arg in &args {
        match arg.as_str() {
            "--demo" => seed_demo = true,
            "set-admin-password" => set_password = true,
            "check-stock" => check_stock = true,
            "--help" | "-h" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?}; see --help")),
        }
    }
    let config = Config::from_env()?;
    igniflo::domain::Currency::set_shop(config.currency);
    igniflo::domain::shop_time::set_shop_zone(config.time_zone.clone());
    let store = open_store(&config.database).await?;
    let service =
        Service::new(store, LiveHub::default()).with_public_url(config.public_url.clone());
    if set_password {
        return set_admin_password_from_stdin(&service).await;
    }
    if check_stock {
        let checked = check_stock_against_ledger(&service).await;
        service.close().await;
        return checked;
    }
    if service.ready().await.is_ok() {
        set_up_admin_password(&service, &config).await?;
    } else {
        // Serve (503s) while the database is down; set the login up when it answers.
        tracing::warn!("the database is not answering; serving 503 until it does");
        let (service, config) = (service.clone(), config.clone());
        tokio::spawn(async move {
            while service.ready().await.is_err() {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            if let Err(e) = set_up_admin_password(&service, &config).await {
                tracing::error!("{e}");
            }
        });
    }
    let mut service = service.send_webhooks(config.webhooks);
    match &config.mail {
        Some(mail) => service = service.send_mail(mail.clone())?,
        None => tracing::info!("IGNIFLO_SMTP_URL is not set: no emails will be sent"),
    }
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
    // cargo-leptos names the site's files by their hashes and leaves the
    // names beside the server binary, where Leptos reads them.
    leptos_options.hash_files |= std::env::current_exe()
        .is_ok_and(|exe| exe.with_file_name(&*leptos_options.hash_file).exists());
    let app = router(
        AppState::new(leptos_options, service.clone(), &config),
        &config,
    );
    let listener = listen(config.addr)
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

const USAGE: &str = "usage: igniflo [--demo]
       igniflo set-admin-password    (reads the new password from standard input)
       igniflo migrate --from URL --to URL [--force]    (copies all data between stores)
       igniflo check-stock    (exit 0 when every product's stock is the sum of its ledger)
       igniflo backup --to FILE    (a checked copy of the SQLite database, taken while it serves)
       igniflo add-staff --email EMAIL --role OWNER|MANAGER|PACKER|VIEWER [--name NAME]
           (adds a staff member and prints their one-time set-password link)

Serves Igniflo, configured by the environment: LEPTOS_SITE_ADDR, PORT,
DATABASE_URL, CLIENT_URL, IGNIFLO_ADMIN_PASSWORD, IGNIFLO_ADMIN_TOKEN,
IGNIFLO_TRUST_PROXY, IGNIFLO_RATE_PUBLIC, IGNIFLO_RATE_ORDERS,
IGNIFLO_RATE_LOGIN, IGNIFLO_RATE_TOKEN, IGNIFLO_CURRENCY, IGNIFLO_DEFAULT_COUNTRY,
IGNIFLO_PAYMENT_INSTRUCTIONS, IGNIFLO_TIMEZONE, IGNIFLO_METRICS_TOKEN,
IGNIFLO_WEBHOOK_ALLOW_PRIVATE, IGNIFLO_WEBHOOK_FIRST_RETRY,
IGNIFLO_WEBHOOK_GIVE_UP_AFTER, IGNIFLO_SMTP_URL, IGNIFLO_MAIL_FROM,
IGNIFLO_STAFF_ALERT_EMAIL, IGNIFLO_PUBLIC_URL, RUST_LOG.
--demo  add a small demo catalogue when the catalogue is empty";

/// `IGNIFLO_ADMIN_PASSWORD` wins; with none ever set, a first start makes
/// one up and prints it once.
async fn set_up_admin_password(service: &Service, config: &Config) -> Result<(), String> {
    if let Some(password) = &config.admin_password {
        return service
            .set_admin_password(password)
            .await
            .map_err(|e| format!("IGNIFLO_ADMIN_PASSWORD: {e}"));
    }
    if let Some(generated) = service
        .ensure_admin_password()
        .await
        .map_err(|e| e.to_string())?
    {
        // Printed, never logged: logs are kept and shipped.
        println!(
            "\n  Igniflo admin login: user \"admin\", password {generated}\n  \
             (shown once; change it with `igniflo set-admin-password` or IGNIFLO_ADMIN_PASSWORD)\n"
        );
    }
    Ok(())
}

async fn set_admin_password_from_stdin(service: &Service) -> Result<(), String> {
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .map_err(|e| format!("cannot read the password: {e}"))?;
    let password = password.trim_end_matches(['\r', '\n']);
    service
        .set_admin_password(password)
        .await
        .map_err(|e| e.to_string())?;
    service.close().await;
    println!("The admin password is set; every admin session has ended.");
    Ok(())
}

async fn open_store(database: &Database) -> Result<SharedStore, String> {
    Ok(match database {
        Database::Sqlite(path) => Arc::new(SqliteStore::open(path)?),
        Database::Mongo(url) => Arc::new(MongoStore::connect(url).await?),
    })
}

/// `igniflo add-staff --email E --role ROLE [--name N]`: adds a staff member
/// and prints their one-time set-password link.
async fn add_staff(args: &[String]) -> Result<(), String> {
    const USAGE: &str =
        "usage: igniflo add-staff --email EMAIL --role OWNER|MANAGER|PACKER|VIEWER [--name NAME]";
    let (mut email, mut role, mut name) = (None, None, None);
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let value = rest.next().ok_or(USAGE)?;
        match flag.as_str() {
            "--email" => email = Some(value.clone()),
            "--role" => role = Some(value.parse().map_err(|()| USAGE)?),
            "--name" => name = Some(value.clone()),
            _ => return Err(USAGE.into()),
        }
    }
    let (Some(email), Some(role)) = (email, role) else {
        return Err(USAGE.into());
    };
    let config = Config::from_env()?;
    let store = open_store(&config.database).await?;
    let service = Service::new(store, LiveHub::default()).with_public_url(config.public_url);
    let added = service
        .add_staff_from_cli(&email, role, name.as_deref())
        .await
        .map_err(|e| e.to_string());
    service.close().await;
    let added = added?;
    println!(
        "Added {} ({}) as {}.\nTheir set-password link, valid until {} (once):\n  {}",
        added.member.name,
        added.member.email,
        added.member.role.label(),
        added.link_expires_at,
        added.set_password_link
    );
    Ok(())
}

/// `igniflo backup --to FILE`: the database named by `DATABASE_URL`, copied
/// and checked (see `store::sqlite::backup`). MongoDB has its own tools.
async fn back_up(args: &[String]) -> Result<(), String> {
    let target = match args {
        [flag, file] if flag == "--to" => std::path::PathBuf::from(file),
        _ => return Err("usage: igniflo backup --to FILE".into()),
    };
    let config = Config::from_env()?;
    let Database::Sqlite(source) = &config.database else {
        return Err(
            "igniflo backup copies a SQLite database; back MongoDB up with mongodump \
             or your provider's snapshots (see the README)"
                .into(),
        );
    };
    let orders = igniflo::server::store::sqlite::backup::back_up(source.as_ref(), &target).await?;
    println!(
        "Backed up to {}: {orders} orders; the copy passed SQLite's integrity check and every product's stock matches its ledger.",
        target.display()
    );
    Ok(())
}

/// `igniflo check-stock`: proves that every product's stock is the sum of
/// its ledger's movements, or lists those where it is not (and fails).
async fn check_stock_against_ledger(service: &Service) -> Result<(), String> {
    let mismatches = service
        .stock_mismatches()
        .await
        .map_err(|e| format!("could not check the stock: {e}"))?;
    if mismatches.is_empty() {
        println!("Every product's stock is the sum of its ledger.");
        return Ok(());
    }
    println!(
        "{:<24} {:<26} {:>12} {:>12}",
        "SKU", "product", "stock", "ledger"
    );
    for m in &mismatches {
        println!(
            "{:<24} {:<26} {:>12} {:>12}",
            m.sku, m.product, m.stock, m.ledger
        );
    }
    Err(format!(
        "{} product(s) disagree with their stock ledger",
        mismatches.len()
    ))
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
