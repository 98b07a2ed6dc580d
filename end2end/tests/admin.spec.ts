// The admin console against the real server: orders arrive live, statuses
// move inline, cancelling returns stock, and the CSV export holds every
// matching order. Orders are placed through the REST API as a shop would.
import { test, expect, Page } from "@playwright/test";
import { addProduct, admin, collectErrors, placeOrder, screenshots, settled, shopMinute, signedIn } from "./support";

// Every test also proves the console stayed clean: no panics, no
// hydration warnings, no failed requests.
const consoleErrors = new WeakMap<Page, string[]>();
test.beforeEach(({ page }) => {
  consoleErrors.set(page, collectErrors(page));
});
test.afterEach(({ page }) => {
  expect(consoleErrors.get(page) ?? []).toEqual([]);
});

test("a new order appears live and is marked PAID inline @hydrated", async ({ page, request }, testInfo) => {
  const p = await addProduct(request, { stock: 10 });
  await signedIn(page);
  const placed = await placeOrder(request, p.sku, 2);
  const row = page.locator(`tr[data-order="${placed.number}"]`);
  await expect(row).toBeVisible();
  await expect(row.getByRole("status")).toHaveText("PENDING");
  // Drawn in the browser, on the shop's clock (India's, UTC+5:30), as the
  // server draws the rows it sends.
  await expect(row.locator("td").nth(1)).toHaveText(shopMinute(placed.createdAt));
  await row.getByRole("button", { name: "PAID" }).click();
  await expect(row.getByRole("status")).toHaveText("PAID");
  await expect(page.getByText(`Order ${placed.number} is PAID`)).toBeVisible();
  const saved = await (await request.get(`/api/orders/${placed._id}`, { headers: admin })).json();
  expect(saved.status).toBe("PAID");
  expect(saved.paymentReceived).toBe(true);
  await screenshots(page, testInfo, "admin-orders");
});

test("cancelling returns the stock shown on the products screen @hydrated", async ({ page, request }) => {
  const p = await addProduct(request, { stock: 7 });
  const placed = await placeOrder(request, p.sku, 3);
  await signedIn(page);
  await page.goto("/admin/products");
  const stock = page.locator(`tr[data-sku="${p.sku}"] .stock`);
  await expect(stock).toHaveText("4");
  const r = await request.patch(`/api/orders/${placed._id}/status`, { headers: admin, data: { status: "CANCELLED" } });
  expect(r.status()).toBe(200);
  await expect(stock).toHaveText("7");
});

test("the CSV export contains every order the filter matches @hydrated", async ({ page, request }) => {
  const p = await addProduct(request, { stock: 100 });
  const email = `csv${Date.now()}@example.com`;
  const placed = [];
  for (let i = 0; i < 3; i++) placed.push(await placeOrder(request, p.sku, 1, i === 0 ? email : undefined));
  // The filter: the first customer's email; only that order matches.
  await signedIn(page);
  await page.goto(`/admin?q=${encodeURIComponent(email)}`);
  await expect(page.locator("tbody tr")).toHaveCount(1);
  const href = await page.getByRole("link", { name: "Export CSV" }).getAttribute("href");
  const csv = await (await page.request.get(href!)).text();
  const lines = csv.trim().split("\r\n");
  expect(lines[0]).toBe("number,id,placed_at,status,customer,email,phone,items,total,payment_received,updated_at");
  expect(lines).toHaveLength(2);
  expect(lines[1]).toContain(placed[0].number);
  // Without a filter the export holds all of them.
  const all = await (await page.request.get("/api/orders/export.csv")).text();
  for (const o of placed) expect(all).toContain(o.number);
});

test("the dashboard, products and customers screens render @hydrated", async ({ page }, testInfo) => {
  await signedIn(page);
  for (const [path, heading] of [["/admin/dashboard", "Dashboard"], ["/admin/products", "Products"], ["/admin/customers", "Customers"]]) {
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(heading);
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
    await page.screenshot({ path: testInfo.outputPath(`${path.split("/").pop()}.png`), fullPage: true });
  }
  await expect(page.getByRole("link", { name: "Their orders" }).first()).toBeVisible();
});

test("the stock history shows every change of a product's stock @hydrated", async ({ page, request }, testInfo) => {
  const p = await addProduct(request, { stock: 12, name: "Moka pot" });
  const placed = await placeOrder(request, p.sku, 5);
  const cancelled = await request.patch(`/api/orders/${placed._id}/status`, { headers: admin, data: { status: "CANCELLED" } });
  expect(cancelled.status()).toBe(200);
  const adjusted = await request.patch(`/api/products/${p._id}`, { headers: admin, data: { stockAdjustment: -4 } });
  expect(adjusted.status()).toBe(200);
  await signedIn(page);
  await page.goto("/admin/products");
  // The products table is laid out as one: each header stands over its column.
  // Measured once the page is hydrated and the row is in view, not mid-render.
  const row = page.locator(`tr[data-sku="${p.sku}"]`);
  await expect(row).toBeVisible();
  await settled(page, true);
  const headerLefts = await page.locator("table thead th").evaluateAll((ths) => ths.map((th) => Math.round(th.getBoundingClientRect().left)));
  const rowLefts = await row.locator("td").evaluateAll((tds) => tds.map((td) => Math.round(td.getBoundingClientRect().left)));
  expect(rowLefts).toEqual(headerLefts);
  await screenshots(page, testInfo, "products");
  // At phone width the table scrolls inside its frame; the page itself does not scroll sideways.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  await row.getByRole("link", { name: "Stock history" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Stock history: ${p.name}`);
  await expect(page.getByText(`SKU ${p.sku} · 8 in stock · low at 5 or fewer`)).toBeVisible();
  // Newest first: what happened, by how much, what it left, and who did it
  // (here the integration's admin token).
  const rows = page.locator("table.ledger tbody tr");
  await expect(rows).toHaveCount(4);
  const cells = async (i: number) => (await rows.nth(i).locator("td").allInnerTexts()).map((t) => t.trim());
  expect((await cells(0)).slice(1)).toEqual(["Adjusted by hand", "-4", "8", "", "Admin token"]);
  expect((await cells(1)).slice(1)).toEqual(["Order cancelled", "+5", "12", "Order", "Admin token"]);
  expect((await cells(2)).slice(1)).toEqual(["Ordered", "-5", "7", "Order", "customer"]);
  expect((await cells(3)).slice(1)).toEqual(["Received", "+12", "12", "", "Admin token"]);
  // Laid out as a table: the columns line up across rows.
  const firstCells = await rows.nth(0).locator("td").evaluateAll((tds) => tds.map((td) => td.getBoundingClientRect().left));
  const lastCells = await rows.nth(3).locator("td").evaluateAll((tds) => tds.map((td) => td.getBoundingClientRect().left));
  expect(lastCells).toEqual(firstCells);
  expect(new Set(firstCells).size).toBe(6);
  await rows.nth(2).getByRole("link", { name: "Order" }).click();
  await expect(page).toHaveURL(new RegExp(`/admin/orders/${placed._id}$`));
  await page.goBack();
  await screenshots(page, testInfo, "stock-history");
});
