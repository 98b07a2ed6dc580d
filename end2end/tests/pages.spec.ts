// The pages render on the server, and — where JavaScript runs — hydrate and
// respond to clicks. The admin screens sit behind the sign-in page.
// Screenshots of each page, desktop and 375 px wide, are kept with the
// test results.
import { test, expect, Page } from "@playwright/test";
import { ADMIN_PASSWORD } from "../playwright.config";
import { collectErrors, screenshots, settled } from "./support";

async function signIn(page: Page, javaScriptEnabled: boolean, password = ADMIN_PASSWORD) {
  await page.goto("/admin");
  await expect(page).toHaveURL(/\/admin\/login$/);
  await settled(page, javaScriptEnabled);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

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
  await signIn(page, javaScriptEnabled);
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
  await signIn(page, javaScriptEnabled, "not the password at all");
  await expect(page.getByRole("alert")).toHaveText("Wrong username or password.");
  await expect(page).toHaveURL(/\/admin\/login/);
});
