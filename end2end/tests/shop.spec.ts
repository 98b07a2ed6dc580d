// The customer's side: picking products, placing an order, following it
// live and finding it again — hydrated, and with JavaScript off (the forms
// then post themselves). Data is set up and changed through the REST API,
// as an integration or the admin would.
import { test, expect, Page, TestInfo } from "@playwright/test";
import { addProduct, admin, collectErrors, fillAddress, Product, screenshots, settled } from "./support";

function card(page: Page, product: Product) {
  return page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: product.name }) });
}

async function addToCart(page: Page, product: Product, inCart: number) {
  await card(page, product).getByRole("button", { name: `Add to cart: ${product.name}` }).click();
  await expect(card(page, product).getByText(`${inCart} in cart`)).toBeVisible();
}

async function fillDetails(page: Page, email: string) {
  await page.getByLabel("Name", { exact: true }).fill("Ada Lovelace");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Phone", { exact: true }).fill("+44 20 7946 0958");
  await fillAddress(page);
}

function uniqueEmail(testInfo: TestInfo) {
  return `ada.${testInfo.project.name}.${Date.now()}@example.com`;
}

/** Places an order for `quantity` units through the shop; ends on the confirmation. */
async function placeOrder(page: Page, product: Product, quantity: number, email: string, javaScriptEnabled: boolean) {
  await page.goto("/");
  await settled(page, javaScriptEnabled);
  await addToCart(page, product, 1);
  await page.getByLabel(`Quantity of ${product.name}`).fill(String(quantity));
  await fillDetails(page, email);
  await page.getByRole("button", { name: "Place order" }).click();
  await expect(page).toHaveURL(/\/track\?token=[0-9a-f]{32}&placed=1$/);
  await expect(page.getByRole("heading", { name: "Thank you! Your order is placed." })).toBeVisible();
  await settled(page, javaScriptEnabled);
}

