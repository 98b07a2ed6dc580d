//! Configuration, read once at start from the environment (and `.env`).
//! The names are those of ARCHITECTURE.md.

use std::net::SocketAddr;

#[derive(Clone, Debug)]
pub struct Config {
    /// `LEPTOS_SITE_ADDR`, with its port replaced by `PORT` when set (PaaS).
    pub addr: SocketAddr,
    /// `DATABASE_URL` (or the seed's `MONGO_URI`): `sqlite://PATH` or `mongodb://…`.
    pub database: Database,
    /// `CLIENT_URL`: the one origin CORS allows; none means same origin only.
    pub client_url: Option<String>,
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
        Ok(Config {
            addr,
            database: Database::parse(&url)?,
            client_url: var("CLIENT_URL"),
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
