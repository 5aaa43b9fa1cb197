/**
 * `npm run bench:dashboard`: what a person waits for in the dashboard, in Debian's Chromium against the
 * BUILT service (node dist/main.cjs, embedded default) and a local image server.
 *
 *   thumbnails  a finished request of BENCH_DASHBOARD_IMAGES (1,000) images: from opening its page to
 *               100 thumbnails shown (cold: first visit; warm: reload), and to the next page's 100, in a
 *               window tall enough to show the whole page (thumbnails load lazily, as they scroll in)
 *   progress    BENCH_DASHBOARD_EVENTS (10) one-image requests, each held at the image server until its
 *               page is open: from the image recorded done (the request's completed_at, set in the
 *               transaction that records it) to the page showing it, at the default SSE_POLL_MS
 *
 * Prints the numbers; exits non-zero only when something crashes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium } from '../test/helpers/chromium.js';
import { productCsv } from '../test/helpers/csv.js';
import { FixtureServer } from '../test/helpers/fixture-server.js';
import { requireBuild, ServerProcess } from '../test/helpers/server-process.js';
import { freePort, waitForCompletion } from '../test/helpers/test-app.js';
import { upload } from '../test/helpers/upload.js';
import { log, round } from './measure.js';

const IMAGES = Number(process.env.BENCH_DASHBOARD_IMAGES ?? 1000);
const EVENTS = Number(process.env.BENCH_DASHBOARD_EVENTS ?? 10);

const shownThumbnails = (page: Page) =>
  page.waitForFunction(
    () =>
      [...document.querySelectorAll<HTMLImageElement>('.grid img')].filter(
        (image) => image.complete && image.naturalWidth > 0,
      ).length >= 100,
    undefined,
    { polling: 'raf', timeout: 60_000 },
  );

const uploadUrls = (service: ServerProcess, urls: string[]) =>
  upload(service.http, productCsv(urls), { fileName: 'bench.csv' });

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  requireBuild();
  // Each URL's bytes its own: every image is made, as a catalog's would be (no reuse by content).
  const fixtures = await Object.assign(new FixtureServer(), { distinctImages: true }).start();
  const dataDir = mkdtempSync(join(tmpdir(), 'pixelmill-bench-dashboard-'));
  const service = new ServerProcess(
    { DATA_DIR: dataDir, ALLOW_PRIVATE_URLS: 'true', RATE_LIMIT_UPLOADS_PER_MIN: '0', LOG_LEVEL: 'warn' },
    await freePort(),
  );
  const browser = await launchChromium();
  try {
    await service.start(60_000);
    const big = await uploadUrls(
      service,
      Array.from({ length: IMAGES }, (_, index) => fixtures.imageUrl('exif-orientation-8.jpg', `n=${index}`)),
    );
    await waitForCompletion(service.http, big, 600_000);

    const page = await (await browser.newContext({ viewport: { width: 1280, height: 4000 } })).newPage();
    let started = performance.now();
    await page.goto(`${service.baseUrl}/#/requests/${big}`);
    await shownThumbnails(page);
    const cold = performance.now() - started;
    started = performance.now();
    await page.reload();
    await shownThumbnails(page);
    const warm = performance.now() - started;
    started = performance.now();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText(`Images 101–200 of ${IMAGES}`).waitFor();
    await shownThumbnails(page);
    const next = performance.now() - started;
    log(
      `thumbnails: ${IMAGES}-image request, 100 thumbnails shown in ${round(cold)} ms (cold), ${round(warm)} ms (reload), next page ${round(next)} ms`,
    );

    const latencies: number[] = [];
    for (let run = 0; run < EVENTS; run++) {
      const release = fixtures.holdImages();
      const requestId = await uploadUrls(service, [
        fixtures.imageUrl('exif-orientation-8.jpg', `event=${run}`),
      ]);
      await page.goto(`${service.baseUrl}/#/requests/${requestId}`);
      await page.getByTestId('progress-count').filter({ hasText: '0/1' }).waitFor();
      release();
      // The moment the page shows it, in epoch ms, from the page's own clock (the machine's).
      const shown = await page.waitForFunction(
        () =>
          document.querySelector('[data-testid=progress-count]')?.textContent === '1/1' &&
          performance.timeOrigin + performance.now(),
        undefined,
        { polling: 'raf', timeout: 60_000 },
      );
      const shownAt = (await shown.jsonValue()) as number;
      const { body } = await service.http.get(`/status/${requestId}`).expect(200);
      latencies.push(shownAt - Date.parse(body.completed_at));
    }
    log(
      `progress: image done → shown on the page, ${EVENTS} runs: median ${round(median(latencies))} ms, max ${round(Math.max(...latencies))} ms (SSE_POLL_MS 500)`,
    );
  } finally {
    await browser.close();
    await service.kill();
    await fixtures.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
