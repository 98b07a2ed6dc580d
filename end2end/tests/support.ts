// Helpers shared by every browser test: waiting for hydration (never for a
// fixed time), signing in, setting data up through the REST API as an
// integration would, screenshots at desktop and phone widths, and the
// console errors a test must end without.
import { expect, Page, APIRequestContext, TestInfo } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { ADMIN_PASSWORD, ADMIN_TOKEN, SHOP_TIME_ZONE } from "../playwright.config";

/** Headers that make a REST call the admin's. */
export const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

/** `2026-11-25 15:31`: an instant on the shop's clock, as the console shows it. */
export function shopMinute(at: string | Date): string {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: SHOP_TIME_ZONE,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  }).formatToParts(new Date(at));
  const part = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${part("year")}-${part("month")}-${part("day")} ${part("hour")}:${part("minute")}`;
}

export type Product = { _id: string; name: string; sku: string; price: number; stock: number };

/** Waits until the page is hydrated, or checks it never is without JavaScript. */
export async function settled(page: Page, javaScriptEnabled: boolean) {
  if (javaScriptEnabled) {
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  } else {
    await expect(page.locator("body")).not.toHaveAttribute("data-hydrated", "true");
  }
}

/**
 * Opens `from` (an admin screen, which sends a signed-out visitor to the
 * sign-in page) and submits the sign-in form; the caller checks the outcome.
 */
export async function signIn(
  page: Page,
  { javaScriptEnabled = true, email = "admin", password = ADMIN_PASSWORD, from = "/admin/login" } = {},
) {
  await page.goto(from);
  await expect(page).toHaveURL(/\/admin\/login$/);
  await settled(page, javaScriptEnabled);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Signs in with JavaScript on and waits for the hydrated order list. */
export async function signedIn(page: Page) {
  await signIn(page);
  await expect(page).toHaveURL(/\/admin$/);
  await settled(page, true);
}

/** A product only this test uses, so tests never share stock. */
export async function addProduct(
  request: APIRequestContext,
  { stock, price = 19.5, name = "Kettle" }: { stock: number; price?: number; name?: string },
): Promise<Product> {
  const tag = `${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
  const response = await request.post("/api/products", {
    headers: admin,
    data: { name: `${name} ${tag}`, sku: `E2E-${tag}`, stock, price },
  });
  expect(response.status()).toBe(201);
  return response.json();
}

/** Fills the checkout's delivery address (a Berlin address). */
export async function fillAddress(page: Page, recipient = "Ada Lovelace") {
  await page.getByLabel("Recipient").fill(recipient);
  await page.getByLabel("Street and number").fill("Hauptstrasse 1");
  await page.getByLabel("City", { exact: true }).fill("Berlin");
  await page.getByLabel("Postal code").fill("10115");
  await page.getByLabel("Country").selectOption("DE");
}

/** Registers a customer and places an order through the REST API, as a shop's integration would. */
export async function placeOrder(request: APIRequestContext, sku: string, quantity: number, email = `c${Date.now()}${Math.random()}@example.com`) {
  const c = await request.post("/api/customers", { data: { name: "Grace Hopper", email, phone: "+1 555 0100 200" } });
  expect(c.status()).toBe(201);
  const customer = await c.json();
  const o = await request.post("/api/orders", { data: { customer: customer._id, items: [{ product: sku, quantity }] } });
  expect(o.status()).toBe(201);
  return (await o.json()) as { _id: string; number: string; trackingToken: string; total: number };
}

/**
 * Full-page screenshots at 1280 and 375 px wide, kept with the test results;
 * at each width the page must fit it (see `expectFitsTheWidth`) and pass an
 * accessibility scan (see `expectAccessible`).
 */
export async function screenshots(page: Page, testInfo: TestInfo, name: string) {
  for (const [size, width] of [["desktop", 1280], ["mobile", 375]] as const) {
    await page.setViewportSize({ width, height: 800 });
    await page.screenshot({ path: testInfo.outputPath(`${name}-${size}.png`), fullPage: true });
    await expectFitsTheWidth(page, `${name} at ${width} px`);
    await expectTablesAligned(page, `${name} at ${width} px`);
    // axe-core runs as a script in the page: only where scripts run. The
    // no-JS project sees the same server-rendered markup.
    if (testInfo.project.use.javaScriptEnabled !== false) await expectAccessible(page, `${name} at ${width} px`);
  }
}

/**
 * Every table laid out as a table has its header cells over its first row's
 * cells: the same columns, each starting within 2 px of its header.
 */
export async function expectTablesAligned(page: Page, where: string) {
  const misaligned = await page.evaluate(() => {
    const found: string[] = [];
    document.querySelectorAll("table").forEach((table, t) => {
      const head = table.tHead?.rows[0];
      const first = table.tBodies[0]?.rows[0];
      if (!head || !first || getComputedStyle(table.tHead!).display !== "table-header-group") return;
      const starts = (row: HTMLTableRowElement) =>
        [...row.cells].filter((c) => c.getBoundingClientRect().width > 0).map((c) => Math.round(c.getBoundingClientRect().left));
      const [heads, cells] = [starts(head), starts(first)];
      const name = `table ${t + 1} (${table.className || "no class"})`;
      if (heads.length !== cells.length) found.push(`${name}: ${heads.length} headers over ${cells.length} cells`);
      else heads.forEach((x, i) => Math.abs(x - cells[i]) > 2 && found.push(`${name}, column ${i + 1}: header at ${x} px, cell at ${cells[i]} px`));
    });
    return found;
  });
  expect(misaligned, where).toEqual([]);
}

/** No serious or critical WCAG 2.1 A/AA violation that axe-core finds. */
export async function expectAccessible(page: Page, where: string) {
  const scan = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const grave = scan.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
  expect(grave, where).toEqual([]);
}

/**
 * Nothing reaches past the right edge of the viewport unless it sits in a
 * container that scrolls sideways by design (`overflow-x: auto`).
 */
export async function expectFitsTheWidth(page: Page, where: string) {
  const sticking_out = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const scrollsSideways = (el: Element | null): boolean => {
      for (let p = el?.parentElement; p; p = p.parentElement) {
        if (["auto", "scroll"].includes(getComputedStyle(p).overflowX)) return true;
      }
      return false;
    };
    const found: string[] = [];
    for (const el of document.body.querySelectorAll("*")) {
      const box = el.getBoundingClientRect();
      if (box.width > 0 && box.right > width + 1 && !scrollsSideways(el)) {
        found.push(`${el.tagName.toLowerCase()}.${el.getAttribute("class") ?? ""} (right edge ${Math.round(box.right)} px)`);
      }
    }
    return { pageWidth: document.documentElement.scrollWidth, width, found: found.slice(0, 8) };
  });
  expect(sticking_out.found, where).toEqual([]);
  expect(sticking_out.pageWidth, `${where}: the page scrolls sideways`).toBeLessThanOrEqual(sticking_out.width);
}

/** Console errors, page errors and hydration warnings seen from now on. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || (m.type() === "warning" && /hydrat/i.test(m.text()))) {
      errors.push(m.text());
    }
  });
  page.on("pageerror", (e) => errors.push(e.message));
  return errors;
}
