#![recursion_limit = "256"]
//! Igniflo: an order management system. One crate: the Leptos pages (rendered
//! on the server, hydrated in the browser), the domain shared by both, and —
//! behind the `ssr` feature — the server: service, stores, REST API, live hub.

pub mod app;
pub mod components;
pub mod domain;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
