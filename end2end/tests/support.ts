// Helpers shared by the browser tests: waiting for hydration (never for a
// fixed time), screenshots at desktop and phone widths, console errors.
import { expect, Page, TestInfo } from "@playwright/test";

/** Waits until the page is hydrated, or checks it never is without JavaScript. */
export async function settled(page: Page, javaScriptEnabled: boolean) {
  if (javaScriptEnabled) {
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  } else {
    await expect(page.locator("body")).not.toHaveAttribute("data-hydrated", "true");
  }
}

/** Full-page screenshots at 1280 and 375 px wide, kept with the test results. */
export async function screenshots(page: Page, testInfo: TestInfo, name: string) {
  for (const [size, width] of [["desktop", 1280], ["mobile", 375]] as const) {
    await page.setViewportSize({ width, height: 800 });
    await page.screenshot({ path: testInfo.outputPath(`${name}-${size}.png`), fullPage: true });
  }
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