test("a customer orders through the shop and sees the confirmation", async ({ page, request, javaScriptEnabled }, testInfo) => {
  const errors = collectErrors(page);
  const mug = await addProduct(request, { name: "Ember mug", stock: 10, price: 14.5 });
  await page.goto("/");
  await settled(page, javaScriptEnabled);
  await addToCart(page, mug, 1);
  const quantity = page.getByLabel(`Quantity of ${mug.name}`);
  if (javaScriptEnabled) {
    await page.getByRole("button", { name: `One more ${mug.name}` }).click();
    await expect(quantity).toHaveValue("2");
    await expect(page.locator(".order-total")).toHaveText("Total $29.00");
  } else {
    await quantity.fill("2");
  }
  await fillDetails(page, uniqueEmail(testInfo));
  await screenshots(page, testInfo, "shop-with-cart");
  await page.getByRole("button", { name: "Place order" }).click();

  await expect(page).toHaveURL(/\/track\?token=[0-9a-f]{32}&placed=1$/);
  await settled(page, javaScriptEnabled);
  const number = await page.locator(".confirmation .order-number").innerText();
  expect(number).toMatch(/^[0-9A-Z]{5}-[0-9A-Z]{5}$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Order ${number}`);
  await expect(page.locator(".tracker-header .badge")).toHaveText("PENDING");
  const line = page.getByRole("row").filter({ hasText: mug.sku });
  await expect(line.getByRole("cell")).toHaveText([`${mug.name} ${mug.sku}`, "2", "$14.50", "$29.00"]);
  await expect(page.locator(".items .total")).toHaveText("$29.00");
  await expect(page.getByText("a••@example.com")).toBeVisible();
  await screenshots(page, testInfo, "tracking");

  const stock = await (await request.get(`/api/products/${mug._id}`)).json();
  expect(stock.stock).toBe(8);
  expect(errors).toEqual([]);
});

test("the tracking page follows status changes live @hydrated", async ({ page, request }, testInfo) => {
  const errors = collectErrors(page);
  const kettle = await addProduct(request, { name: "Gooseneck kettle", stock: 5, price: 69 });
  await placeOrder(page, kettle, 1, uniqueEmail(testInfo), true);
  const number = await page.locator(".confirmation .order-number").innerText();
  const [order] = await (await request.get(`/api/orders?q=${number}`, { headers: admin })).json();
  await page.evaluate(() => ((window as any).sameDocument = true));

  for (const [status, milestone] of [["PAID", "Payment received"], ["FULFILLED", "Everything has shipped"]]) {
    const changed = await request.patch(`/api/orders/${order._id}/status`, { headers: admin, data: { status } });
    expect(changed.status()).toBe(200);
    await expect(page.locator(".tracker-header .badge")).toHaveText(status);
    await expect(page.locator(".timeline li").first()).toContainText(milestone);
    await expect(page.getByRole("status").filter({ hasText: `Your order is now ${status}.` })).toBeVisible();
  }
  // Placed, paid, the one parcel the seed's FULFILLED ships, fulfilled.
  await expect(page.locator(".timeline li")).toHaveCount(4);
  await expect(page.locator(".timeline li").nth(1)).toContainText(`Shipped 1 × ${kettle.sku}`);
  expect(await page.evaluate(() => (window as any).sameDocument)).toBe(true);
  expect(errors).toEqual([]);
});

test("a line someone else just sold out is refused beside it, and nothing typed is lost", async ({ page, request, javaScriptEnabled }, testInfo) => {
  const grinder = await addProduct(request, { name: "Burr grinder", stock: 3, price: 129 });
  // Hold the live feed's messages, as a slow connection would, so the page
  // still believes 3 are in stock and the refusal comes from the server.
  const held: (() => void)[] = [];
  let holding = false;
  await page.routeWebSocket(/\/ws/, (ws) => {
    const server = ws.connectToServer();
    server.onMessage((message) => (holding ? held.push(() => ws.send(message)) : ws.send(message)));
  });
  await page.goto("/");
  await settled(page, javaScriptEnabled);
  await addToCart(page, grinder, 1);
  const quantity = page.getByLabel(`Quantity of ${grinder.name}`);
  await quantity.fill("3");
  const email = uniqueEmail(testInfo);
  await fillDetails(page, email);
  holding = true;

  const customer = await (
    await request.post("/api/customers", {
      data: { name: "Someone else", email: `other.${email}`, phone: "5551234567" },
    })
  ).json();
  const sold = await request.post("/api/orders", {
    data: { customer: customer._id, items: [{ product: grinder.sku, quantity: 2 }] },
  });
  expect(sold.status()).toBe(201);

  await page.getByRole("button", { name: "Place order" }).click();
  const line = page.getByRole("listitem").filter({ has: page.getByLabel(`Quantity of ${grinder.name}`) });
  await expect(line.locator(".field-error")).toHaveText("Only 1 in stock: lower the quantity.");
  await expect(page).toHaveURL(/\/(\?|#|$)/);
  await expect(page.getByText("Your order was not placed: please check the highlighted fields.")).toBeVisible();
  await expect(quantity).toHaveValue("3");
  await expect(quantity).toHaveAttribute("aria-invalid", "true");
  if (javaScriptEnabled) {
    await expect(page.getByRole("alert").filter({ hasText: "Not placed. Only 1 in stock" })).toBeVisible();
  }
  await expect(page.getByLabel("Email", { exact: true })).toHaveValue(email);
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue("Ada Lovelace");
  await expect(page.getByLabel("Phone", { exact: true })).toHaveValue("+44 20 7946 0958");
  await expect(page.getByLabel("Street and number")).toHaveValue("Hauptstrasse 1");
  await expect(page.getByLabel("Country")).toHaveValue("DE");
  await screenshots(page, testInfo, "shop-refused");

  // Lowering the quantity to what is left places the order.
  holding = false;
  held.forEach((send) => send());
  await quantity.fill("1");
  await page.getByRole("button", { name: "Place order" }).click();
  await expect(page).toHaveURL(/\/track\?token=/);
});

test("the browser catches a quantity above the stock before sending @hydrated", async ({ page, request }, testInfo) => {
  const dripper = await addProduct(request, { name: "Pour-over dripper", stock: 2, price: 29 });
  await page.goto("/");
  await settled(page, true);
  await addToCart(page, dripper, 1);
  await page.getByLabel(`Quantity of ${dripper.name}`).fill("5");
  const line = page.getByRole("listitem").filter({ has: page.getByLabel(`Quantity of ${dripper.name}`) });
  await expect(line.locator(".field-error")).toHaveText("Only 2 in stock: lower the quantity.");
  await page.getByLabel("Email", { exact: true }).fill("not-an-email");
  await page.getByLabel("Email", { exact: true }).blur();
  await expect(page.locator("#email-error")).toHaveText("Email must be an email address like name@example.com.");
  await page.getByRole("button", { name: "Place order" }).click();
  await expect(page.locator("#name-error")).toHaveText("Name must not be empty.");
  await expect(page.getByRole("alert").filter({ hasText: "Please correct the highlighted fields." })).toBeVisible();
  await expect(page).toHaveURL(/\/$/);

  // Stock arriving live clears the problem.
  await request.patch(`/api/products/${dripper._id}`, { headers: admin, data: { stock: 9 } });
  await expect(card(page, dripper).getByText("9 in stock")).toBeVisible();
  await expect(line.locator(".field-error")).toBeHidden();
});

test("a customer finds an order again by number and email", async ({ page, request, javaScriptEnabled }, testInfo) => {
  const filters = await addProduct(request, { name: "Paper filters", stock: 50, price: 5.99 });
  const email = uniqueEmail(testInfo);
  await placeOrder(page, filters, 3, email, javaScriptEnabled);
  const number = await page.locator(".confirmation .order-number").innerText();
  const firstLink = page.url();

  await page.goto("/track");
  await settled(page, javaScriptEnabled);
  await page.getByLabel("Order number").fill(number);
  await page.getByLabel("Email").fill("someone.else@example.com");
  await page.getByRole("button", { name: "Find my order" }).click();
  await expect(page.getByText("No order matches this number and email.").first()).toBeVisible();

  await page.getByLabel("Order number").fill(number.toLowerCase());
  await page.getByLabel("Email").fill(email.toUpperCase());
  await page.getByRole("button", { name: "Find my order" }).click();
  await expect(page).toHaveURL(/\/track\?token=[0-9a-f]{32}$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Order ${number}`);

  await page.goto(firstLink);
  await expect(page.getByRole("alert")).toContainText("does not lead to an order");
});

