//! One module per face of Igniflo.

pub mod admin;
pub mod customer;
pub mod titles;
pub mod wire;

/// Declares lazily loaded routes in groups: built with `cargo leptos
/// --split`, each group's screens are one WASM module, fetched when one of
/// them is first shown (before it hydrates, on a page load). A module of its
/// own per screen split the code screens share into some two hundred small
/// pieces, each a request with its own headers and its own compression
/// dictionary: the orders list alone took a hundred responses. Screens used
/// together share a group; the first screens a visit shows (the orders
/// list, sign-in, tracking) stay small.
macro_rules! lazy_screens {
    ($($group:ident { $($route:ident => $page:path),+ $(,)? })+) => {$(
        #[allow(non_snake_case)]
        mod $group {
            use super::*;

            /// Which of the group's screens to show (named as its route is).
            #[derive(Clone, Copy)]
            #[allow(clippy::enum_variant_names)]
            pub enum Which {
                $($route),+
            }

            #[::leptos::wasm_split::wasm_split($group, wasm_split_path = ::leptos::wasm_split)]
            pub fn view(screen: Which) -> leptos::prelude::AnyView {
                match screen {
                    $(Which::$route => leptos::prelude::IntoAny::into_any($page()),)+
                }
            }
        }

        $(
            pub struct $route;

            impl leptos_router::LazyRoute for $route {
                fn data() -> Self {
                    $route
                }

                async fn view(_this: Self) -> leptos::prelude::AnyView {
                    // The page then asks the browser for the group's module
                    // before it hydrates.
                    #[cfg(feature = "ssr")]
                    leptos::prefetch_lazy_fn_on_server(stringify!($group));
                    $group::view($group::Which::$route).await
                }

                async fn preload() {
                    #[cfg(target_arch = "wasm32")]
                    $group::__wasm_split_preload_view().await;
                }
            }
        )+
    )+};
}
use lazy_screens;
