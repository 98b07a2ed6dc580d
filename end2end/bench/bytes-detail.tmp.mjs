import { spawn } from "node:child_process";
import { chromium } from "playwright-core";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
const port = 3977, base = `http://127.0.0.1:${port}`;
const dir = mkdtempSync(join(tmpdir(), "bytes-"));
const server = spawn("target/release/igniflo", [], { env: { ...process.env, LEPTOS_SITE_ADDR: `127.0.0.1:${port}`, LEPTOS_SITE_ROOT: "target/site", LEPTOS_ENV: "PROD", DATABASE_URL: `sqlite://${dir}/d.db`, IGNIFLO_ADMIN_PASSWORD: "ui speed admin password", RUST_LOG: "warn" }, stdio: "ignore" });
for (let i = 0; i < 200; i++) { try { if ((await fetch(base + "/healthz")).ok) break; } catch {} await new Promise(r => setTimeout(r, 50)); }
const login = await fetch(`${base}/api/auth/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username: "admin", password: "ui speed admin password" }) });
const cookie = login.headers.get("set-cookie").split(";")[0];
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
for (const path of process.argv.slice(2)) {
  const context = await browser.newContext();
  await context.addCookies([{ name: "igniflo_session", value: cookie.split("=")[1], url: base }]);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  const urls = {}, rows = [];
  let hdr = 0;
  cdp.on("Network.responseReceived", e => { urls[e.requestId] = e.response.url; });
  cdp.on("Network.responseReceivedExtraInfo", e => { hdr += (e.headersText ?? "").length; });
  cdp.on("Network.loadingFinished", e => rows.push([e.encodedDataLength, urls[e.requestId]]));
  await page.goto(base + path);
  await page.waitForSelector("body[data-hydrated=true]");
  await page.waitForTimeout(500);
  rows.sort((a, b) => b[0] - a[0]);
  const total = rows.reduce((s, r) => s + r[0], 0);
  console.log(`${path}: ${rows.length} responses, ${(total / 1024).toFixed(1)} KB, headers ${(hdr / 1024).toFixed(1)} KB`);
  for (const [n, u] of rows.slice(0, 12)) console.log(`  ${(n / 1024).toFixed(1)} KB ${u.replace(base, "")}`);
  const small = rows.slice(12);
  console.log(`  ... ${small.length} more: ${(small.reduce((s, r) => s + r[0], 0) / 1024).toFixed(1)} KB`);
  await context.close();
}
await browser.close(); server.kill();
