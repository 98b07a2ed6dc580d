//! Toasts: short messages about something that just happened (the seed
//! design's snackbars). They come only from events in the browser, so the
//! server renders an empty shelf and hydration has nothing to disagree on.

use leptos::prelude::*;
use std::time::Duration;

/// How long a success stays up; failures stay until dismissed or replaced,
/// since they usually ask the reader to do something.
const SUCCESS_SHOWN_FOR: Duration = Duration::from_secs(5);
/// Older toasts give way so the shelf never covers the page.
const MOST_SHOWN: usize = 3;

#[derive(Clone, Debug, PartialEq)]
struct Toast {
    id: u64,
    failure: bool,
    text: String,
}

/// The page's toast shelf; `provide` it once per page, `use_toasts` below.
#[derive(Clone, Copy)]
pub struct Toasts {
    shown: RwSignal<Vec<Toast>>,
    next_id: StoredValue<u64>,
}

impl Toasts {
    pub fn provide() -> Toasts {
        let toasts = Toasts {
            shown: RwSignal::new(Vec::new()),
            next_id: StoredValue::new(0),
        };
        provide_context(toasts);
        toasts
    }

    pub fn success(&self, text: impl Into<String>) {
        let id = self.push(false, text.into());
        let shown = self.shown;
        set_timeout(
            move || shown.update(|list| list.retain(|t| t.id != id)),
            SUCCESS_SHOWN_FOR,
        );
    }

    pub fn failure(&self, text: impl Into<String>) {
        self.push(true, text.into());
    }

    fn push(&self, failure: bool, text: String) -> u64 {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        self.shown.update(|list| {
            list.push(Toast { id, failure, text });
            let excess = list.len().saturating_sub(MOST_SHOWN);
            list.drain(..excess);
        });
        id
    }
}

pub fn use_toasts() -> Toasts {
    expect_context::<Toasts>()
}

/// Where the toasts appear: fixed to the bottom of the viewport, announced
/// politely (failures assertively) to screen readers.
#[component]
pub fn ToastShelf() -> impl IntoView {
    let toasts = use_toasts();
    view! {
        <div class="toasts" aria-live="polite">
            <For each=move || toasts.shown.get() key=|t| t.id let:toast>
                <div
                    class=if toast.failure { "toast toast-failure" } else { "toast toast-success" }
                    role=if toast.failure { "alert" } else { "status" }
                >
                    <span>{toast.text}</span>
                    <button
                        type="button"
                        class="toast-close"
                        aria-label="Dismiss"
                        on:click=move |_| toasts.shown.update(|list| list.retain(|t| t.id != toast.id))
                    >
                        "×"
                    </button>
                </div>
            </For>
        </div>
    }
}
