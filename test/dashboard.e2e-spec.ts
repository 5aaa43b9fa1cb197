import { AxeBuilder } from '@axe-core/playwright';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { guardPage, launchChromium } from './helpers/chromium.js';
import { DASHBOARD_DIR } from '../src/dashboard/dashboard-files.js';
import { csvFile, imagesCsv } from './helpers/durability.js';
import { FixtureServer } from './helpers/fixture-server.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

/** Written by each run (git-ignored); docs/dashboard.png in the README is one of them, copied by hand. */
const SCREENSHOTS = resolve(import.meta.dirname, '../test-screenshots');
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const ALICE = 'alice-0123456789abcdefghijklmnop';
const BOB = 'bob-0123456789abcdefghijklmnopqrs';
/** A browser on two shared cores is slow: a generous deadline, not a measure. */
const BROWSER_DEADLINE_MS = 240_000;

/**
 * The dashboard in Chromium, as a merchandiser uses it, against the app with the page `npm run build`
 * built and a local image server: upload, live progress, thumbnails, a failure and its retry, the CSV,
 * deletion; with API keys, the key prompt and only that key's requests. axe finds no serious violation;
 * the page's CSP blocks nothing it does, and nothing leaves loopback.
 */
describe('the dashboard in Chromium', { timeout: BROWSER_DEADLINE_MS }, () => {
  const fixtures = new FixtureServer();
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(join(DASHBOARD_DIR, 'index.html'))) {
      throw new Error(`no dashboard in ${DASHBOARD_DIR}: run \`npm run build\` first (npm test does it)`);
    }
    await mkdir(SCREENSHOTS, { recursive: true });
    await fixtures.start();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await fixtures.stop();
  });

  /** A fresh browser profile (empty storage) that records CSP violations and refuses anything off loopback. */
  async function openPage(): Promise<{
    context: BrowserContext;
    page: Page;
    problems: () => Promise<string[]>;
  }> {
    const context = await browser.newContext({ viewport: LAPTOP, acceptDownloads: true });
    const page = await context.newPage();
    const { problems } = await guardPage(page);
    return { context, page, problems };
  }

  async function expectAccessible(page: Page) {
    const { violations } = await new AxeBuilder({ page }).analyze();
    const serious = violations.filter((violation) =>
      ['serious', 'critical'].includes(violation.impact ?? ''),
    );
    expect(serious.map((violation) => `${violation.id}: ${violation.help}`)).toEqual([]);
  }

  const thumbnailsShown = (page: Page) =>
    page.evaluate(
      () =>
        [...document.querySelectorAll<HTMLImageElement>('.grid img')].filter(
          (image) => image.complete && image.naturalWidth > 0,
        ).length,
    );

  describe('open service', () => {
    let service: TestApp;
    beforeAll(async () => {
      service = await startTestApp({ SSE_POLL_MS: '100', DOWNLOAD_RETRIES: '0' });
    });
    afterAll(async () => {
      fixtures.imageDelayMs = 0;
      fixtures.imageResponder = () => undefined;
      await service?.close();
    });

    it('uploads, follows the progress live, shows thumbnails and a failure, retries it, downloads the CSV and deletes the request', async () => {
      const { context, page, problems } = await openPage();
      await page.goto(service.config.publicUrl);
      await page.getByRole('heading', { name: 'Upload a CSV' }).waitFor();
      await expectAccessible(page);

      // The API's validation errors, against the rows and columns they name.
      await page.getByLabel('Drop a CSV here, or choose one').setInputFiles({
        name: 'bad.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from('S. No.,Product Name,Input Image Urls\n1,,ftp://x/a.jpg\n'),
      });
      await page.getByRole('button', { name: 'Upload' }).click();
      const problemsTable = page.getByRole('alert').getByRole('table');
      await problemsTable.waitFor();
      expect(await problemsTable.getByRole('row').nth(1).textContent()).toMatch(/^2/);
      await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-validation.png'), fullPage: true });

      // A supplier's link is broken until they fix it.
      let broken = true;
      fixtures.imageResponder = (name) => (broken && name === 'alpha.png' ? 404 : undefined);
      fixtures.imageDelayMs = 100; // so the progress is seen moving
      const names = ['exif-orientation-6.jpg', 'photo.webp', 'cmyk.jpg', 'exif-orientation-8.jpg'];
      const rows = Array.from(
        { length: 12 },
        (_, index) =>
          `${index + 1},SKU${index + 1},${fixtures.imageUrl(names[index % names.length], `n=${index}`)}`,
      );
      rows.push(`13,SKU13,${fixtures.imageUrl('alpha.png')}`);
      await page.getByLabel('Webhook URL (optional)').fill(`${fixtures.baseUrl}/webhook`);
      // Output options: a bad one is refused naming its field; then WebP at most 300 px wide.
      await page.getByLabel('Quality (1–100 or auto)').fill('101');
      await page.getByLabel(/Drop a CSV here|bad\.csv/).setInputFiles({
        name: 'catalog.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(['S. No.,Product Name,Input Image Urls', ...rows].join('\n')),
      });
      await page.getByRole('button', { name: 'Upload' }).click();
      await page.getByRole('alert').getByText('quality').first().waitFor();
      await page.getByLabel('Quality (1–100 or auto)').fill('');
      await page.getByLabel('Format').selectOption('webp');
      await page.getByLabel('Max width (px)').fill('300');
      await page.getByLabel(/Drop a CSV here|catalog\.csv/).setInputFiles({
        name: 'catalog.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(['S. No.,Product Name,Input Image Urls', ...rows].join('\n')),
      });
      await page.getByRole('button', { name: 'Upload' }).click();
      await page.waitForURL(/#\/requests\/[0-9a-f-]{36}$/);
      const requestId = new URL(page.url()).hash.split('/').pop()!;
      expect((await service.http.get(`/status/${requestId}`).expect(200)).body.output).toMatchObject({
        format: 'webp',
        max_width: 300,
      });

      // The count moves as images finish, pushed by the server, up to the end.
      const counts = new Set<string>();
      const count = page.getByTestId('progress-count');
      await expect
        .poll(
          async () => {
            counts.add((await count.textContent()) ?? '');
            return count.textContent();
          },
          { timeout: 60_000, interval: 50 },
        )
        .toBe('13/13');
      expect(counts.size).toBeGreaterThan(2);
      await expect.poll(() => page.getByTestId('request-status').textContent()).toBe('completed with errors');

      await expect.poll(() => thumbnailsShown(page), { timeout: 30_000 }).toBe(12);
      const failedRow = page.getByRole('region', { name: 'Failed images' }).getByRole('row').nth(1);
      expect(await failedRow.textContent()).toContain(fixtures.imageUrl('alpha.png'));
      expect(await failedRow.textContent()).toContain('http_404');
      await page.getByLabel('Filter by error code').fill('decode_error');
      await page.getByText('0 failed image(s) with decode_error').waitFor();
      await page.getByLabel('Filter by error code').fill('http_404');
      await page.getByText('1 failed image(s) with http_404').waitFor();
      await expectAccessible(page);
      await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-request.png'), fullPage: true });

      // The supplier fixed the link: retry, and the request completes.
      broken = false;
      await page.getByRole('button', { name: 'Retry failed images' }).click();
      await expect
        .poll(() => page.getByTestId('request-status').textContent(), { timeout: 60_000 })
        .toBe('completed');
      await expect.poll(() => thumbnailsShown(page), { timeout: 30_000 }).toBe(13);

      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download CSV' }).click(),
      ]);
      const csv = await readFile((await download.path())!, 'utf8');
      expect(csv).toMatch(/^S\. No\.,Product Name,Input Image Urls,Output Image Urls/);
      expect(csv.match(/\/files\/[0-9a-f]{2}\/[0-9a-f-]{36}\.webp/g)).toHaveLength(13);

      // A phone's width: nothing wider than the screen.
      await page.setViewportSize(PHONE);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        PHONE.width,
      );
      await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-phone.png'), fullPage: true });
      await page.setViewportSize(LAPTOP);

      page.once('dialog', (dialog) => void dialog.accept());
      await page.getByRole('button', { name: 'Delete request' }).click();
      await page.waitForURL(/#\/$/);
      await page.getByRole('heading', { name: 'Your requests' }).waitFor();
      await service.http.get(`/status/${requestId}`).expect(404);
      expect(await page.getByText(`Request ${requestId.slice(0, 8)}`).count()).toBe(0);

      expect(await problems()).toEqual([]);
      await context.close();
    });
  });

  describe('a request waiting behind others', () => {
    let service: TestApp;
    beforeAll(async () => {
      // One image in flight (and one leased in the buffer): a second request waits for a worker.
      service = await startTestApp({ CONCURRENCY: '1' });
    });
    afterAll(async () => {
      await service?.close();
    });

    /** A request of two images, in one row. */
    async function upload(tag: string): Promise<string> {
      const urls = [1, 2].map((n) => fixtures.imageUrl('cmyk.jpg', `${tag}=${n}`));
      const { body } = await service.http
        .post('/upload')
        .attach('file', ...csvFile(imagesCsv(urls)))
        .expect(202);
      return body.request_id;
    }

    it('is shown queued, not stuck, until a worker takes it; then it completes', async () => {
      const release = fixtures.holdImages();
      try {
        const first = await upload('first');
        await expect
          .poll(() => fixtures.imageRequests.some((url) => url.includes('first=')), { timeout: 30_000 })
          .toBe(true);
        const waiting = await upload('waiting');
        const { context, page, problems } = await openPage();
        await page.goto(service.config.publicUrl);
        const itemOf = (requestId: string) =>
          page
            .getByRole('listitem')
            .filter({ has: page.getByRole('link', { name: `Request ${requestId.slice(0, 8)}` }) });
        await itemOf(waiting).getByText('Waiting its turn behind other work').waitFor();
        expect(await itemOf(waiting).locator('.badge').textContent()).toBe('queued');
        expect(await itemOf(waiting).getByText('0 in progress, 2 queued').count()).toBe(1);
        expect(await itemOf(first).locator('.badge').textContent()).toBe('processing');
        expect(await itemOf(first).getByText('2 in progress, 0 queued').count()).toBe(1);
        await expectAccessible(page);
        await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-queued.png'), fullPage: true });

        release();
        await expect
          .poll(() => itemOf(waiting).locator('.badge').textContent(), { timeout: 60_000 })
          .toBe('completed');
        expect(await problems()).toEqual([]);
        await context.close();
      } finally {
        release();
      }
    });
  });

  describe('with API keys', () => {
    let service: TestApp;
    beforeAll(async () => {
      service = await startTestApp({ API_KEYS: `alice:${ALICE},bob:${BOB}` });
    });
    afterAll(async () => {
      await service?.close();
    });

    async function uploadAs(key: string): Promise<string> {
      const csv = `S. No.,Product Name,Input Image Urls\n1,SKU1,${fixtures.imageUrl('photo.webp', key)}\n`;
      const { body } = await service.http
        .post('/upload')
        .set('Authorization', `Bearer ${key}`)
        .attach('file', Buffer.from(csv), 'one.csv')
        .expect(202);
      return body.request_id;
    }

    it("asks for a key, keeps it, sends it on every call and shows only that key's requests", async () => {
      const alices = await uploadAs(ALICE);
      const bobs = await uploadAs(BOB);
      const { context, page, problems } = await openPage();
      const calls: Array<{ url: string; authorization?: string }> = [];
      page.on('request', (request) => {
        if (['fetch', 'xhr'].includes(request.resourceType())) {
          calls.push({ url: request.url(), authorization: request.headers().authorization });
        }
      });
      await page.goto(service.config.publicUrl);
      const keyField = page.getByRole('textbox', { name: 'API key' });
      await keyField.waitFor();
      await expectAccessible(page);
      await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-api-key.png') });

      await keyField.fill('not-a-key-of-this-service-at-all');
      await page.getByRole('button', { name: 'Use this key' }).click();
      await page.getByText('The key was not accepted').waitFor();

      await keyField.fill(ALICE);
      await page.getByRole('button', { name: 'Use this key' }).click();
      await page.getByRole('link', { name: `Request ${alices.slice(0, 8)}` }).waitFor();
      expect(await page.getByRole('link', { name: `Request ${bobs.slice(0, 8)}` }).count()).toBe(0);

      // Kept in the browser: a reload asks for nothing.
      await page.reload();
      await page.getByRole('link', { name: `Request ${alices.slice(0, 8)}` }).waitFor();
      await page.getByRole('link', { name: `Request ${alices.slice(0, 8)}` }).click();
      await expect
        .poll(() => page.getByTestId('request-status').textContent(), { timeout: 60_000 })
        .toBe('completed');
      await expect.poll(() => thumbnailsShown(page), { timeout: 30_000 }).toBe(1);

      const afterKey = calls.slice(calls.findIndex((call) => call.authorization === `Bearer ${ALICE}`));
      expect(afterKey.length).toBeGreaterThan(2);
      expect(afterKey.filter((call) => call.authorization !== `Bearer ${ALICE}`)).toEqual([]);
      expect(await problems()).toEqual([]);
      await context.close();
    });
  });
});
