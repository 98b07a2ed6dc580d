//! Toasts: short messages about something that just happened (the seed
//! design's snackbars). They come only from events in the browser, so the
//! server renders an empty shelf and hydration has nothing to disagree on.

use leptos::prelude::*;
use std::time::Duration;

/// How long a success or notice stays up; failures stay until dismissed or
/// replaced, since they usually ask the reader to do something.
const SHOWN_FOR: Duration = Duration::from_secs(5);
/// Older toasts give way so the shelf never covers the page.
const MOST_SHOWN: usize = 3;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// Something the reader did worked.
    Success,
    /// News that is neither the reader's success nor a failure to act on,
    /// such as an order being cancelled: not styled as good news.
    Notice,
    Failure,
}

#[derive(Clone, Debug, PartialEq)]
struct Toast {
    id: u64,
    kind: Kind,
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
        self.push_for_a_while(Kind::Success, text.into());
    }

    pub fn notice(&self, text: impl Into<String>) {
        self.push_for_a_while(Kind::Notice, text.into());
    }

    pub fn failure(&self, text: impl Into<String>) {
        self.push(Kind::Failure, text.into());
    }

    fn push_for_a_while(&self, kind: Kind, text: String) {
        let id = self.push(kind, text);
        let shown = self.shown;
        set_timeout(
            move || shown.update(|list| list.retain(|t| t.id != id)),
            SHOWN_FOR,
        );
    }

    /// Shows `text`; the same message already shown gives way to it, so a
    /// repeated message appears once.
    fn push(&self, kind: Kind, text: String) -> u64 {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        self.shown.update(|list| {
            list.retain(|t| !(t.kind == kind && t.text == text));
            list.push(Toast { id, kind, text });
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
                    class=match toast.kind {
                        Kind::Success => "toast toast-success",
                        Kind::Notice => "toast toast-notice",
                        Kind::Failure => "toast toast-failure",
                    }
                    role=if toast.kind == Kind::Failure { "alert" } else { "status" }
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
