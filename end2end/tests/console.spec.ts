// The console as a shop owner meets it on day one, with JavaScript on and
// off: every screen's data is in the page the server sends, a status moves
// by a plain form post, cancelling asks first and keeps its reason, the
// filter form shows the filter the list shows, and the dashboard counts
// money received apart from money awaited. The customer's side of a
// cancellation says what is true now, and an unpaid order says how to pay.
import { test, expect, Page } from "@playwright/test";
import { PAYMENT_INSTRUCTIONS } from "../playwright.config";
import { addProduct, admin, collectErrors, placeOrder, screenshots, settled, shopMinute, signIn } from "./support";

const consoleErrors = new WeakMap<Page, string[]>();
test.beforeEach(({ page }) => {
  consoleErrors.set(page, collectErrors(page));
});
test.afterEach(({ page }) => {
  expect(consoleErrors.get(page) ?? []).toEqual([]);
});

async function signedInTo(page: Page, javaScriptEnabled: boolean) {
  await signIn(page, { javaScriptEnabled });
  await expect(page).toHaveURL(/\/admin$/);
  await settled(page, javaScriptEnabled);
}

test("every admin screen shows its data in the page the server sends", async ({ page, request, javaScriptEnabled }, testInfo) => {
  // Twelve screens, each loaded (and hydrated) twice: three times the usual time.
  test.slow();
  const p = await addProduct(request, { stock: 9, name: "Teapot" });
  const placed = await placeOrder(request, p.sku, 2);
  const order = await (await request.get(`/api/orders/${placed._id}`, { headers: admin })).json();
  // An endpoint nothing listens at, with one ping queued for it.
  const hook = `http://127.0.0.1:9/${javaScriptEnabled ? "js" : "no-js"}`;
  const endpoint = await (await request.post("/api/webhooks", { headers: admin, data: { url: hook, events: ["product.low_stock"] } })).json();
  const ping = await (await request.post(`/api/webhooks/${endpoint.id}/ping`, { headers: admin })).json();
  await signedInTo(page, javaScriptEnabled);
  const screens: [string, string, string][] = [
    ["/admin", "orders", `tr[data-order="${placed.number}"]`],
    [`/admin/orders/${placed._id}`, "order", `h1:has-text("${placed.number}")`],
    [`/admin/orders/${placed._id}/cancel`, "cancel", `h1:has-text("Cancel order ${placed.number}?")`],
    ["/admin/products", "products", `tr[data-sku="${p.sku}"]`],
    [`/admin/products/${p._id}/stock`, "stock-history", `td:text-is("Ordered")`],
    ["/admin/customers", "customers", `td:has-text("${order.customer.email}")`],
    ["/admin/dashboard", "dashboard", `.kpis`],
    ["/admin/webhooks", "webhooks-list", `tr[data-url="${hook}"]`],
    [`/admin/webhooks/${endpoint.id}`, "webhook-deliveries-list", `tr[data-event="${ping.eventId}"]`],
    ["/admin/staff", "staff-list", `tr[data-email="admin"]`],
    ["/admin/account", "account-screen", `.sessions li`],
    // The product was added with the admin token: staff activity.
    ["/admin/activity", "activity-log", `.activity-log li:has-text("${p.sku}")`],
  ];
  for (const [path, name, data] of screens) {
    // As sent: the data is in the HTML itself, not fetched later.
    const html = await (await page.request.get(path)).text();
    expect(html, path).not.toContain('class="loading"');
    await page.goto(path);
    await expect(page.locator(data).first(), path).toBeVisible();
    await expect(page.locator(".loading")).toHaveCount(0);
    await settled(page, javaScriptEnabled);
    await screenshots(page, testInfo, name);
  }
  expect((await request.delete(`/api/webhooks/${endpoint.id}`, { headers: admin })).status()).toBe(204);
});