test("the catalogue is searchable, and sold-out products show but cannot be added", async ({ page, request, javaScriptEnabled }, testInfo) => {
  const tumbler = await addProduct(request, { name: "Travel tumbler", stock: 0, price: 22 });
  const beans = await addProduct(request, { name: "Whole beans", stock: 60, price: 24.5 });
  await page.goto("/");
  await settled(page, javaScriptEnabled);
  await expect(card(page, tumbler).getByText("Out of stock")).toBeVisible();
  await expect(card(page, tumbler).getByRole("button", { name: `Sold out: ${tumbler.name}` })).toBeDisabled();

  const search = page.getByLabel("Search by name or SKU");
  await search.fill(beans.sku.toLowerCase());
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await expect(page.locator(".product")).toHaveCount(1);
  await expect(card(page, beans)).toBeVisible();

  await search.fill("no product is called this");
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await expect(page.getByText("No product matches “no product is called this”.")).toBeVisible();
});

test("on a phone the cart shortcut stays clear of the field being filled in", async ({ page, request, javaScriptEnabled }) => {
  const p = await addProduct(request, { stock: 4 });
  await page.setViewportSize({ width: 375, height: 800 });
  await page.goto(`/?cart=${p._id}:1`);
  await settled(page, javaScriptEnabled);
  const shortcut = page.getByRole("link", { name: /View your cart/ });
  await expect(shortcut).toBeVisible();
  for (const field of ["Name", "Email"]) {
    await page.getByLabel(field, { exact: true }).focus();
    await expect(shortcut).toBeHidden();
  }
  await page.getByLabel("Phone", { exact: true }).focus();
  await expect(shortcut).toBeHidden();
  await page.getByLabel("Search by name or SKU").focus();
  await expect(shortcut).toBeVisible();
});
