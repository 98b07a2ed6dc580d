// The pages render on the server, and — where JavaScript runs — hydrate and
// respond to clicks. Screenshots of each page, desktop and 375 px wide, are
// kept with the test results.
import { test, expect, Page } from "@playwright/test";

async function hydrated(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

for (const [path, heading] of [
  ["/", "Order from Igniflo"],
  ["/admin", "Orders"],
] as const) {
  test(`${path} renders on the server, and hydrates where JavaScript runs`, async ({ page, javaScriptEnabled }, testInfo) => {
    const errors: string[] = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(heading);
    if (javaScriptEnabled) {
      await hydrated(page);
    } else {
      await expect(page.locator("body")).not.toHaveAttribute("data-hydrated", "true");
    }
    for (const [name, width] of [["desktop", 1280], ["mobile", 375]] as const) {
      await page.setViewportSize({ width, height: 800 });
      await page.screenshot({ path: testInfo.outputPath(`${path === "/" ? "shop" : "admin"}-${name}.png`), fullPage: true });
    }
    expect(errors).toEqual([]);
  });
}

test("the shop's button works only once hydrated", async ({ page, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "needs the WASM");
  await page.goto("/");
  await hydrated(page);
  const button = page.getByRole("button", { name: /Interactive check/ });
  await expect(button).toHaveText("Interactive check: 0");
  await button.click();
  await button.click();
  await expect(button).toHaveText("Interactive check: 2");
});
