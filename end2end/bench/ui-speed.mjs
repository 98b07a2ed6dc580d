// Measures what a person feels of Igniflo's pages, on this machine:
//   - bytes on the wire (headers and compressed bodies, as Chromium counts
//     them) of a cold first visit to `/`, `/track` and `/admin`, and of a
//     repeat visit with the browser's cache warm;
//   - server time to render /admin with 50 orders (p50/p99 of 200 loads);
//   - navigation to hydrated in headless Chromium, `/`, `/track` and `/admin`
//     (median and worst of 10 each);
//   - an order-updated from the status change to another browser's screen
//     (median and worst of 20).
// Run after `cargo leptos build --release --precompress --split` (what
// scripts/run builds):  node end2end/bench/ui-speed.mjs
// It starts target/release/igniflo on a free port with a throwaway database
// and stops it (by PID) when done. Prints a markdown table.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const TOKEN = "ui-speed-admin-token-000";
const PASSWORD = "ui speed admin password";

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const ms = (x) => `${x.toFixed(1)} ms`;
const kb = (n) => `${(n / 1024).toFixed(0)} KB`;

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const dir = mkdtempSync(join(tmpdir(), "igniflo-ui-speed-"));
const server = spawn(join(root, "target/release/igniflo"), [], {
  cwd: root,
  env: {
    ...process.env,
    LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
    LEPTOS_SITE_ROOT: "target/site",
    LEPTOS_ENV: "PROD",
    DATABASE_URL: `sqlite://${join(dir, "ui.db")}`,
    IGNIFLO_ADMIN_TOKEN: TOKEN,
    IGNIFLO_ADMIN_PASSWORD: PASSWORD,
    IGNIFLO_RATE_PUBLIC: "1000000",
    IGNIFLO_RATE_ORDERS: "1000000",
    IGNIFLO_RATE_LOGIN: "1000000",
    RUST_LOG: "warn",
  },
  stdio: "ignore",
});
const stop = () => {
  server.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
};
try {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {}
    if (i > 200) throw new Error("the server did not start");
    await new Promise((r) => setTimeout(r, 50));
  }
  const admin = { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" };
  const post = async (path, body, headers = admin) => (await fetch(base + path, { method: "POST", headers, body: JSON.stringify(body) })).json();
  await post("/api/products", { name: "Mug", sku: "MUG", stock: 100000, price: 12.5 });
  const orders = [];
  for (let i = 0; i < 50; i++) {
    const c = await post("/api/customers", { name: `Customer ${i}`, email: `c${i}@example.com`, phone: "+1 555 0100" }, { "Content-Type": "application/json" });
    orders.push(await post("/api/orders", { customer: c._id, items: [{ product: "MUG", quantity: 1 }] }, { "Content-Type": "application/json" }));
  }
  const login = await fetch(`${base}/api/auth/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username: "admin", password: PASSWORD }) });
  const cookie = login.headers.get("set-cookie").split(";")[0];

  // server render of /admin with 50 orders
  const renders = [];
  for (let i = 0; i < 220; i++) {
    const t = performance.now();
    const r = await fetch(`${base}/admin`, { headers: { cookie } });
    await r.text();
    if (i >= 20) renders.push(performance.now() - t);
  }

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const session = { name: "igniflo_session", value: cookie.split("=")[1], url: base };
  // Loads `path` in `page` until hydrated and its lazy chunks have come;
  // returns when it hydrated and the bytes Chromium received for it.
  const load = async (page, path) => {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Network.enable");
    let bytes = 0;
    let decoded = 0;
    cdp.on("Network.loadingFinished", (e) => (bytes += e.encodedDataLength));
    cdp.on("Network.dataReceived", (e) => (decoded += e.dataLength));
    await page.goto(base + path);
    await page.waitForSelector("body[data-hydrated=true]");
    const at = await page.evaluate(() => performance.now());
    await page.waitForTimeout(300);
    await cdp.detach();
    return { at, bytes, decoded };
  };
  // navigation to hydrated in a fresh context (cold cache), then the same
  // page again in that context (warm cache)
  const visit = async (path) => {
    const context = await browser.newContext();
    await context.addCookies([session]);
    const page = await context.newPage();
    const cold = await load(page, path);
    await page.goto("about:blank");
    const repeat = await load(page, path);
    await context.close();
    return { at: cold.at, cold: cold.bytes, decoded: cold.decoded, repeat: repeat.bytes };
  };
  const hydrations = {};
  const wire = {};
  for (const path of ["/", "/track", "/admin"]) {
    hydrations[path] = [];
    wire[path] = { cold: [], decoded: [], repeat: [] };
    for (let i = 0; i < 10; i++) {
      const { at, cold, decoded, repeat } = await visit(path);
      hydrations[path].push(at);
      wire[path].cold.push(cold);
      wire[path].decoded.push(decoded);
      wire[path].repeat.push(repeat);
    }
  }

  // status change → other browser's screen
  const context = await browser.newContext();
  await context.addCookies([session]);
  const page = await context.newPage();
  await page.goto(`${base}/admin`);
  await page.waitForSelector("body[data-hydrated=true]");
  await page.waitForTimeout(500); // the live feed connects after hydration
  const latencies = [];
  for (const o of orders.slice(0, 20)) {
    const seen = page.evaluate(
      (number) =>
        new Promise((resolve) => {
          const done = () => {
            const badge = document.querySelector(`tr[data-order="${number}"] .badge`);
            if (badge && badge.textContent === "PAID") {
              observer.disconnect();
              resolve(Date.now());
              return true;
            }
            return false;
          };
          const observer = new MutationObserver(done);
          observer.observe(document.body, { subtree: true, childList: true, characterData: true });
          done();
        }),
      o.number,
    );
    const t0 = Date.now();
    await fetch(`${base}/api/orders/${o._id}/status`, { method: "PATCH", headers: admin, body: JSON.stringify({ status: "PAID" }) });
    latencies.push((await seen) - t0);
  }
  await browser.close();

  console.log("| figure | measured | target |");
  console.log("|---|---|---|");
  const target = { "/": "≤ 400 KB", "/track": "≤ 450 KB", "/admin": "≤ 450 KB" };
  for (const path of ["/", "/track", "/admin"]) {
    const { cold, decoded, repeat } = wire[path];
    console.log(`| bytes on the wire, first visit to \`${path}\` (median of 10; uncompressed it would be ${kb(quantile(decoded, 0.5))}) | ${kb(quantile(cold, 0.5))} | ${target[path]} |`);
    console.log(`| bytes on the wire, repeat visit to \`${path}\` | ${kb(quantile(repeat, 0.5))} | |`);
  }
  console.log(`| server render of /admin, 50 orders | p50 ${ms(quantile(renders, 0.5))}, p99 ${ms(quantile(renders, 0.99))} | < 20 ms |`);
  for (const path of ["/", "/track", "/admin"]) {
    const xs = hydrations[path];
    console.log(`| navigation → hydrated, \`${path}\` (headless Chromium) | median ${ms(quantile(xs, 0.5))}, worst ${ms(Math.max(...xs))} | < 1.5 s |`);
  }
  console.log(`| status change → other browser's screen | median ${ms(quantile(latencies, 0.5))}, worst ${ms(Math.max(...latencies))} | < 300 ms |`);
} finally {
  stop();
}
