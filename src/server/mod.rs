//! Everything that runs only on the server: configuration, the service (the
//! order engine), the stores, the REST API, the live hub and the HTTP app.

pub mod api;
pub mod auth;
pub mod config;
pub mod data_move;
pub mod demo;
pub mod events;
pub mod http;
pub mod live;
pub mod mail;
pub mod metrics;
pub mod page_titles;
pub mod rate_limit;
pub mod secrets;
pub mod server_fns;
pub mod service;
pub mod store;
pub mod webhooks;
