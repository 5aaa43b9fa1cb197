import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { DASHBOARD_DIR } from '../src/dashboard/dashboard-files.js';
import { guardPage, launchChromium } from './helpers/chromium.js';
import { productCsv } from './helpers/csv.js';
import { FixtureServer } from './helpers/fixture-server.js';
import { startTestApp, type TestApp, waitForCompletion } from './helpers/test-app.js';

/** A browser on two shared cores is slow: a generous deadline, not a measure. */
const BROWSER_DEADLINE_MS = 120_000;

/**
 * Re-imports in the dashboard: the request view counts the images reused from an earlier request, and
 * the upload form's checkbox asks for every image to be made again.
 */
describe('re-imports in the dashboard', { timeout: BROWSER_DEADLINE_MS }, () => {
  const fixtures = new FixtureServer();
  let browser: Browser;
  let service: TestApp;

  beforeAll(async () => {
    if (!existsSync(join(DASHBOARD_DIR, 'index.html')))
      throw new Error(`no dashboard in ${DASHBOARD_DIR}: run \`npm run build\` first (npm test does it)`);
    await fixtures.start();
    service = await startTestApp();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await service?.close();
    await fixtures.stop();
  });

  /** Uploads the CSV through the form (refresh ticked or not), waits for the request; the count the view shows. */
  async function uploaded(page: Page, refresh: boolean): Promise<string | null> {
    const csv = productCsv([
      [fixtures.imageUrl('cmyk.jpg', 'dashboard')],
      [fixtures.imageUrl('alpha.png', 'dashboard')],
    ]);
    await page.goto(`${service.config.server.publicUrl}/`);
    if (refresh) await page.getByLabel(/Process every image again/).check();
    await page.getByLabel(/Drop a CSV here/).setInputFiles({
      name: 'catalogue.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(csv),
    });
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.waitForURL(/#\/requests\/[0-9a-f-]{36}$/);
    const requestId = new URL(page.url()).hash.split('/').pop()!;
    await waitForCompletion(service.http, requestId);
    await expect.poll(() => page.getByTestId('request-status').textContent()).toBe('completed');
    return page.getByTestId('reused-count').textContent();
  }

  it('counts the reused images, and makes them all again when asked', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const guard = await guardPage(page);
    expect(await uploaded(page, false)).toBe('0');
    expect(await uploaded(page, false)).toBe('2');
    expect(await uploaded(page, true)).toBe('0');
    expect(await guard.problems()).toEqual([]);
    await context.close();
  });
});