test("on a phone each order in the list is a card with its status, total and moves in view", async ({ page, request, javaScriptEnabled }) => {
  const p = await addProduct(request, { stock: 9, name: "Teapot" });
  const placed = await placeOrder(request, p.sku, 2);
  await signedInTo(page, javaScriptEnabled);
  expect(await (await page.request.get("/admin")).text()).toContain(placed.number);
  await page.setViewportSize({ width: 375, height: 800 });
  await page.goto("/admin");
  await settled(page, javaScriptEnabled);
  const row = page.locator(`tr[data-order="${placed.number}"]`);
  for (const part of [row.locator(".badge"), row.getByRole("button", { name: `Mark order ${placed.number} PAID` }), row.getByRole("link", { name: `Cancel order ${placed.number}…` }), row.getByText("39.00")]) {
    await expect(part).toBeVisible();
    const box = (await part.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(375);
  }
});

test("an order is marked PAID from its page by a plain form post", async ({ page, request, javaScriptEnabled }) => {
  const p = await addProduct(request, { stock: 5 });
  const placed = await placeOrder(request, p.sku, 1);
  await signedInTo(page, javaScriptEnabled);
  await page.goto(`/admin/orders/${placed._id}`);
  await settled(page, javaScriptEnabled);
  // The title names the order, with the page running or not.
  await expect(page).toHaveTitle(`Order ${placed.number} · Igniflo admin`);
  await page.getByRole("button", { name: `Mark order ${placed.number} PAID` }).click();
  await expect(page).toHaveURL(new RegExp(`/admin/orders/${placed._id}$`));
  await expect(page.locator(".page-header .badge")).toHaveText("PAID");
  const saved = await (await request.get(`/api/orders/${placed._id}`, { headers: admin })).json();
  expect(saved.status).toBe("PAID");
  expect(saved.paymentReceived).toBe(true);
  // A move the lifecycle forbids is refused and said so: FULFILLED twice.
  await page.getByRole("button", { name: `Mark order ${placed.number} FULFILLED` }).click();
  await expect(page.locator(".page-header .badge")).toHaveText("FULFILLED");
  expect((await (await request.get(`/api/orders/${placed._id}`, { headers: admin })).json()).status).toBe("FULFILLED");
});

test("cancelling asks first, names the order, and keeps the reason", async ({ page, request, javaScriptEnabled }, testInfo) => {
  const p = await addProduct(request, { stock: 5, name: "Lamp" });
  const placed = await placeOrder(request, p.sku, 2);
  await signedInTo(page, javaScriptEnabled);
  // Without JavaScript "Cancel…" leads to a page that asks; once hydrated
  // it asks in a dialog (the next test), and the page is still there.
  if (javaScriptEnabled) {
    await page.goto(`/admin/orders/${placed._id}/cancel`);
  } else {
    await page.locator(`tr[data-order="${placed.number}"]`).getByRole("link", { name: `Cancel order ${placed.number}…` }).click();
  }
  await expect(page).toHaveURL(new RegExp(`/admin/orders/${placed._id}/cancel$`));
  await settled(page, javaScriptEnabled);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Cancel order ${placed.number}?`);
  await expect(page.getByText("cannot be undone")).toBeVisible();
  await expect(page.getByText("Its 2 items go back into stock:")).toBeVisible();
  await expect(page.getByRole("listitem").filter({ hasText: `2 × ${p.name} (${p.sku})` })).toBeVisible();
  await screenshots(page, testInfo, "cancel-confirmation");
  // Asking changed nothing yet.
  let saved = await (await request.get(`/api/orders/${placed._id}`, { headers: admin })).json();
  expect(saved.status).toBe("PENDING");
  // Keeping the order goes back to it, unchanged.
  await page.getByRole("link", { name: "Keep the order" }).click();
  await expect(page).toHaveURL(new RegExp(`/admin/orders/${placed._id}$`));
  await expect(page.locator(".page-header .badge")).toHaveText("PENDING");

  await page.goto(`/admin/orders/${placed._id}/cancel`);
  await settled(page, javaScriptEnabled);
  await page.getByLabel("Reason (optional, seen by staff only)").fill("Customer asked by phone");
  await page.getByRole("button", { name: `Cancel order ${placed.number}` }).click();
  await expect(page).toHaveURL(new RegExp(`/admin/orders/${placed._id}$`));
  await expect(page.locator(".page-header .badge")).toHaveText("CANCELLED");
  await expect(page.locator(".timeline li").first()).toContainText("Reason: Customer asked by phone");
  saved = await (await request.get(`/api/orders/${placed._id}`, { headers: admin })).json();
  expect(saved.status).toBe("CANCELLED");
  expect(saved.statusHistory.at(-1).reason).toBe("Customer asked by phone");
  expect((await (await request.get(`/api/products/${p._id}`)).json()).stock).toBe(5);
  // A cancelled order offers no cancelling.
  await page.goto(`/admin/orders/${placed._id}/cancel`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Order ${placed.number} cannot be cancelled`);
});

