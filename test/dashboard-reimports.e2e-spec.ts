import type { Page } from 'playwright-core';
import { guardPage } from './helpers/chromium.js';
import { dashboardSuite, uploadThroughForm } from './helpers/dashboard-suite.js';
import { productCsv } from './helpers/csv.js';
import { waitForCompletion } from './helpers/test-app.js';

/** A browser on two shared cores is slow: a generous deadline, not a measure. */
const BROWSER_DEADLINE_MS = 120_000;

/**
 * Re-imports in the dashboard: the request view counts the images reused from an earlier request, and
 * the upload form's checkbox asks for every image to be made again.
 */
describe('re-imports in the dashboard', { timeout: BROWSER_DEADLINE_MS }, () => {
  const suite = dashboardSuite();

  /** Uploads the CSV through the form (refresh ticked or not), waits for the request; the count the view shows. */
  async function uploaded(page: Page, refresh: boolean): Promise<string | null> {
    const csv = productCsv([
      [suite.fixtures.imageUrl('cmyk.jpg', 'dashboard')],
      [suite.fixtures.imageUrl('alpha.png', 'dashboard')],
    ]);
    await page.goto(`${suite.service.config.server.publicUrl}/`);
    if (refresh) await page.getByLabel(/Process every image again/).check();
    const requestId = await uploadThroughForm(page, 'catalogue.csv', csv);
    await waitForCompletion(suite.service.http, requestId);
    await expect.poll(() => page.getByTestId('request-status').textContent()).toBe('completed');
    return page.getByTestId('reused-count').textContent();
  }

  it('counts the reused images, and makes them all again when asked', async () => {
    const context = await suite.browser.newContext();
    const page = await context.newPage();
    const guard = await guardPage(page);
    expect(await uploaded(page, false)).toBe('0');
    expect(await uploaded(page, false)).toBe('2');
    expect(await uploaded(page, true)).toBe('0');
    expect(await guard.problems()).toEqual([]);
    await context.close();
  });
});
