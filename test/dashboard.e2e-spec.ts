import { AxeBuilder } from '@axe-core/playwright';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { guardPage, launchChromium } from './helpers/chromium.js';
import { DASHBOARD_DIR } from '../src/dashboard/dashboard-files.js';
import { csvFile } from './helpers/durability.js';
import { FixtureServer } from './helpers/fixture-server.js';
import { startTestApp, type TestApp, waitForCompletion } from './helpers/test-app.js';
import { upload as uploadCsv } from './helpers/upload.js';
import { imagesCsv, productCsv } from './helpers/csv.js';

/** Written by each run (git-ignored), one per view and width, for a person to look at. */
const SCREENSHOTS = resolve(import.meta.dirname, '../test-screenshots');
const LAPTOP = { width: 1280, height: 800 };
/** The narrowest phone in common use: every view must fit it without sideways scrolling. */
const PHONE = { width: 375, height: 800 };
const ALICE = 'alice-0123456789abcdefghijklmnop';
const BOB = 'bob-0123456789abcdefghijklmnopqrs';
/** A browser on two shared cores is slow: a generous deadline, not a measure. */
const BROWSER_DEADLINE_MS = 240_000;
/** WCAG AA for normal text. */
const MIN_CONTRAST = 4.5;

/**
 * The dashboard in Chromium, as a merchandiser uses it, against the app with the page `npm run build`
 * built and a local image server: upload, live progress, thumbnails, failures in plain words and their
 * retry, the CSV, deletion; with API keys, the key prompt and only that key's requests. Every view fits
 * a 375 px phone; axe finds no serious violation and disabled buttons stay readable; the page's CSP
 * blocks nothing it does, nothing it asks for is missing, and nothing leaves loopback.
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

  /**
   * A fresh browser profile (empty storage) that records CSP violations, refuses anything off loopback
   * and lists every page resource (not an API call) that was not found: a script, a style, a thumbnail.
   */
  async function openPage(): Promise<{
    context: BrowserContext;
    page: Page;
    problems: () => Promise<string[]>;
  }> {
    const context = await browser.newContext({ viewport: LAPTOP, acceptDownloads: true });
    const page = await context.newPage();
    const guard = await guardPage(page);
    const missing: string[] = [];
    page.on('response', (response) => {
      const type = response.request().resourceType();
      if (response.status() === 404 && !['fetch', 'xhr'].includes(type)) missing.push(response.url());
    });
    const problems = async () => [...(await guard.problems()), ...missing.map((url) => `not found: ${url}`)];
    return { context, page, problems };
  }

  async function expectAccessible(page: Page) {
    const { violations } = await new AxeBuilder({ page }).analyze();
    const serious = violations.filter((violation) =>
      ['serious', 'critical'].includes(violation.impact ?? ''),
    );
    expect(serious.map((violation) => `${violation.id}: ${violation.help}`)).toEqual([]);
  }

  /**
   * The contrast of each disabled button's text, measured with axe's own colour functions (its
   * color-contrast rule skips disabled controls, so it would not see an unreadable one).
   */
  function disabledButtonContrasts(page: Page): Promise<Array<{ button: string; ratio: number }>> {
    return page.evaluate(() => {
      const axe = (window as any).axe;
      axe.setup();
      try {
        return [...document.querySelectorAll('button:disabled')].map((button) => {
          const background = axe.commons.color.getBackgroundColor(button);
          const foreground = axe.commons.color.getForegroundColor(button, false, background);
          return {
            button: button.textContent ?? '',
            ratio: axe.commons.color.getContrast(background, foreground),
          };
        });
      } finally {
        axe.teardown();
      }
    });
  }

  /** At a 375 px phone's width the view is no wider than the screen; a screenshot of each, then back. */
  async function expectFitsPhone(page: Page, view: string) {
    await page.setViewportSize(PHONE);
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
    }));
    await page.screenshot({ path: join(SCREENSHOTS, `phone-${view}.png`), fullPage: true });
    await page.setViewportSize(LAPTOP);
    expect(scrollWidth, `${view} at ${PHONE.width} px`).toBeLessThanOrEqual(innerWidth);
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
      fixtures.imageStatus = () => undefined;
      await service?.close();
    });

    it('uploads, follows the progress live, explains failures, retries them, downloads the CSV and deletes the request, at any width', async () => {
      const { context, page, problems } = await openPage();
      await page.goto(service.config.server.publicUrl);
      await page.getByRole('heading', { name: 'Upload a CSV' }).waitFor();
      await expectAccessible(page);
      await expectFitsPhone(page, 'home');
      const icon = await page.locator('link[rel="icon"]').getAttribute('href');
      expect((await service.http.get(icon!).expect(200)).headers['content-type']).toMatch(/^image\/svg\+xml/);

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
      await expectFitsPhone(page, 'validation-errors');

      // A supplier's link is broken until they fix it; another file is damaged for good; one image
      // takes its time (held), so the request is seen running with failures already counted.
      let broken = true;
      fixtures.imageStatus = (request) =>
        broken && request.startsWith('/images/alpha.png') ? 404 : undefined;
      const releaseSlow = fixtures.holdImages((request) => request.includes('slow'));
      // Four more are held back for a while, so the progress is seen moving in two steps.
      const releaseLater = fixtures.holdImages((request) => request.includes('later'));
      const names = ['exif-orientation-6.jpg', 'photo.webp', 'cmyk.jpg', 'exif-orientation-8.jpg'];
      const urls = Array.from({ length: 12 }, (_, index) =>
        fixtures.imageUrl(names[index % names.length], index < 8 ? `n=${index}` : `n=${index}&later`),
      );
      urls.push(fixtures.imageUrl('alpha.png'), fixtures.imageUrl('truncated.jpg'));
      urls.push(fixtures.imageUrl('photo.webp', 'slow'));
      const catalog = {
        name: 'catalog.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(productCsv(urls)),
      };
      await page.getByLabel('Webhook URL (optional)').fill(`${fixtures.baseUrl}/webhook`);
      // Output options: a bad one is refused naming its field; then WebP at most 300 px wide.
      await page.getByLabel('Quality (1–100 or auto)').fill('101');
      await page.getByLabel(/Drop a CSV here|bad\.csv/).setInputFiles(catalog);
      await page.getByRole('button', { name: 'Upload' }).click();
      await page.getByRole('alert').getByText('quality').first().waitFor();
      await page.getByLabel('Quality (1–100 or auto)').fill('');
      await page.getByLabel('Format').selectOption('webp');
      await page.getByLabel('Max width (px)').fill('300');
      await page.getByLabel(/Drop a CSV here|catalog\.csv/).setInputFiles(catalog);
      await page.getByRole('button', { name: 'Upload' }).click();
      await page.waitForURL(/#\/requests\/[0-9a-f-]{36}$/);
      const requestId = new URL(page.url()).hash.split('/').pop()!;
      expect((await service.http.get(`/status/${requestId}`).expect(200)).body.output).toMatchObject({
        format: 'webp',
        max_width: 300,
      });
      // Named by its CSV, with its id beside.
      await page.getByRole('heading', { name: 'catalog.csv', level: 1 }).waitFor();
      await page.getByText(requestId).waitFor();

      // The count moves as images finish, pushed by the server: up to the four held back (8 made, 2
      // failed), then, once they are let through, up to the slow one.
      const count = page.getByTestId('progress-count');
      await expect.poll(() => count.textContent(), { timeout: 60_000 }).toBe('10/15');
      releaseLater();
      await expect.poll(() => count.textContent(), { timeout: 60_000 }).toBe('14/15');

      // Still running: the counter, the failed table and the thumbnails already agree with the work done.
      const status = page.getByTestId('request-status');
      const failedRegion = page.getByRole('region', { name: 'Failed images' });
      expect(await page.getByTestId('failed-count').textContent()).toBe('2');
      await expect
        .poll(() => failedRegion.getByTestId('failed-shown').textContent())
        .toBe('2 failed image(s)');
      await expect.poll(() => failedRegion.getByRole('row').count()).toBe(3);
      await expect.poll(() => thumbnailsShown(page), { timeout: 30_000 }).toBe(12);
      expect(await status.textContent()).toBe('processing');

      // Nothing to download yet, and the page says why.
      const download = page.getByRole('button', { name: 'Download CSV' });
      expect(await download.isDisabled()).toBe(true);
      expect(await download.getAttribute('aria-describedby')).toBe('actions-wait');
      expect(await page.locator('#actions-wait').textContent()).toContain(
        'The CSV can be downloaded, and the request deleted, once every image has finished',
      );
      expect(await page.getByRole('button', { name: 'Delete request' }).isDisabled()).toBe(true);

      // Each failure in plain words beside its code and technical message.
      const notFoundRow = failedRegion.getByRole('row').filter({ hasText: fixtures.imageUrl('alpha.png') });
      expect(await notFoundRow.textContent()).toContain('there is no image at this address (HTTP 404)');
      expect(await notFoundRow.textContent()).toContain('http_404');
      const damagedRow = failedRegion
        .getByRole('row')
        .filter({ hasText: fixtures.imageUrl('truncated.jpg') });
      expect(await damagedRow.textContent()).toContain('damaged or cut short');
      expect(await damagedRow.textContent()).toContain('decode_error');

      // The filter offers the codes present, with their counts.
      const filter = failedRegion.getByLabel('Show');
      expect(await filter.locator('option').allTextContents()).toEqual([
        'Every failed image',
        'Damaged image (decode_error): 1',
        'Not found (http_404): 1',
      ]);
      await filter.selectOption('http_404');
      await expect
        .poll(() => failedRegion.getByTestId('failed-shown').textContent())
        .toBe('1 of 2 failed image(s): not found (http_404)');
      expect(await failedRegion.getByRole('row').count()).toBe(2);
      await filter.selectOption('');

      await expectAccessible(page);
      const contrasts = await disabledButtonContrasts(page);
      expect(contrasts.map(({ button }) => button)).toEqual(
        expect.arrayContaining(['Download CSV', 'Retry failed images', 'Delete request']),
      );
      for (const { button, ratio } of contrasts) expect(ratio, button).toBeGreaterThanOrEqual(MIN_CONTRAST);
      await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-processing.png'), fullPage: true });
      await expectFitsPhone(page, 'request-processing');

      releaseSlow();
      await expect.poll(() => status.textContent(), { timeout: 60_000 }).toBe('completed with errors');
      await expect.poll(() => thumbnailsShown(page), { timeout: 30_000 }).toBe(13);
      expect(await download.isDisabled()).toBe(false);
      expect(await page.locator('#actions-wait').count()).toBe(0);
      await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-request.png'), fullPage: true });
      await expectFitsPhone(page, 'request-finished');

      // The supplier fixed the link: retry; the damaged file fails again, and the table follows.
      broken = false;
      await page.getByRole('button', { name: 'Retry failed images' }).click();
      await expect.poll(() => page.getByTestId('failed-count').textContent(), { timeout: 60_000 }).toBe('1');
      await expect.poll(() => status.textContent(), { timeout: 60_000 }).toBe('completed with errors');
      await expect
        .poll(() => failedRegion.getByTestId('failed-shown').textContent())
        .toBe('1 failed image(s)');
      expect(await failedRegion.getByRole('row').nth(1).textContent()).toContain('decode_error');
      await expect.poll(() => thumbnailsShown(page), { timeout: 30_000 }).toBe(14);

      const [file] = await Promise.all([page.waitForEvent('download'), download.click()]);
      expect(file.suggestedFilename()).toBe('catalog-output.csv');
      const csv = await readFile((await file.path())!, 'utf8');
      expect(csv).toMatch(/^S\. No\.,Product Name,Input Image Urls,Output Image Urls/);
      expect(csv.match(/\/files\/[0-9a-f]{2}\/[0-9a-f-]{36}\.webp/g)).toHaveLength(14);

      // The list names the request by its CSV.
      await page.getByRole('link', { name: '← All requests' }).click();
      await page.getByRole('link', { name: 'catalog.csv' }).waitFor();
      await expectFitsPhone(page, 'home-with-requests');
      await page.getByRole('link', { name: 'catalog.csv' }).click();
      await status.waitFor();

      page.once('dialog', (dialog) => void dialog.accept());
      await page.getByRole('button', { name: 'Delete request' }).click();
      await page.waitForURL(/#\/$/);
      await page.getByRole('heading', { name: 'Your requests' }).waitFor();
      await service.http.get(`/status/${requestId}`).expect(404);
      await page.getByText('No requests yet').waitFor();

      expect(await problems()).toEqual([]);
      await context.close();
    });

    it("asks for a request's first page of thumbnails beside its progress stream, and labels the page it shows", async () => {
      // 101 images: a full first page, and a second of one.
      const urls = Array.from({ length: 101 }, (_, index) =>
        fixtures.imageUrl('exif-orientation-8.jpg', `beside=${index}`),
      );
      const requestId = await uploadCsv(service.http, productCsv(urls));
      await waitForCompletion(service.http, requestId, 120_000);
      const { context, page, problems } = await openPage();
      const hold = async (pattern: string) => {
        let release!: () => void;
        const held = new Promise<void>((done) => (release = done));
        await page.route(pattern, async (route) => {
          await held;
          await route.continue();
        });
        return release;
      };
      await page.setViewportSize({ width: LAPTOP.width, height: 4000 }); // the whole page in view: no thumbnail waits to scroll in
      const firstPageReads: string[] = [];
      page.on('request', (request) => {
        if (request.url().includes(`/requests/${requestId}/images?offset=0`))
          firstPageReads.push(request.url());
      });
      // The progress stream is held unanswered: the thumbnails still come, then the request's facts.
      const releaseStream = await hold(`**/requests/${requestId}/events`);
      await page.goto(`${service.config.server.publicUrl}/#/requests/${requestId}`);
      await expect.poll(() => thumbnailsShown(page), { timeout: 60_000 }).toBe(100);
      expect(await page.getByText('Images 1–100 of 101').count()).toBe(1);
      expect(await page.getByTestId('request-status').count()).toBe(0);
      releaseStream();
      await page.getByTestId('request-status').filter({ hasText: 'completed' }).waitFor();

      // The next page is held: the label stays with the thumbnails shown until it arrives.
      const releaseNext = await hold(`**/requests/${requestId}/images?offset=100*`);
      const asked = page.waitForRequest((request) => request.url().includes('offset=100'));
      await page.getByRole('button', { name: 'Next' }).click();
      await asked;
      expect(await page.getByText('Images 1–100 of 101').count()).toBe(1);
      expect(await thumbnailsShown(page)).toBe(100);
      // The request was finished and its page settled: the stream's first event did not read it again.
      expect(firstPageReads).toHaveLength(1);
      releaseNext();
      await page.getByText('Images 101–101 of 101').waitFor();
      await expect.poll(() => thumbnailsShown(page), { timeout: 30_000 }).toBe(1);
      expect(await problems()).toEqual([]);
      await context.close();
    });

    it('shows the retried images done when they finish before the new progress stream first answers', async () => {
      let broken = true;
      fixtures.imageStatus = (request) => (broken && request.includes('retried-early') ? 404 : undefined);
      const good = fixtures.imageUrl('photo.webp', 'kept-early');
      const flaky = fixtures.imageUrl('photo.webp', 'retried-early');
      const requestId = await uploadCsv(service.http, productCsv([good, flaky]));
      await waitForCompletion(service.http, requestId, 60_000);
      const { context, page, problems } = await openPage();
      const tiles = () =>
        page.evaluate(() => [...document.querySelectorAll('.grid li')].map((tile) => tile.className));
      await page.goto(`${service.config.server.publicUrl}/#/requests/${requestId}`);
      await expect.poll(tiles, { timeout: 30_000 }).toEqual(['tile done', 'tile failed']);

      // The retried image is held while the page reads its tiles; the new stream is held until it is done.
      broken = false;
      const releaseImage = fixtures.holdImages((request) => request.includes('retried-early'));
      let releaseStream!: () => void;
      const streamHeld = new Promise<void>((done) => (releaseStream = done));
      await page.route(`**/requests/${requestId}/events`, async (route) => {
        await streamHeld;
        await route.continue();
      });
      const pageRead = page.waitForResponse((response) => response.url().includes('/images?'));
      await page.getByRole('button', { name: 'Retry failed images' }).click();
      await pageRead;
      releaseImage();
      await waitForCompletion(service.http, requestId, 60_000);
      releaseStream();
      await expect.poll(tiles, { timeout: 30_000 }).toEqual(['tile done', 'tile done']);
      fixtures.imageStatus = () => undefined;
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

    /** A request of two images, in one row, named `<tag>.csv` (the page names requests by their CSV). */
    async function upload(tag: string): Promise<string> {
      const urls = [1, 2].map((n) => fixtures.imageUrl('cmyk.jpg', `${tag}=${n}`));
      await service.http
        .post('/upload')
        .attach('file', ...csvFile(imagesCsv(urls), `${tag}.csv`))
        .expect(202);
      return `${tag}.csv`;
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
        await page.goto(service.config.server.publicUrl);
        const itemOf = (fileName: string) =>
          page.getByRole('listitem').filter({ has: page.getByRole('link', { name: fileName }) });
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

    async function uploadAs(key: string, fileName: string): Promise<string> {
      const csv = productCsv([fixtures.imageUrl('photo.webp', key)]);
      const { body } = await service.http
        .post('/upload')
        .set('Authorization', `Bearer ${key}`)
        .attach('file', Buffer.from(csv), fileName)
        .expect(202);
      return body.request_id;
    }

    it("asks for a key, says where keys come from, keeps a refused one visible, and shows only that key's requests", async () => {
      await uploadAs(ALICE, 'alice-catalog.csv');
      await uploadAs(BOB, 'bob-catalog.csv');
      const { context, page, problems } = await openPage();
      const calls: Array<{ url: string; authorization?: string }> = [];
      page.on('request', (request) => {
        if (['fetch', 'xhr'].includes(request.resourceType())) {
          calls.push({ url: request.url(), authorization: request.headers().authorization });
        }
      });
      await page.goto(service.config.server.publicUrl);
      const keyField = page.getByRole('textbox', { name: 'API key' });
      await keyField.waitFor();
      expect(await page.locator('#key-origin').textContent()).toContain('API_KEYS');
      await expectAccessible(page);
      await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-api-key.png') });

      // A typo: refused, and still there to be seen and mended.
      const typo = `${ALICE.slice(0, -1)}x`;
      await keyField.fill(typo);
      await page.getByRole('button', { name: 'Use this key' }).click();
      await page.getByText('The key below was not accepted').waitFor();
      expect(await keyField.inputValue()).toBe(typo);
      expect(await keyField.getAttribute('type')).toBe('password');
      await page.getByLabel('Show the key').check();
      expect(await keyField.getAttribute('type')).toBe('text');
      await expectAccessible(page);
      await expectFitsPhone(page, 'api-key-refused');

      await keyField.fill(ALICE);
      await page.getByRole('button', { name: 'Use this key' }).click();
      await page.getByRole('link', { name: 'alice-catalog.csv' }).waitFor();
      expect(await page.getByRole('link', { name: 'bob-catalog.csv' }).count()).toBe(0);

      // Kept in the browser: a reload asks for nothing.
      await page.reload();
      await page.getByRole('link', { name: 'alice-catalog.csv' }).click();
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
