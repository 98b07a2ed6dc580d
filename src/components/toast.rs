//! Toasts (the seed design's snackbars): short messages that confirm a
//! success or explain a failure, announced to screen readers and gone after
//! a few seconds.

use leptos::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToastKind {
    Success,
    Failure,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Toast {
    id: u64,
    kind: ToastKind,
    message: String,
}

/// The handle pages use to show a toast; provided by `<Toasts/>`.
#[derive(Clone, Copy)]
pub struct Toaster {
    shown: RwSignal<Vec<Toast>>,
    next_id: StoredValue<u64>,
}

/// How long a toast stays.
const TOAST_MS: u64 = 4_000;

impl Toaster {
    pub fn show(&self, kind: ToastKind, message: impl Into<String>) {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        self.shown.update(|t| {
            t.push(Toast {
                id,
                kind,
                message: message.into(),
            })
        });
        let shown = self.shown;
        set_timeout(
            move || shown.update(|t| t.retain(|toast| toast.id != id)),
            std::time::Duration::from_millis(TOAST_MS),
        );
    }

    pub fn success(&self, message: impl Into<String>) {
        self.show(ToastKind::Success, message);
    }

    pub fn failure(&self, message: impl Into<String>) {
        self.show(ToastKind::Failure, message);
    }
}

pub fn use_toaster() -> Toaster {
    expect_context::<Toaster>()
}

/// Provides the `Toaster` and shows its toasts.
#[component]
pub fn Toasts(children: Children) -> impl IntoView {
    let toaster = Toaster {
        shown: RwSignal::new(Vec::new()),
        next_id: StoredValue::new(0),
    };
    provide_context(toaster);
    view! {
        {children()}
        <div class="toasts" role="status" aria-live="polite">
            <For each=move || toaster.shown.get() key=|t| t.id let:toast>
                <div class=match toast.kind {
                    ToastKind::Success => "toast toast-success",
                    ToastKind::Failure => "toast toast-failure",
                }>{toast.message}</div>
            </For>
        </div>
    }
}
