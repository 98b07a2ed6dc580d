//! One module per face of Igniflo.

pub mod admin;
pub mod customer;
pub mod titles;

/// Declares lazily loaded routes: built with `cargo leptos --split`, each
/// screen's code is a WASM chunk of its own, fetched when the screen is
/// first shown (before it hydrates, on a page load).
macro_rules! lazy_screen {
    ($($route:ident => $page:path),+ $(,)?) => {$(
        pub struct $route;

        #[leptos_router::lazy_route]
        impl leptos_router::LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> leptos::prelude::AnyView {
                leptos::prelude::IntoAny::into_any($page())
            }
        }
    )+};
}
use lazy_screen;
