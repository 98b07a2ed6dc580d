// Browser tests run Debian's Chromium (no browser download) against the real
// server binary, started by Playwright on the address in LEPTOS_SITE_ADDR
// (scripts/test picks a free port) with a throwaway SQLite file.
import { defineConfig, devices } from "@playwright/test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ADMIN_PASSWORD = "end-to-end admin password";
/** The bearer token tests use to set up data and act as the admin through the REST API. */
export const ADMIN_TOKEN = "end-to-end-admin-token-0123";
/** What the shop tells customers about paying (`IGNIFLO_PAYMENT_INSTRUCTIONS`). */
export const PAYMENT_INSTRUCTIONS = "Pay by bank transfer to IBAN GB33 BUKB 2020 1555 5555 55.";
/** The shop's time zone (`IGNIFLO_TIMEZONE`): India's, half an hour off any whole-hour zone. */
export const SHOP_TIME_ZONE = "Asia/Kolkata";
const addr = process.env.LEPTOS_SITE_ADDR ?? "127.0.0.1:3000";
const baseURL = `http://${addr}`;
const database = join(mkdtempSync(join(tmpdir(), "igniflo-e2e-")), "e2e.db");
const chromium = {
  ...devices["Desktop Chrome"],
  launchOptions: {
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  },
};

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"], ["html", { open: "never" }]],
  use: { baseURL, trace: "retain-on-failure" },
  projects: [
    { name: "hydrated", use: { ...chromium } },
    // Tests tagged @hydrated need the WASM (live updates, inline checks);
    // everything else also runs with JavaScript off.
    { name: "no-js", use: { ...chromium, javaScriptEnabled: false }, grepInvert: /@hydrated/ },
  ],
  webServer: {
    command: "./target/debug/igniflo",
    cwd: "..",
    url: `${baseURL}/healthz`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      LEPTOS_SITE_ADDR: addr,
      LEPTOS_SITE_ROOT: "target/site",
      DATABASE_URL: `sqlite://${database}`,
      RUST_LOG: "warn",
      IGNIFLO_ADMIN_PASSWORD: ADMIN_PASSWORD,
      IGNIFLO_ADMIN_TOKEN: ADMIN_TOKEN,
      IGNIFLO_PAYMENT_INSTRUCTIONS: PAYMENT_INSTRUCTIONS,
      IGNIFLO_TIMEZONE: SHOP_TIME_ZONE,
      // The webhooks screen's test delivers to a receiver on 127.0.0.1.
      IGNIFLO_WEBHOOK_ALLOW_PRIVATE: "1",
      // Every test comes from 127.0.0.1; the limits are tested in Rust.
      IGNIFLO_RATE_PUBLIC: "1000000",
      IGNIFLO_RATE_ORDERS: "1000000",
      IGNIFLO_RATE_LOGIN: "1000000",
      IGNIFLO_RATE_TOKEN: "1000000",
    },
  },
});
