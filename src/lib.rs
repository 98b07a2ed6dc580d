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
    use leptos::tachys::dom::body;
    console_error_panic_hook::set_once();
    // Asynchronous: `/track` and the admin screens are WASM modules of their
    // own (`cargo leptos --split`), fetched before their part of the page
    // hydrates.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    leptos::task::spawn_local(async {
        leptos::mount::hydrate_from_async(body(), app::App)
            .await
            .forget();
        // Browser tests wait for this instead of sleeping. Set only now,
        // when every part of the page (lazy screens too) has hydrated.
        let _ = body().dataset().set("hydrated", "true");
    });
}
