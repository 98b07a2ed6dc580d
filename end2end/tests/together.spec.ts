// The whole loop in two browsers at once: a customer orders through the shop,
// the admin (a second browser context, signed in) sees the order arrive
// without reloading and marks it PAID, and the customer's tracking page
// changes live.
import { test, expect } from "@playwright/test";
import { addProduct, collectErrors, fillAddress, settled, signedIn } from "./support";

test("an order travels from the shop to the admin and back, live @hydrated", async ({ browser, request }) => {
  const { name } = await addProduct(request, { name: "Burr grinder", stock: 3, price: 129 });

  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  const adminErrors = collectErrors(admin);
  await signedIn(admin);
  await admin.evaluate(() => ((window as any).neverReloaded = true));

  const customerContext = await browser.newContext();
  const customer = await customerContext.newPage();
  const customerErrors = collectErrors(customer);
  await customer.goto("/");
  await settled(customer, true);
  const card = customer.getByRole("listitem").filter({ has: customer.getByRole("heading", { name }) });
  await card.getByRole("button", { name: `Add to cart: ${name}` }).click();
  await customer.getByLabel("Name", { exact: true }).fill("Grace Hopper");
  await customer.getByLabel("Email", { exact: true }).fill(`grace.${Date.now()}@example.com`);
  await customer.getByLabel("Phone", { exact: true }).fill("+1 555 0100 200");
  await fillAddress(customer, "Grace Hopper");
  await customer.getByRole("button", { name: "Place order" }).click();
  await expect(customer).toHaveURL(/\/track\?token=/);
  await settled(customer, true);
  const number = await customer.locator(".confirmation .order-number").innerText();
  await expect(customer.locator(".tracker-header .badge")).toHaveText("PENDING");

  const row = admin.locator(`tr[data-order="${number}"]`);
  await expect(row).toBeVisible();
  await row.getByRole("button", { name: "PAID" }).click();
  await expect(row.getByRole("status")).toHaveText("PAID");
  expect(await admin.evaluate(() => (window as any).neverReloaded)).toBe(true);

  await expect(customer.locator(".tracker-header .badge")).toHaveText("PAID");
  expect(adminErrors).toEqual([]);
  expect(customerErrors).toEqual([]);
  await adminContext.close();
  await customerContext.close();
});
