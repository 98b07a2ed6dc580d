//! `/admin/products`: the catalogue — add products, rename, reprice, adjust
//! stock; stock levels follow orders live.

use super::fns::{admin_products, AddProduct, UpdateProduct};
use super::{allows, AdminNav, SignedInStaff};
use crate::components::live::follow_live_feed;
use crate::components::toast::use_toasts;
use crate::domain::{Id, LiveMessage, Permission, Product};
use leptos::prelude::*;
use leptos_meta::Title;
use std::collections::HashMap;

#[component]
pub fn ProductsPage() -> impl IntoView {
    let add = ServerAction::<AddProduct>::new();
    let update = ServerAction::<UpdateProduct>::new();
    let products = Resource::new(
        move || (add.version().get(), update.version().get()),
        |_| admin_products(),
    );
    let live: RwSignal<HashMap<Id, Product>> = RwSignal::new(HashMap::new());
    Effect::new(move |_| {
        products.track();
        live.set(HashMap::new());
    });
    follow_live_feed(Vec::new(), move |message| match message {
        LiveMessage::ProductUpdated(p) => live.update(|l| {
            l.insert(p.id, p);
        }),
        LiveMessage::Resync => products.refetch(),
        LiveMessage::LowStock(p) => use_toasts().failure(format!(
            "{} ({}) is low on stock: {} left",
            p.name, p.sku, p.stock
        )),
        LiveMessage::OrderUpdated(_) => {}
    });
    let toaster = use_toasts();
    let staff = SignedInStaff::of_page();
    let add_form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| match add.value().get() {
        Some(Ok(p)) => {
            toaster.success(format!("Added {}", p.name));
            // Ready for the next product.
            if let Some(form) = add_form.get_untracked() {
                form.reset();
            }
        }
        Some(Err(e)) => toaster.failure(format!("The product was not added: {e}")),
        None => {}
    });
    Effect::new(move |_| match update.value().get() {
        Some(Ok(p)) => toaster.success(format!(
            "Saved {}: {} in stock at {}",
            p.name, p.stock, p.price
        )),
        Some(Err(e)) => toaster.failure(format!("Not saved: {e}")),
        None => {}
    });
    view! {
        <AdminNav/>
        <Title text="Products · Igniflo admin"/>
        <section class="page">
            <h1>"Products"</h1>
            // Only roles that manage the catalogue see its forms.
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    allows(staff.role().await, Permission::ManageCatalogue).then(|| view! {
                        <ActionForm action=add node_ref=add_form attr:class="inline-form" attr:aria-label="Add a product">
                            <label>"Name" <input name="name" required maxlength="200"/></label>
                            <label>"SKU" <input name="sku" required maxlength="64"/></label>
                            <label>"Stock" <input name="stock" type="number" min="0" step="1" required/></label>
                            <label>"Price" <input name="price" inputmode="decimal" required placeholder="12.50"/></label>
                            <button class="button" type="submit">"Add product"</button>
                        </ActionForm>
                    })
                })}
            </Transition>
            <Transition fallback=|| view! { <p class="loading">"Loading products…"</p> }>
                {move || Suspend::new(async move {
                    let edits = allows(staff.role().await, Permission::ManageCatalogue);
                    match products.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty">"No products yet."</p> }.into_any(),
                        Ok(list) => {
                            let rows = move || {
                                live.with(|updated| list.iter().map(|p| updated.get(&p.id).unwrap_or(p).clone()).collect::<Vec<_>>())
                            };
                            view! {
                                <div class="table-wrap">
                                    <table class="product-table">
                                        <thead><tr>
                                            <th scope="col">"Name"</th><th scope="col">"SKU"</th>
                                            <th scope="col" class="num">"Price"</th><th scope="col" class="num">"Stock"</th>
                                            {edits.then(|| view! { <th scope="col">"Change"</th> })}
                                        </tr></thead>
                                        <tbody>
                                            <For each=rows key=|p| (p.id, p.stock, p.price, p.name.clone()) let:product>
                                                <ProductRow product update edits/>
                                            </For>
                                        </tbody>
                                    </table>
                                </div>
                            }.into_any()
                        }
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ProductRow(product: Product, update: ServerAction<UpdateProduct>, edits: bool) -> impl IntoView {
    let marker = if product.stock == 0 {
        Some(("marker out", "Out of stock"))
    } else if product.is_low_on_stock() {
        Some(("marker low", "Low stock"))
    } else {
        None
    };
    let adjust_label = format!("Stock adjustment for {}", product.sku);
    view! {
        <tr data-sku=product.sku.clone()>
            <td>{product.name.clone()} " " <a class="history" href=format!("/admin/products/{}/stock", product.id)>"Stock history"</a></td>
            <td>{product.sku.clone()}</td>
            <td class="num">{product.currency.format(product.price)}</td>
            <td class="num">
                <span class="stock">{product.stock}</span>
                {marker.map(|(class, label)| view! { " " <span class=class>{label}</span> })}
            </td>
            {edits.then(|| view! { <td>
                <ActionForm action=update attr:class="row-form">
                    <input type="hidden" name="id" value=product.id.to_string()/>
                    <label class="visually-hidden" for=format!("name-{}", product.id)>"New name"</label>
                    <input id=format!("name-{}", product.id) name="name" placeholder="New name" maxlength="200"/>
                    <label class="visually-hidden" for=format!("price-{}", product.id)>"New price"</label>
                    <input id=format!("price-{}", product.id) name="price" placeholder="Price" inputmode="decimal" size="7"/>
                    <input id=format!("adjust-{}", product.id) name="stock_adjustment" placeholder="±stock" size="6" aria-label=adjust_label/>
                    <button class="button small" type="submit">"Save"</button>
                </ActionForm>
            </td> })}
        </tr>
    }
}
