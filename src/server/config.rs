//! Configuration, read once at start from the environment (and `.env`).
//! The names are those of ARCHITECTURE.md.

use crate::domain::shop_time::ShopZone;
use crate::domain::webhook::RetryPolicy;
use crate::domain::{Currency, COUNTRIES};
use crate::server::mail::MailSettings;
use crate::server::webhooks::WebhookSettings;
use std::net::SocketAddr;

#[derive(Clone, Debug)]
pub struct Config {
    /// `LEPTOS_SITE_ADDR`, with its port replaced by `PORT` when set (PaaS).
    pub addr: SocketAddr,
    /// `DATABASE_URL` (or the seed's `MONGO_URI`): `sqlite://PATH` or `mongodb://…`.
    pub database: Database,
    /// `CLIENT_URL`: the one origin CORS allows; none means same origin only.
    pub client_url: Option<String>,
    /// `IGNIFLO_ADMIN_PASSWORD`: set as the admin password at start.
    pub admin_password: Option<String>,
    /// `IGNIFLO_ADMIN_TOKEN`: bearer token for scripts and integrations.
    pub admin_token: Option<String>,
    /// `IGNIFLO_METRICS_TOKEN`: a bearer token that may read `/metrics` (and
    /// nothing else), for a Prometheus server.
    pub metrics_token: Option<String>,
    /// `IGNIFLO_TRUST_PROXY=1`: the client address is the last one in
    /// `X-Forwarded-For`, and `X-Forwarded-Proto: https` marks cookies Secure.
    /// Off by default: anyone can send those headers.
    pub trust_proxy: bool,
    pub limits: RateLimits,
    /// `IGNIFLO_PAYMENT_INSTRUCTIONS`: how a customer pays (bank details, a
    /// payment link), shown on the confirmation and tracking pages while an
    /// order is unpaid.
    pub payment_instructions: Option<String>,
    /// `IGNIFLO_CURRENCY` (ISO 4217, default USD): what every price and
    /// order is in.
    pub currency: Currency,
    /// `IGNIFLO_DEFAULT_COUNTRY` (ISO 3166-1 alpha-2, default US): the
    /// country the checkout's address starts with.
    pub default_country: String,
    /// `IGNIFLO_TIMEZONE` (an IANA name, default UTC): the zone people read
    /// times and pick days in; instants are stored in UTC.
    pub time_zone: ShopZone,
    /// `IGNIFLO_WEBHOOK_ALLOW_PRIVATE`, `IGNIFLO_WEBHOOK_FIRST_RETRY` and
    /// `IGNIFLO_WEBHOOK_GIVE_UP_AFTER` (seconds; 10 and a day by default).
    pub webhooks: WebhookSettings,
    /// `IGNIFLO_SMTP_URL`, `IGNIFLO_MAIL_FROM`, `IGNIFLO_STAFF_ALERT_EMAIL`
    /// and `IGNIFLO_PUBLIC_URL`: none without an SMTP URL (no email is sent).
    pub mail: Option<MailSettings>,
    /// `IGNIFLO_PUBLIC_URL`: the shop's address, for links handed to people
    /// (emails, set-password links).
    pub public_url: Option<String>,
}

/// Requests per minute per client address (`IGNIFLO_RATE_*`); requests
/// with a staff API token (or the admin token) count against that token's
/// own limit instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimits {
    /// `IGNIFLO_RATE_PUBLIC`: any API request.
    pub public: u32,
    /// `IGNIFLO_RATE_ORDERS`: placing orders and registering customers.
    pub orders: u32,
    /// `IGNIFLO_RATE_LOGIN`: sign-in attempts.
    pub login: u32,
    /// `IGNIFLO_RATE_TOKEN`: any request, per API token.
    pub token: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            public: 600,
            orders: 60,
            login: 10,
            token: 6000,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Database {
    Sqlite(String),
    Mongo(String),
}

