// The admin console against the real server: orders arrive live, statuses
// move inline, cancelling returns stock, and the CSV export holds every
// matching order. Orders are placed through the REST API as a shop would.
import { test, expect, Page, APIRequestContext } from "@playwright/test";
import { ADMIN_PASSWORD, ADMIN_TOKEN } from "../playwright.config";

const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

async function signIn(page: Page) {
  await page.goto("/admin/login");
  await page.getByLabel("Password").fill(ADMIN_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

let skuCounter = 0;
async function product(request: APIRequestContext, stock: number) {
  const sku = `E2E-${Date.now()}-${skuCounter++}`;
  const r = await request.post("/api/products", { headers: admin, data: { name: `Kettle ${sku}`, sku, stock, price: 19.5 } });
  expect(r.status()).toBe(201);
  return (await r.json()) as { _id: string; sku: string };
}

async function order(request: APIRequestContext, sku: string, quantity: number, email = `c${Date.now()}${Math.random()}@example.com`) {
  const c = await request.post("/api/customers", { data: { name: "Grace Hopper", email, phone: "+1 555 0100 200" } });
  expect(c.status()).toBe(201);
  const customer = await c.json();
  const o = await request.post("/api/orders", { data: { customer: customer._id, items: [{ product: sku, quantity }] } });
  expect(o.status()).toBe(201);
  return (await o.json()) as { _id: string; number: string };
}

// Every test also proves the console stayed clean: no panics, no
// hydration warnings, no failed requests.
const consoleErrors = new WeakMap<Page, string[]>();
test.beforeEach(({ page }) => {
  const errors: string[] = [];
  page.on("console", (m) => ["error", "warning"].includes(m.type()) && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(e.message));
  consoleErrors.set(page, errors);
});
test.afterEach(({ page }) => {
  expect(consoleErrors.get(page) ?? []).toEqual([]);
});

test("a new order appears live and is marked PAID inline @hydrated", async ({ page, request }, testInfo) => {
  const p = await product(request, 10);
  await signIn(page);
  const placed = await order(request, p.sku, 2);
  const row = page.locator(`tr[data-order="${placed.number}"]`);
  await expect(row).toBeVisible();
  await expect(row.getByRole("status")).toHaveText("PENDING");
  await row.getByRole("button", { name: "PAID" }).click();
  await expect(row.getByRole("status")).toHaveText("PAID");
  await expect(page.getByText(`Order ${placed.number} is PAID`)).toBeVisible();
  const saved = await (await request.get(`/api/orders/${placed._id}`, { headers: admin })).json();
  expect(saved.status).toBe("PAID");
  expect(saved.paymentReceived).toBe(true);
  for (const [size, width] of [["desktop", 1280], ["mobile", 375]] as const) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: testInfo.outputPath(`admin-orders-${size}.png`), fullPage: true });
  }
});

test("cancelling returns the stock shown on the products screen @hydrated", async ({ page, request }) => {
  const p = await product(request, 7);
  const placed = await order(request, p.sku, 3);
  await signIn(page);
  await page.goto("/admin/products");
  const stock = page.locator(`tr[data-sku="${p.sku}"] .stock`);
  await expect(stock).toHaveText("4");
  const r = await request.patch(`/api/orders/${placed._id}/status`, { headers: admin, data: { status: "CANCELLED" } });
  expect(r.status()).toBe(200);
  await expect(stock).toHaveText("7");
});

test("the CSV export contains every order the filter matches @hydrated", async ({ page, request }) => {
  const p = await product(request, 100);
  const email = `csv${Date.now()}@example.com`;
  const placed = [];
  for (let i = 0; i < 3; i++) placed.push(await order(request, p.sku, 1, i === 0 ? email : undefined));
  // The filter: the first customer's email; only that order matches.
  await signIn(page);
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
  await signIn(page);
  for (const [path, heading] of [["/admin/dashboard", "Dashboard"], ["/admin/products", "Products"], ["/admin/customers", "Customers"]]) {
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(heading);
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
    await page.screenshot({ path: testInfo.outputPath(`${path.split("/").pop()}.png`), fullPage: true });
  }
  await expect(page.getByRole("link", { name: "Their orders" }).first()).toBeVisible();
});
