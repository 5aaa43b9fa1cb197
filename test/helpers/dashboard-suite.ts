import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { DASHBOARD_DIR } from '../../src/dashboard/dashboard-files.js';
import { launchChromium } from './chromium.js';
import { FixtureServer } from './fixture-server.js';
import { startTestApp, type TestApp } from './test-app.js';

/** What a dashboard suite's tests use: the image server, the app, and Chromium. */
export interface DashboardSuite {
  fixtures: FixtureServer;
  service: TestApp;
  browser: Browser;
}

/**
 * Starts, before the suite's tests, a local image server, the app (with the page `npm run build`
 * built) and Chromium, and stops them after; the returned object holds them once started.
 */
export function dashboardSuite(): DashboardSuite {
  const suite = { fixtures: new FixtureServer() } as DashboardSuite;
  beforeAll(async () => {
    if (!existsSync(join(DASHBOARD_DIR, 'index.html')))
      throw new Error(`no dashboard in ${DASHBOARD_DIR}: run \`npm run build\` first (npm test does it)`);
    await suite.fixtures.start();
    suite.service = await startTestApp();
    suite.browser = await launchChromium();
  });
  afterAll(async () => {
    await suite.browser?.close();
    await suite.service?.close();
    await suite.fixtures.stop();
  });
  return suite;
}

/**
 * Sends a CSV through the page's upload form (its other fields filled already) and waits for the
 * request's view to open; the request's id.
 */
export async function uploadThroughForm(page: Page, name: string, csv: string): Promise<string> {
  await page.getByLabel(/Drop a CSV here/).setInputFiles({
    name,
    mimeType: 'text/csv',
    buffer: Buffer.from(csv),
  });
  await page.getByRole('button', { name: 'Upload' }).click();
  await page.waitForURL(/#\/requests\/[0-9a-f-]{36}$/);
  return new URL(page.url()).hash.split('/').pop()!;
}
