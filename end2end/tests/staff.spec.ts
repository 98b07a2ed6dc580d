// Staff with roles: the owner adds a packer, who sets a password with the
// one-time link, signs in, sees only the packer's tabs, ships a paid order
// without being offered a refund, and is named on the order's timeline.
import { test, expect } from "@playwright/test";
import { addProduct, admin, collectErrors, placeOrder, screenshots, settled, signedIn } from "./support";

test("an owner adds a packer who ships an order and is named on its timeline @hydrated", async ({ browser, page, request }, testInfo) => {
  const ownerErrors = collectErrors(page);
  const product = await addProduct(request, { name: "Tea tin", stock: 10, price: 14 });
  const order = await placeOrder(request, product.sku, 2);
  const paid = await request.patch(`/api/orders/${order._id}/status`, { headers: admin, data: { status: "PAID" } });
  expect(paid.status()).toBe(200);

  await signedIn(page);
  await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Staff" }).click();
  await expect(page.getByRole("heading", { name: "Staff", level: 1 })).toBeVisible();
  await settled(page, true);
  const email = `pat.${Date.now()}@example.com`;
  const add = page.getByRole("form", { name: "Add a staff member" });
  await add.getByLabel("Name").fill("Pat Packer");
  await add.getByLabel("Email").fill(email);
  await add.getByLabel("Role").selectOption("PACKER");
  await add.getByRole("button", { name: "Add staff member" }).click();
  const box = page.locator(".secret-box");
  await expect(box).toContainText("Set-password link for Pat Packer");
  const link = await box.locator("code").innerText();
  expect(link).toMatch(/^http:\/\/.+\/admin\/set-password\?token=[0-9a-f]{64}$/);
  const row = page.locator(`tr[data-email="${email}"]`);
  await expect(row).toContainText("Active");
  await expect(row.getByLabel("Role of Pat Packer")).toHaveValue("PACKER");
  await screenshots(page, testInfo, "staff");

  // The packer, in a browser of their own, opens the link.
  const packerContext = await browser.newContext();
  const packer = await packerContext.newPage();
  const packerErrors = collectErrors(packer);
  await packer.goto(link);
  await expect(packer.getByRole("heading", { name: "Set your password" })).toBeVisible();
  await settled(packer, true);
  await packer.getByLabel("New password").fill("packing all day long");
  await packer.getByLabel("Repeat it").fill("packing all day long");
  await packer.getByRole("button", { name: "Set password and sign in" }).click();
  await expect(packer).toHaveURL(/\/admin$/);
  await settled(packer, true);
  const tabs = packer.getByRole("navigation", { name: "Admin" }).getByRole("link");
  await expect(tabs).toHaveText(["Orders", "Account"]);
  // The link works once.
  const again = await packerContext.request.post("/api/auth/set-password", {
    data: { token: link.split("token=")[1], password: "another password entirely" },
  });
  expect(again.status()).toBe(422);

  const listed = packer.locator(`tr[data-order="${order.number}"]`);
  await expect(listed).toBeVisible();
  // A packer moves nothing but FULFILLED: no PAID, no cancel.
  await expect(listed.getByRole("button")).toHaveCount(1);
  await expect(listed.getByRole("button", { name: `Mark order ${order.number} FULFILLED` })).toBeVisible();
  await listed.getByRole("link", { name: order.number, exact: true }).click();
  await expect(packer.getByRole("heading", { name: `Order ${order.number}` })).toBeVisible();
  await settled(packer, true);
  await expect(packer.getByRole("form", { name: "Refund" })).toHaveCount(0);
  await expect(packer.getByRole("form", { name: "Take a return" })).toHaveCount(0);
  await expect(packer.getByRole("link", { name: `Cancel order ${order.number}…` })).toHaveCount(0);
  const ship = packer.getByRole("form", { name: "Ship a parcel" });
  await ship.getByLabel("Carrier").fill("DHL");
  await ship.getByLabel("Tracking number").fill("JD0042");
  await ship.getByRole("button", { name: "Ship" }).click();
  await expect(packer.locator(".toast-success").filter({ hasText: "Shipment recorded" })).toBeVisible();
  const shipped = packer.locator(".timeline li").filter({ hasText: "Shipped" });
  await expect(shipped).toContainText("Pat Packer");
  await screenshots(packer, testInfo, "packer-order");

  // The packer's account: this session, no tokens yet.
  await packer.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Account" }).click();
  await expect(packer.getByRole("heading", { name: "Your account" })).toBeVisible();
  await expect(packer.getByText("Signed in as Pat Packer · Packer")).toBeVisible();
  await expect(packer.locator(".sessions li").filter({ hasText: "This browser" })).toHaveCount(1);
  await screenshots(packer, testInfo, "account");

  // The owner's view of the order names the packer too; the customer's
  // tracking page says "the shop".
  await page.goto(`/admin/orders/${order._id}`);
  await expect(page.locator(".timeline li").filter({ hasText: "Shipped" })).toContainText("Pat Packer");
  const customer = await browser.newPage();
  await customer.goto(`/track?token=${order.trackingToken}`);
  await expect(customer.locator("body")).toContainText("by the shop");
  await expect(customer.locator("body")).not.toContainText("Pat Packer");

  // The owner's activity log, filtered to the packer, shows the parcel.
  await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Activity" }).click();
  await expect(page.getByRole("heading", { name: "Activity" })).toBeVisible();
  await page.getByLabel("Staff member").selectOption({ label: "Pat Packer" });
  await page.getByLabel("Kind").selectOption("shipment");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/kind=shipment/);
  const entries = page.locator(".activity-log li");
  await expect(entries).toHaveCount(1);
  await expect(entries.first()).toContainText("Pat Packer");
  await expect(entries.first()).toContainText(`Order ${order.number}`);
  await expect(entries.first()).toContainText("Shipped 2 ×");
  await screenshots(page, testInfo, "activity");

  expect(ownerErrors).toEqual([]);
  expect(packerErrors).toEqual([]);
  await packerContext.close();
});
