// The pages render on the server, and — where JavaScript runs — hydrate and
// respond to clicks. The admin screens sit behind the sign-in page.
// Screenshots of each page, desktop and 375 px wide, are kept with the
// test results.
import { test, expect } from "@playwright/test";
import { collectErrors, screenshots, settled, signIn } from "./support";

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
  await expect(page.getByRole("alert")).toHaveText("Wrong username or password.");
  await expect(page).toHaveURL(/\/admin\/login/);
});

test("the site's files come compressed and are kept for a year; pages are revalidated", async ({ page, request }) => {
  const sent: { url: string; encoding?: string; cache?: string }[] = [];
  page.on("response", (r) => {
    if (new URL(r.url()).pathname.startsWith("/pkg/")) {
      sent.push({ url: r.url(), encoding: r.headers()["content-encoding"], cache: r.headers()["cache-control"] });
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
  }
  // A file that is not there is not cached.
  const missing = await request.get("/pkg/igniflo.missing.js");
  expect(missing.headers()["cache-control"]).toBe("no-cache");
});
