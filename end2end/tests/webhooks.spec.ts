// The webhooks screen: an admin subscribes a receiver (a real HTTP server in
// this test), sees the secret once, watches a delivery and its attempt, sends
// it again, switches the endpoint off and deletes it. Signatures are
// verified with the standardwebhooks library in the Rust tests.
import { test, expect } from "@playwright/test";
import { createServer, IncomingHttpHeaders } from "node:http";
import { AddressInfo } from "node:net";
import { addProduct, collectErrors, placeOrder, screenshots, signedIn } from "./support";

type Received = { headers: IncomingHttpHeaders; body: { id: string; type: string; data: { _id: string } } };

/** A receiver on a free port that answers 200 and keeps what it got. */
async function receiver() {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
      res.end("thanks from the warehouse");
    });
  });
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return { url, received, close: () => server.close() };
}

test("an admin subscribes an endpoint and follows its deliveries @hydrated", async ({ page, request }, testInfo) => {
  const errors = collectErrors(page);
  const hook = await receiver();
  await signedIn(page);
  await page.getByRole("link", { name: "Webhooks" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Webhooks");

  const form = page.getByRole("form", { name: "Add an endpoint" });
  await form.getByLabel("URL").fill(hook.url);
  await form.getByLabel("Description").fill("Warehouse");
  await form.getByLabel("All events").uncheck();
  await form.getByLabel("order.created").check();
  await form.getByRole("button", { name: "Add endpoint" }).click();
  // The secret, once, and the endpoint in the list.
  await expect(page.locator(".secret-box")).toContainText(`Signing secret for ${hook.url}`);
  await expect(page.locator("code.secret")).toHaveText(/^whsec_[A-Za-z0-9+/]{32}$/);
  const row = page.locator(`tr[data-url="${hook.url}"]`);
  await expect(row.locator("td").nth(1)).toHaveText("order.created");
  await expect(row.locator("td").nth(2)).toHaveText("Active");
  await expect(row).toContainText("Warehouse");
  await screenshots(page, testInfo, "webhooks");

  const product = await addProduct(request, { stock: 5, name: "Webhook kettle" });
  const order = await placeOrder(request, product.sku, 1);
  await expect.poll(() => hook.received.map((r) => r.body.data._id)).toContain(order._id);
  const sent = hook.received.find((r) => r.body.data._id === order._id)!;
  expect(sent.body.type).toBe("order.created");
  expect(sent.headers["webhook-id"]).toBe(sent.body.id);
  expect(sent.headers["webhook-signature"]).toMatch(/^v1,/);

  await row.getByRole("link", { name: "Deliveries" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Deliveries");
  const delivery = page.locator(`tr[data-event="${sent.body.id}"]`);
  await expect(async () => {
    await page.reload();
    await expect(delivery.locator("td").nth(2)).toHaveText("Delivered", { timeout: 1000 });
  }).toPass();
  await expect(delivery.locator("td").nth(1)).toContainText("order.created");
  await delivery.getByText("1 attempt").click();
  await expect(delivery.locator(".attempts li")).toContainText("HTTP 200");
  await expect(delivery.locator("pre.response")).toHaveText("thanks from the warehouse");
  await screenshots(page, testInfo, "webhook-deliveries");

  // Sent again by hand, with the same webhook-id.
  await delivery.getByRole("button", { name: "Send again" }).click();
  await expect(page.getByText("Queued to be sent again")).toBeVisible();
  await expect.poll(() => hook.received.filter((r) => r.headers["webhook-id"] === sent.body.id).length).toBe(2);

  await page.getByRole("link", { name: "← Webhooks" }).click();
  await row.getByRole("button", { name: "Disable" }).click();
  await expect(row.locator("td").nth(2)).toContainText("Disabled");
  await row.getByText("Delete…").click();
  await row.getByRole("button", { name: "Delete endpoint" }).click();
  await expect(row).toHaveCount(0);
  hook.close();
  expect(errors).toEqual([]);
});