test("once hydrated, cancelling asks in a dialog over the list @hydrated", async ({ page, request }, testInfo) => {
  const p = await addProduct(request, { stock: 5, name: "Kettle" });
  const placed = await placeOrder(request, p.sku, 3);
  await signedInTo(page, true);
  const row = page.locator(`tr[data-order="${placed.number}"]`);
  const cancel = row.getByRole("link", { name: `Cancel order ${placed.number}…` });
  const dialog = page.getByRole("dialog", { name: `Cancel order ${placed.number}?` });
  await cancel.click();
  await expect(dialog).toBeVisible();
  await expect(page).toHaveURL(/\/admin$/);
  await expect(dialog.getByText("cannot be undone")).toBeVisible();
  await expect(dialog.getByText("Its 3 items go back into stock:")).toBeVisible();
  await expect(dialog.getByRole("listitem")).toHaveText(`3 × ${p.name} (${p.sku})`);
  await screenshots(page, testInfo, "cancel-dialog");
  // Keeping the order closes the dialog and changes nothing.
  await dialog.getByRole("button", { name: "Keep the order" }).click();
  await expect(dialog).toHaveCount(0);
  await expect(row.getByRole("status")).toHaveText("PENDING");
  expect((await (await request.get(`/api/orders/${placed._id}`, { headers: admin })).json()).status).toBe("PENDING");
  // Escape closes it too.
  await cancel.click();
  await expect(dialog).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(dialog).toHaveCount(0);
  // Confirmed, with a reason: the row says so, the stock is back.
  await cancel.click();
  await dialog.getByLabel("Reason (optional, seen by staff only)").fill("Duplicate order");
  await dialog.getByRole("button", { name: `Cancel order ${placed.number}` }).click();
  await expect(dialog).toHaveCount(0);
  await expect(row.getByRole("status")).toHaveText("CANCELLED");
  const saved = await (await request.get(`/api/orders/${placed._id}`, { headers: admin })).json();
  expect(saved.status).toBe("CANCELLED");
  expect(saved.statusHistory.at(-1).reason).toBe("Duplicate order");
  expect((await (await request.get(`/api/products/${p._id}`)).json()).stock).toBe(5);
});

