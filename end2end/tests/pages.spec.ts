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
