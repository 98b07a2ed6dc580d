// The pages render on the server, and — where JavaScript runs — hydrate and
// respond to clicks. The admin screens sit behind the sign-in page.
// Screenshots of each page, desktop and 375 px wide, are kept with the
// test results.
import { test, expect } from "@playwright/test";
import { addProduct, admin, collectErrors, placeOrder, screenshots, settled, signIn } from "./support";

test("the shop renders on the server, and hydrates where JavaScript runs", async ({ page, javaScriptEnabled }, testInfo) => {
  const errors = collectErrors(page);
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Order from Igniflo");
  await settled(page, javaScriptEnabled);
  await screenshots(page, testInfo, "shop");
  expect(errors).toEqual([]);
});

test("the admin signs in, sees the console and signs out", async ({ page, javaScriptEnabled }, testInfo) => {
  const errors = collectErrors(page);
  await signIn(page, { javaScriptEnabled, from: "/admin" });
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Orders");
  await settled(page, javaScriptEnabled);
  await screenshots(page, testInfo, "admin");
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/admin\/login$/);
  await page.goto("/admin");
  await expect(page).toHaveURL(/\/admin\/login$/);
  expect(errors).toEqual([]);
});

test("a wrong password keeps the console closed", async ({ page, javaScriptEnabled }) => {
  await signIn(page, { javaScriptEnabled, password: "not the password at all", from: "/admin" });
  await expect(page.getByRole("alert")).toHaveText("Wrong email or password.");
  await expect(page).toHaveURL(/\/admin\/login/);
  await expect(page.getByLabel("Password")).toHaveValue("");
  await expect(page).toHaveTitle("Staff sign-in · Igniflo");
});

test("customers find their way: a skip link, no console link, orders found as typed", async ({ page, request, javaScriptEnabled }) => {
  await page.goto("/");
  await settled(page, javaScriptEnabled);
  await expect(page.getByRole("navigation", { name: "Site" }).getByRole("link")).toHaveText(["Shop"]);
  const skip = page.getByRole("link", { name: "Skip to content" });
  await expect(skip).toHaveAttribute("href", "#main");
  await expect(page.locator("main#main")).toHaveCount(1);
  // The order number lower case and without its dash still finds the order.
  const p = await addProduct(request, { stock: 3 });
  const placed = await placeOrder(request, p.sku, 1, `find.${Date.now()}@example.com`);
  const email = (await (await request.get(`/api/orders/${placed._id}`, { headers: admin })).json()).customer.email;
  await page.goto("/track");
  await settled(page, javaScriptEnabled);
  await page.getByLabel("Order number").fill(placed.number.replace("-", "").toLowerCase());
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Find my order" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Order ${placed.number}`);
  // The title names the order, with the page running or not.
  await expect(page).toHaveTitle(`Order ${placed.number} · Igniflo`);
});

test("a product added with a decimal comma; the form is ready for the next one", async ({ page, javaScriptEnabled }) => {
  await signIn(page, { javaScriptEnabled });
  await expect(page).toHaveURL(/\/admin$/);
  await page.goto("/admin/products");
  await settled(page, javaScriptEnabled);
  await expect(page).toHaveTitle("Products · Igniflo admin");
  const sku = `COMMA-${Date.now()}`;
  const form = page.getByRole("form", { name: "Add a product" });
  await form.getByLabel("Name").fill("Comma kettle");
  await form.getByLabel("SKU").fill(sku);
  await form.getByLabel("Stock").fill("4");
  await form.getByLabel("Price").fill("34,90");
  await form.getByRole("button", { name: "Add product" }).click();
  await expect(page.locator(`tr[data-sku="${sku}"] td.num`).first()).toHaveText("$34.90");
  for (const field of ["Name", "SKU", "Stock", "Price"]) await expect(form.getByLabel(field)).toHaveValue("");
  if (javaScriptEnabled) {
    // The same refusal twice shows once.
    for (let i = 0; i < 2; i++) {
      await form.getByLabel("Name").fill("Comma kettle again");
      await form.getByLabel("SKU").fill(sku);
      await form.getByLabel("Stock").fill("1");
      await form.getByLabel("Price").fill("1");
      const answered = page.waitForResponse((r) => r.url().includes("/api/fn/add_product"));
      await form.getByRole("button", { name: "Add product" }).click();
      await answered;
      const refusal = page.locator(".toast-failure").filter({ hasText: `A product with SKU "${sku}" already exists` });
      await expect(refusal.first()).toBeVisible();
      await expect(refusal).toHaveCount(1);
    }
  }
});

test("the site's files come compressed and are kept for a year; pages are revalidated", async ({ page, request }) => {
  const sent: { url: string; encoding?: string; cache?: string; sniffing?: string; vary?: string }[] = [];
  page.on("response", (r) => {
    if (new URL(r.url()).pathname.startsWith("/pkg/")) {
      const h = r.headers();
      sent.push({ url: r.url(), encoding: h["content-encoding"], cache: h["cache-control"], sniffing: h["x-content-type-options"], vary: h["vary"] });
    }
  });
  const shop = await page.goto("/");
  expect(shop!.headers()["cache-control"]).toBe("no-cache");
  expect(shop!.headers()["content-encoding"]).toMatch(/^(br|gzip)$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Order from Igniflo");
  // The stylesheet at least, and the WASM and JS where JavaScript runs.
  expect(sent.length).toBeGreaterThan(0);
  for (const file of sent) {
    // A name that changes with the content: `igniflo.<hash>.css`, `chunk_3.<hash>.wasm`.
    expect(file.url).toMatch(/\/pkg\/[^/]+\.[A-Za-z0-9_-]{22}\.(js|wasm|css|json)$/);
    expect(file.cache).toBe("public, max-age=31536000, immutable");
    expect(file.encoding).toMatch(/^(br|gzip)$/);
    // A shared cache keeps each encoding apart.
    expect(file.vary).toContain("accept-encoding");
    expect(file.sniffing).toBe("nosniff");
  }
  // A file that is not there is not cached.
  const missing = await request.get("/pkg/igniflo.missing.js");
  expect(missing.headers()["cache-control"]).toBe("no-cache");
  expect(missing.headers()["x-frame-options"]).toBe("DENY");
});
