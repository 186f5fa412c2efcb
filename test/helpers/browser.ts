// Waiting on a page from the test: Playwright's waitForFunction polls by evaluating its string
// inside the page, which the viewer's Content-Security-Policy (no 'unsafe-eval') refuses once
// the first check is false. Evaluating from outside (the DevTools protocol) is not subject to it.
import type { Page } from 'playwright-core';

/** Resolves once `expression` is truthy in the page; rejects after `timeoutMs`. */
export async function waitForTrue(page: Page, expression: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${expression}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
