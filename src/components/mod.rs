//! Views shared by the customer and admin pages.

pub mod live;
pub mod status_badge;
pub mod toast;
pub use status_badge::OrderStatusBadge;

/// A new idempotency key for one form, so that the form sent twice (a
/// double click, a retry after a lost answer) acts once. Empty if no random
/// source answers: the form then acts without one.
pub fn random_key() -> String {
    let mut bytes = [0u8; 16];
    #[cfg(feature = "ssr")]
    let filled = getrandom::fill(&mut bytes).is_ok();
    #[cfg(not(feature = "ssr"))]
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        return String::new();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
