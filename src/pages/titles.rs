//! The titles of the screens that name one record, written once. A screen
//! sets its title when its record has loaded, which on the server is after
//! the head has gone out; so the server looks the record up first
//! (`server::page_titles`) and the shell's `<Title>` names it in the head
//! it sends.

/// The title the server found for this request's record.
#[derive(Clone, Debug)]
pub struct RecordTitle(pub String);

pub fn order(number: &str) -> String {
    for_head(format!("Order {number} · Igniflo admin"))
}

pub fn cancel_order(number: &str) -> String {
    for_head(format!("Cancel order {number}? · Igniflo admin"))
}

pub fn packing_slip(number: &str) -> String {
    for_head(format!("Packing slip {number} · Igniflo admin"))
}

pub fn stock_history(product_name: &str) -> String {
    for_head(format!("Stock history: {product_name} · Igniflo admin"))
}

pub fn webhook_deliveries(url: &str) -> String {
    for_head(format!("Deliveries: {url} · Igniflo admin"))
}

/// The customer's tracking page.
pub fn tracked_order(number: &str) -> String {
    for_head(format!("Order {number} · Igniflo"))
}

/// The server writes a title into the head as it is (leptos_meta does not
/// escape it), and a product's name is whatever staff typed: escaped there,
/// it cannot close the title and add markup. The browser sets
/// `document.title`, which is text already.
fn for_head(title: String) -> String {
    if cfg!(feature = "ssr") {
        title
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    } else {
        title
    }
}