test("the filter form shows the filter the list shows @hydrated", async ({ page, request }) => {
  const p = await addProduct(request, { stock: 5 });
  const placed = await placeOrder(request, p.sku, 1);
  await signedInTo(page, true);
  // From today to today, on the shop's calendar: today's orders (the last
  // day counts whole), and the row says when on the shop's clock.
  const today = shopMinute(new Date()).slice(0, 10);
  await page.goto(`/admin?from=${today}&to=${today}`);
  await expect(page.locator(`tr[data-order="${placed.number}"] td`).nth(1)).toHaveText(shopMinute(placed.createdAt));
  await expect(page.getByLabel("Placed to")).toHaveValue(today);
  await page.goto("/admin");
  await settled(page, true);
  const status = page.locator("select[name=status]");
  const search = page.locator("input[name=q]");
  await status.selectOption("PAID");
  await search.fill("nobody-matches-this");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/status=PAID/);
  await expect(page.getByText("No orders match.")).toBeVisible();
  await page.getByRole("link", { name: "Clear" }).click();
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.locator("tbody tr").first()).toBeVisible();
  await expect(status).toHaveValue("");
  await expect(search).toHaveValue("");
  // The Orders tab clears it too.
  await page.goto("/admin?status=CANCELLED");
  await settled(page, true);
  await expect(status).toHaveValue("CANCELLED");
  await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Orders" }).click();
  await expect(page).toHaveURL(/\/admin$/);
  await expect(status).toHaveValue("");
});

/** A dashboard figure as a number: "1,234.50" → 1234.5. */
async function figure(page: Page, label: string) {
  const text = await page.locator(".kpi").filter({ has: page.getByText(label, { exact: true }) }).locator(".kpi-value").innerText();
  return Number(text.replace(/[^0-9.]/g, ""));
}

test("the dashboard counts money received apart from money awaited", async ({ page, request, javaScriptEnabled }) => {
  await signedInTo(page, javaScriptEnabled);
  const read = async () => {
    await page.goto("/admin/dashboard");
    await settled(page, javaScriptEnabled);
    return { received: await figure(page, "Received today"), awaited: await figure(page, "Awaiting payment, last 30 days") };
  };
  const p = await addProduct(request, { stock: 10, price: 12.5 });
  const before = await read();
  const placed = await placeOrder(request, p.sku, 2);
  const pending = await read();
  expect(pending.received).toBeCloseTo(before.received, 2);
  expect(pending.awaited).toBeCloseTo(before.awaited + 25, 2);
  await request.patch(`/api/orders/${placed._id}/status`, { headers: admin, data: { status: "PAID" } });
  const paid = await read();
  expect(paid.received).toBeCloseTo(before.received + 25, 2);
  expect(paid.awaited).toBeCloseTo(before.awaited, 2);
  await request.patch(`/api/orders/${placed._id}/status`, { headers: admin, data: { status: "CANCELLED" } });
  const cancelled = await read();
  expect(cancelled.received).toBeCloseTo(before.received, 2);
});

test("an unpaid order says how to pay; a cancelled one no longer thanks", async ({ page, request, javaScriptEnabled }, testInfo) => {
  const p = await addProduct(request, { stock: 5 });
  const placed = await placeOrder(request, p.sku, 1);
  const tracking = `/track?token=${placed.trackingToken}&placed=1`;
  await page.goto(tracking);
  await settled(page, javaScriptEnabled);
  await expect(page.getByRole("heading", { name: "Thank you! Your order is placed." })).toBeVisible();
  await expect(page.getByRole("region", { name: "How to pay" })).toContainText(PAYMENT_INSTRUCTIONS);
  await expect(page.getByRole("region", { name: "How to pay" })).toContainText(placed.number);
  await screenshots(page, testInfo, "track-unpaid");

  await request.patch(`/api/orders/${placed._id}/status`, { headers: admin, data: { status: "CANCELLED" } });
  if (javaScriptEnabled) {
    // Live: the news arrives as a notice, not as a success.
    await expect(page.locator(".toast-notice")).toHaveText(/Your order is now CANCELLED\./);
    await expect(page.locator(".toast-success")).toHaveCount(0);
  } else {
    await page.goto(tracking);
  }
  await expect(page.locator(".page-header .badge, .tracker-header .badge")).toHaveText("CANCELLED");
  await expect(page.getByText("This order was cancelled.")).toBeVisible();
  await expect(page.getByText("Thank you! Your order is placed.")).toHaveCount(0);
  await expect(page.getByRole("region", { name: "How to pay" })).toHaveCount(0);
  await screenshots(page, testInfo, "track-cancelled");
});
