//! The admin console: orders, one order, products, customers, dashboard,
//! webhooks.
//! Signed-in admins only: full page loads are redirected to `/admin/login`
//! by the server; client-side visits are sent there by `AdminNav`; every
//! server function checks again on its own.

pub mod account;
pub mod activity;
pub mod customers;
pub mod dashboard;
pub mod fns;
pub mod fulfillment;
pub mod login;
pub mod order_actions;
pub mod order_detail;
pub mod orders;
pub mod packing_slip;
pub mod products;
pub mod session;
pub mod staff;
pub mod stock_history;
pub mod webhooks;

use crate::domain::{AppError, Permission, Role, SignedIn};
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};
use session::{admin_session, AdminLogout};

// The console's screens, in WASM modules of their own (shoppers never
// download the console), grouped by what is used together.
super::lazy_screens! {
    console_orders {
        OrdersScreen => orders::OrdersPage,
    }
    // The cancel page is the one without JavaScript; with it, the list and
    // the order page ask in a dialog.
    console_order {
        OrderDetailScreen => order_detail::OrderDetailPage,
        PackingSlipScreen => packing_slip::PackingSlipPage,
        CancelOrderScreen => order_actions::CancelOrderPage,
    }
    console_catalogue {
        ProductsScreen => products::ProductsPage,
        StockHistoryScreen => stock_history::StockHistoryPage,
    }
    console_sign_in {
        LoginScreen => login::LoginPage,
        SetPasswordScreen => account::SetPasswordPage,
    }
    // The back office: customers, staff, one's own account, the activity
    // log, the dashboard and the webhooks.
    console_back_office {
        CustomersScreen => customers::CustomersPage,
        StaffScreen => staff::StaffPage,
        AccountScreen => account::AccountPage,
        ActivityScreen => activity::ActivityPage,
        DashboardScreen => dashboard::DashboardPage,
        WebhooksScreen => webhooks::WebhooksPage,
        WebhookDeliveriesScreen => webhooks::WebhookDeliveriesPage,
    }
}

/// Who is signed in: one resource per page, shared by its screen and its
/// nav, so the page offers only what the role may do (the server refuses
/// the rest anyway).
#[derive(Clone, Copy)]
pub struct SignedInStaff(Resource<Result<Option<SignedIn>, AppError>>);

impl SignedInStaff {
    /// The page's resource, made on first use.
    pub fn of_page() -> SignedInStaff {
        if let Some(known) = use_context::<SignedInStaff>() {
            return known;
        }
        let staff = SignedInStaff(Resource::new(|| (), |_| admin_session()));
        provide_context(staff);
        staff
    }

    /// The role, once known (none when signed out).
    pub async fn role(self) -> Option<Role> {
        self.0.await.ok().flatten().map(|s| s.role)
    }

    pub async fn who(self) -> Option<SignedIn> {
        self.0.await.ok().flatten()
    }
}

/// Whether `role` allows `permission`; nothing is allowed while unknown.
pub fn allows(role: Option<Role>, permission: Permission) -> bool {
    role.is_some_and(|r| r.may(permission))
}

/// The console's tabs and the sign-out button, on every admin screen: only
/// the tabs the role may open.
#[component]
pub fn AdminNav() -> impl IntoView {
    let signed_in = SignedInStaff::of_page();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(None)) = signed_in.0.get() {
            navigate("/admin/login", Default::default());
        }
    });
    let logout = ServerAction::<AdminLogout>::new();
    let path = use_location().pathname;
    let tab = move |href: &'static str, label: &'static str| {
        let current = move || {
            let p = path.get();
            if href == "/admin" {
                p == "/admin" || p.starts_with("/admin/orders")
            } else {
                p.starts_with(href)
            }
        };
        view! { <a href=href class:current=current aria-current=move || current().then_some("page")>{label}</a> }
    };
    let tabs = move || {
        Suspend::new(async move {
            let role = signed_in.role().await;
            let may = move |p| allows(role, p);
            view! {
                {tab("/admin", "Orders")}
                {may(Permission::SeeStock).then(|| tab("/admin/products", "Products"))}
                {may(Permission::SeeCustomers).then(|| tab("/admin/customers", "Customers"))}
                {may(Permission::SeeReports).then(|| tab("/admin/dashboard", "Dashboard"))}
                {may(Permission::SeeReports).then(|| tab("/admin/activity", "Activity"))}
                {may(Permission::ManageWebhooks).then(|| tab("/admin/webhooks", "Webhooks"))}
                {may(Permission::ManageStaff).then(|| tab("/admin/staff", "Staff"))}
                {tab("/admin/account", "Account")}
            }
        })
    };
    view! {
        <nav class="admin-nav" aria-label="Admin">
            <Transition fallback=move || tab("/admin", "Orders")>{tabs}</Transition>
            <ActionForm action=logout attr:class="sign-out">
                <button class="button secondary small" type="submit">"Sign out"</button>
            </ActionForm>
        </nav>
    }
}
