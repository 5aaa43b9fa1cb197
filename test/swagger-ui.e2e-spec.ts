import type { Browser, Page } from 'playwright-core';
import { guardPage, launchChromium } from './helpers/chromium.js';
import { FixtureServer } from './helpers/fixture-server.js';
import { startTestApp, type TestApp, waitForCompletion } from './helpers/test-app.js';
import { productCsv } from './helpers/csv.js';

/**
 * Swagger UI as a new user tries it, in Chromium: Try it out on POST /upload with only a file,
 * then on GET /status/{request_id} with the id it answered. Every request the page makes must
 * stay on loopback, and the CSP served under /docs must not block anything Swagger UI does.
 */
/** A browser on two shared cores is slow: a generous deadline, not a measure. */
const BROWSER_DEADLINE_MS = 180_000;

describe('Swagger UI in Chromium', { timeout: BROWSER_DEADLINE_MS }, () => {
  const fixtures = new FixtureServer();
  let service: TestApp;
  let browser: Browser;
  let page: Page;
  let problems: () => Promise<string[]>;

  beforeAll(async () => {
    await fixtures.start();
    service = await startTestApp();
    browser = await launchChromium();
    page = await browser.newPage();
    ({ problems } = await guardPage(page));
  });

  afterAll(async () => {
    await browser?.close();
    await service?.close();
    await fixtures.stop();
  });

  /** Opens an operation, presses Try it out, lets `fill` fill it in, executes it and returns the response. */
  async function tryItOut(
    tag: string,
    operationId: string,
    urlPart: string,
    fill: (block: ReturnType<Page['locator']>) => Promise<void>,
  ) {
    const block = page.locator(`#operations-${tag}-${operationId}`);
    await block.locator('.opblock-summary').first().click();
    await block.locator('button.try-out__btn').click();
    await fill(block);
    const [response] = await Promise.all([
      page.waitForResponse(
        (answer) => answer.url().includes(urlPart) && answer.request().resourceType() === 'fetch',
      ),
      block.locator('button.execute').click(),
    ]);
    return response;
  }

  it('uploads a CSV with only a file (202), then reads its status (200)', async () => {
    await page.goto(`${service.config.server.publicUrl}/docs`);
    await page.locator('#operations-requests-uploadCsv').waitFor();

    const csv = productCsv([fixtures.imageUrl('exif-orientation-6.jpg')]);
    const upload = await tryItOut('requests', 'uploadCsv', '/upload', async (block) => {
      await block.locator('input[type=file]').setInputFiles({
        name: 'products.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(csv),
      });
    });
    expect(upload.status(), await upload.text()).toBe(202);
    expect(upload.request().headers()['idempotency-key']).toBeUndefined();
    // No placeholder sent for the optional field (it sent "string", then "https://example.com/").
    expect(upload.request().postData()).not.toMatch(/name="webhook_url"\r\n\r\n[^\r]/);
    const { request_id: requestId } = await upload.json();
    await expect
      .poll(() =>
        page
          .locator('#operations-requests-uploadCsv .live-responses-table tbody .response-col_status')
          .first()
          .textContent(),
      )
      .toContain('202');

    const status = await tryItOut('requests', 'getRequestStatus', `/status/${requestId}`, async (block) => {
      await block.locator('input[placeholder="request_id"]').fill(requestId);
    });
    expect(status.status(), await status.text()).toBe(200);
    expect(await status.json()).toMatchObject({ request_id: requestId });

    await expectNothingBlocked();
  });

  it('runs every other operation from its Try it out form with only the required fields', async () => {
    const csv = productCsv([fixtures.imageUrl('exif-orientation-8.jpg')]);
    const { body } = await service.http
      .post('/upload')
      .attach('file', Buffer.from(csv), 'one.csv')
      .expect(202);
    const requestId: string = body.request_id;
    await waitForCompletion(service.http, requestId);
    const fillRequestId = async (block: ReturnType<Page['locator']>) => {
      await block.locator('input[placeholder="request_id"]').fill(requestId);
    };

    const images = await tryItOut(
      'requests',
      'listRequestImages',
      `/requests/${requestId}/images`,
      fillRequestId,
    );
    expect(images.status(), await images.text()).toBe(200);
    expect(new URL(images.url()).search).toBe('?offset=0&limit=100'); // the declared defaults
    const outputUrl = new URL((await images.json()).images[0].output_url);

    const exported = await tryItOut(
      'requests',
      'exportRequestCsv',
      `/export-csv/${requestId}`,
      fillRequestId,
    );
    expect(exported.status()).toBe(200);
    expect(await exported.text()).toMatch(
      /^S\. No\.,Product Name,Input Image Urls,Output Image Urls,Errors\n/,
    );

    // Nothing failed, so the declared 409 is the right answer: the form sent a well-formed request.
    const retry = await tryItOut(
      'requests',
      'retryFailedImages',
      `/requests/${requestId}/retry`,
      fillRequestId,
    );
    expect(retry.status(), await retry.text()).toBe(409);

    const [folder, fileName] = outputUrl.pathname.split('/').slice(2);
    const file = await tryItOut('files', 'getOutputFile', outputUrl.pathname, async (block) => {
      await block.locator('input[placeholder="folder"]').fill(folder);
      await block.locator('input[placeholder="fileName"]').fill(fileName);
    });
    expect(file.status()).toBe(200);
    expect(file.headers()['content-type']).toBe('image/jpeg');
    await expectNothingBlocked();

    // The strict CSP on images must not stop a browser from showing one, opened or embedded
    // in a page of another origin (the fixture server's).
    const shownWidth = () =>
      page.evaluate(() => {
        const image = document.images[0];
        return image?.complete ? image.naturalWidth : 0;
      });
    await page.goto(outputUrl.href);
    await expect.poll(shownWidth).toBeGreaterThan(0);
    fixtures.serve('/product.html', `<img src="${outputUrl.href}">`, 'text/html; charset=utf-8');
    await page.goto(`${fixtures.baseUrl}/product.html`);
    await expect.poll(shownWidth).toBeGreaterThan(0);
    expect(await problems()).toEqual([]);

    // Last, as it removes the request and its output.
    await page.goto(`${service.config.server.publicUrl}/docs`);
    await page.locator('#operations-requests-deleteRequest').waitFor();
    const deleted = await tryItOut('requests', 'deleteRequest', `/requests/${requestId}`, fillRequestId);
    expect(deleted.status(), await deleted.text()).toBe(204);
    await service.http.get(outputUrl.pathname).expect(404);
    await expectNothingBlocked();
  });

  async function expectNothingBlocked() {
    expect(await problems()).toEqual([]);
  }
});