impl Config {
    pub fn from_env() -> Result<Config, String> {
        let _ = dotenvy::dotenv();
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let mut addr: SocketAddr = var("LEPTOS_SITE_ADDR")
            .unwrap_or_else(|| "127.0.0.1:3000".into())
            .parse()
            .map_err(|e| format!("LEPTOS_SITE_ADDR is not an address: {e}"))?;
        if let Some(port) = var("PORT") {
            addr.set_port(
                port.parse()
                    .map_err(|_| format!("PORT is not a port number: {port}"))?,
            );
        }
        let url = var("DATABASE_URL")
            .or_else(|| var("MONGO_URI"))
            .unwrap_or_else(|| "sqlite://igniflo.db".into());
        let per_minute = |name: &str, default: u32| -> Result<u32, String> {
            match var(name) {
                None => Ok(default),
                Some(v) => v.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    format!("{name} must be a positive whole number of requests per minute")
                }),
            }
        };
        let defaults = RateLimits::default();
        let admin_token = var("IGNIFLO_ADMIN_TOKEN");
        if admin_token.as_ref().is_some_and(|t| t.len() < 16) {
            return Err("IGNIFLO_ADMIN_TOKEN must be at least 16 characters".into());
        }
        let metrics_token = var("IGNIFLO_METRICS_TOKEN");
        if metrics_token.as_ref().is_some_and(|t| t.len() < 16) {
            return Err("IGNIFLO_METRICS_TOKEN must be at least 16 characters".into());
        }
        let payment_instructions = var("IGNIFLO_PAYMENT_INSTRUCTIONS");
        if payment_instructions
            .as_ref()
            .is_some_and(|t| t.chars().count() > 2000)
        {
            return Err("IGNIFLO_PAYMENT_INSTRUCTIONS must be at most 2000 characters".into());
        }
        let currency = match var("IGNIFLO_CURRENCY") {
            Some(code) => code.parse().map_err(|e| format!("IGNIFLO_CURRENCY: {e}"))?,
            None => Currency::default(),
        };
        let default_country = var("IGNIFLO_DEFAULT_COUNTRY")
            .unwrap_or_else(|| "US".into())
            .trim()
            .to_ascii_uppercase();
        if !COUNTRIES.iter().any(|(code, _)| *code == default_country) {
            return Err(format!(
                "IGNIFLO_DEFAULT_COUNTRY must be an ISO 3166-1 alpha-2 code such as US or DE, not {default_country:?}"
            ));
        }
        let time_zone = match var("IGNIFLO_TIMEZONE") {
            Some(name) => name
                .trim()
                .parse()
                .map_err(|e| format!("IGNIFLO_TIMEZONE: {e}"))?,
            None => ShopZone::default(),
        };
        let seconds = |name: &str, default_ms: i64| -> Result<i64, String> {
            match var(name) {
                None => Ok(default_ms),
                Some(v) => v
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && *s > 0.0 && *s < 1e9)
                    .map(|s| (s * 1000.0).round().max(1.0) as i64)
                    .ok_or_else(|| format!("{name} must be a positive number of seconds")),
            }
        };
        let retries = RetryPolicy::default();
        let webhooks = WebhookSettings {
            allow_private: var("IGNIFLO_WEBHOOK_ALLOW_PRIVATE")
                .is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true")),
            retries: RetryPolicy {
                first_ms: seconds("IGNIFLO_WEBHOOK_FIRST_RETRY", retries.first_ms)?,
                give_up_after_ms: seconds(
                    "IGNIFLO_WEBHOOK_GIVE_UP_AFTER",
                    retries.give_up_after_ms,
                )?,
            },
        };
        let public_url = var("IGNIFLO_PUBLIC_URL")
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            .map(|u| u.trim_end_matches('/').to_string());
        let mail = match var("IGNIFLO_SMTP_URL") {
            None => None,
            Some(smtp_url) => Some(MailSettings {
                smtp_url,
                from: var("IGNIFLO_MAIL_FROM")
                    .unwrap_or_else(|| "Igniflo <igniflo@localhost>".into()),
                staff_alert: var("IGNIFLO_STAFF_ALERT_EMAIL"),
                // Emails link to the shop: an address only this machine
                // knows would reach customers as broken links.
                shop_url: public_url
                    .clone()
                    .ok_or("IGNIFLO_SMTP_URL needs IGNIFLO_PUBLIC_URL, the shop's address for the links in emails (e.g. https://shop.example.com)")?,
                payment_instructions: payment_instructions.clone(),
            }),
        };
        Ok(Config {
            addr,
            database: Database::parse(&url)?,
            client_url: var("CLIENT_URL"),
            admin_password: var("IGNIFLO_ADMIN_PASSWORD"),
            admin_token,
            metrics_token,
            trust_proxy: var("IGNIFLO_TRUST_PROXY")
                .is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true")),
            limits: RateLimits {
                public: per_minute("IGNIFLO_RATE_PUBLIC", defaults.public)?,
                orders: per_minute("IGNIFLO_RATE_ORDERS", defaults.orders)?,
                login: per_minute("IGNIFLO_RATE_LOGIN", defaults.login)?,
                token: per_minute("IGNIFLO_RATE_TOKEN", defaults.token)?,
            },
            payment_instructions,
            currency,
            default_country,
            time_zone,
            webhooks,
            mail,
            public_url,
        })
    }
}

impl Database {
    pub fn parse(url: &str) -> Result<Database, String> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("DATABASE_URL sqlite:// needs a file path".into());
            }
            Ok(Database::Sqlite(path.to_string()))
        } else if url.starts_with("mongodb://") || url.starts_with("mongodb+srv://") {
            Ok(Database::Mongo(url.to_string()))
        } else {
            Err("DATABASE_URL must start with sqlite://, mongodb:// or mongodb+srv://".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls() {
        assert_eq!(
            Database::parse("sqlite://igniflo.db"),
            Ok(Database::Sqlite("igniflo.db".into()))
        );
        assert_eq!(
            Database::parse("sqlite:///var/lib/x.db"),
            Ok(Database::Sqlite("/var/lib/x.db".into()))
        );
        assert!(matches!(
            Database::parse("mongodb+srv://a/b"),
            Ok(Database::Mongo(_))
        ));
        assert!(Database::parse("postgres://x").is_err());
        assert!(Database::parse("sqlite://").is_err());
    }
}
