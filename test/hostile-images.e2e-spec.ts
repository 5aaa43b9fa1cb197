import { HostileServer } from './helpers/hostile-server.js';
import { freePort, startTestApp, type TestApp, waitForCompletion } from './helpers/test-app.js';
import { parseCsv, productCsv } from './helpers/csv.js';
import { upload } from './helpers/upload.js';

// Every download goes to a local HostileServer on 127.0.0.1 (or to a free port on 127.0.0.1 where
// nothing listens): nothing leaves the machine.

const MiB = 1024 * 1024;

/** One row per URL: the row's product name is its expected outcome, for readable failures. */
function csvOf(rows: Array<[name: string, url: string]>): Buffer {
  return Buffer.from(productCsv(rows.map(([name, url]) => ({ name, urls: url }))));
}

async function imagesOf(service: TestApp, requestId: string): Promise<Map<string, Record<string, any>>> {
  const { body } = await service.http.get(`/requests/${requestId}/images?limit=100`).expect(200);
  return new Map(body.images.map((image: Record<string, any>) => [image.input_url, image]));
}

/** The export's Errors cell per input URL ("<url>: <code> (<message>)" entries joined by " | "). */
async function exportedErrors(service: TestApp, requestId: string): Promise<string> {
  const { text } = await service.http.get(`/export-csv/${requestId}`).expect(200);
  const table = await parseCsv(text);
  const errors = table[0].indexOf('Errors');
  return table
    .slice(1)
    .map((row) => row[errors])
    .join(' | ');
}

describe('each bad image fails alone, with a stable code (no retries)', () => {
  const supplier = new HostileServer();
  let service: TestApp;
  let deadPort: number;

  beforeAll(async () => {
    await supplier.start();
    deadPort = await freePort();
    service = await startTestApp({
      DOWNLOAD_RETRIES: '0',
      DOWNLOAD_TIMEOUT_MS: '1500',
      MAX_IMAGE_BYTES: String(1.5 * MiB),
      CONCURRENCY: '16',
    });
  });

  afterAll(async () => {
    await service?.close();
    await supplier.stop();
  });

  it('decompression bombs (280 MP JPEG, 4.3 GP PNG) fail as too_many_pixels; memory stays under 1 GiB', async () => {
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 5);
    const before = process.memoryUsage().rss;
    try {
      const urls = [
        supplier.url('/images/bomb-20000x14000.jpg'),
        supplier.url('/images/bomb-65536x65536.png'),
        supplier.url('/chunked/bomb-65536x65536.png'),
      ];
      const requestId = await upload(service.http, csvOf(urls.map((url) => ['too_many_pixels', url])));
      expect(await waitForCompletion(service.http, requestId, 20_000)).toMatchObject({
        status: 'failed',
        failed_images: 3,
      });
      const images = await imagesOf(service, requestId);
      for (const url of urls) {
        expect(images.get(url), url).toMatchObject({
          status: 'failed',
          error_code: 'too_many_pixels',
          output_url: null,
        });
        expect(images.get(url)!.error).toBe(
          'too_many_pixels: image has more pixels than MAX_IMAGE_PIXELS allows',
        );
      }
      expect(await exportedErrors(service, requestId)).toContain(`${urls[0]}: too_many_pixels (`);
    } finally {
      clearInterval(sampler);
    }
    const maxRss = process.resourceUsage().maxRSS * 1024; // KiB on Linux
    console.log(
      `bombs: RSS ${(before / MiB).toFixed(0)} MiB before, sampled peak ${(peakRss / MiB).toFixed(0)} MiB, process maxRSS ${(maxRss / MiB).toFixed(0)} MiB (limit 1024 MiB)`,
    );
    expect(peakRss).toBeLessThan(1024 * MiB);
    expect(maxRss).toBeLessThan(1024 * MiB);
  });

  it('every failure code, in /requests/:id/images and in the export', async () => {
    const cases: Array<[code: string, url: string]> = [
      ['ok', supplier.url('/images/exif-orientation-6.jpg')],
      ['ok', supplier.url('/chunked/animated.gif')],
      ['http_404', supplier.url('/status/404')],
      ['http_500', supplier.url('/status/500')],
      ['http_403', supplier.url('/status/403')],
      ['timeout', supplier.url('/trickle')],
      ['too_large', supplier.url('/declared-huge')],
      ['too_large', supplier.url('/endless')],
      ['not_an_image', supplier.url('/images/not-an-image.jpg')],
      ['not_an_image', supplier.url('/images/empty.jpg')],
      ['not_an_image', supplier.url('/html-as-jpeg')],
      ['decode_error', supplier.url('/images/truncated.jpg')],
      ['decode_error', supplier.url('/images/truncated.png')],
      ['decode_error', supplier.url('/images/corrupt-header.jpg')],
      ['decode_error', supplier.url('/truncate/400000/photo-2725x2225.jpg')],
      ['too_many_redirects', supplier.url('/redirect-loop')],
      ['connection_failed', `http://127.0.0.1:${deadPort}/nothing-listens.jpg`],
      ['connection_failed', supplier.url('/reset')],
    ];
    const started = Date.now();
    const requestId = await upload(service.http, csvOf(cases));
    const status = await waitForCompletion(service.http, requestId, 20_000);
    expect(status).toMatchObject({
      status: 'completed_with_errors',
      total_images: cases.length,
      failed_images: cases.length - 2,
    });
    console.log(`images: ${cases.length} hostile downloads settled in ${Date.now() - started} ms`);

    const images = await imagesOf(service, requestId);
    const errors = await exportedErrors(service, requestId);
    for (const [code, url] of cases) {
      const image = images.get(url)!;
      if (code === 'ok') {
        expect(image, url).toMatchObject({
          status: 'done',
          error: null,
          error_code: null,
          output_url: expect.any(String),
        });
        continue;
      }
      expect(image, url).toMatchObject({ status: 'failed', error_code: code, output_url: null });
      expect(image.error, url).toMatch(new RegExp(`^${code}: .+`));
      expect(errors, url).toContain(`${url}: ${code} (${image.error.slice(code.length + 2)})`);
    }

    // Human messages that say what happened.
    expect(images.get(supplier.url('/status/404'))!.error).toBe('http_404: HTTP 404 Not Found');
    expect(images.get(supplier.url('/trickle'))!.error).toBe('timeout: request timed out after 1500 ms');
    expect(images.get(supplier.url('/endless'))!.error).toBe('too_large: download exceeded 1.5 MiB limit');
    expect(images.get(supplier.url('/redirect-loop'))!.error).toBe(
      'too_many_redirects: more than 5 redirects',
    );
    // libvips' detail may be lost when images fail at once, or be another failing image's (its error
    // buffer is shared by threads: the full suite saw "vipspng: libpng read error" here); the code holds.
    expect(images.get(supplier.url('/images/truncated.jpg'))!.error).toMatch(
      /^decode_error: the image could not be decoded(: .+| \(corrupt or truncated data\))$/,
    );
    expect(images.get(supplier.url('/images/empty.jpg'))!.input_bytes).toBe(0);

    // What the supplier saw.
    const response = (path: string) => supplier.responses.find((r) => r.path === path)!;
    expect(supplier.hitsOf('/status/404')).toBe(1);
    expect(supplier.hitsOf('/status/500')).toBe(1); // DOWNLOAD_RETRIES=0
    expect(supplier.hitsOf('/redirect-loop')).toBe(6); // the first request and MAX_REDIRECTS (5) redirects; the 6th not followed
    // The deadline covers the whole download: the trickling body (headers at once, then a byte every
    // 100 ms) was cut at DOWNLOAD_TIMEOUT_MS (1500 ms from the start of the download, connecting
    // included, so the server sees a little less under load), not left to trickle on.
    expect(response('/trickle')).toMatchObject({ completed: false });
    expect(response('/trickle').durationMs).toBeGreaterThanOrEqual(1_000);
    expect(response('/trickle').durationMs).toBeLessThan(5_000);
    // Refused on Content-Length before reading: the 1 GiB body never comes, so a client that waited
    // for it would have failed with timeout, not too_large.
    expect(response('/declared-huge')).toMatchObject({ completed: false, bytesSent: 0 });
    // Counted while streaming and aborted: the endless body was cut near the limit, not buffered.
    expect(response('/endless')).toMatchObject({ completed: false });
    expect(response('/endless').bytesSent).toBeLessThan(16 * MiB);
  });

  it('the export neutralises formulas in every cell that came from the client', async () => {
    const ok = supplier.url('/images/animated.gif', 'formula');
    const missing = supplier.url('/status/404', 'formula');
    const csv = [
      'S. No.,Product Name,Input Image Urls,=Notes,@Tag,+Plus,-Minus',
      `+1,"=HYPERLINK(""http://evil.test"",""click"")",${ok},-2+3,@SUM(A1),"\tTab","\rReturn"`,
      `2, =not a formula,${missing},a=1,safe,,`,
    ].join('\n');
    const requestId = await upload(service.http, Buffer.from(csv));
    await waitForCompletion(service.http, requestId, 20_000);
    const { text } = await service.http.get(`/export-csv/${requestId}`).expect(200);
    const table = await parseCsv(text);
    expect(table[0]).toEqual([
      'S. No.',
      'Product Name',
      'Input Image Urls',
      "'=Notes",
      "'@Tag",
      "'+Plus",
      "'-Minus",
      'Output Image Urls',
      'Errors',
    ]);
    expect(table[1].slice(0, 7)).toEqual([
      "'+1",
      `'=HYPERLINK("http://evil.test","click")`,
      ok,
      "'-2+3",
      "'@SUM(A1)",
      "'\tTab",
      "'\rReturn",
    ]);
    expect(table[1][7]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/files\//);
    expect(table[2].slice(0, 7)).toEqual(['2', "' =not a formula", missing, 'a=1', 'safe', '', '']);
    expect(table[2][8]).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/status\/404\?formula: http_404 \(HTTP 404 Not Found\)$/,
    );
  });
});

describe('transient failures are retried, permanent ones are not', () => {
  const supplier = new HostileServer();
  let service: TestApp;

  beforeAll(async () => {
    await supplier.start();
    service = await startTestApp({ DOWNLOAD_RETRIES: '2', CONCURRENCY: '16' });
  });

  afterAll(async () => {
    await service?.close();
    await supplier.stop();
  });

  it('500 twice then the image: done after 3 fetches; a 404 or a bad image: fetched once; always 5xx/429/reset (whatever its Retry-After): 1 + DOWNLOAD_RETRIES fetches', async () => {
    const cases: Array<[expected: string, url: string, fetches: number]> = [
      ['done', supplier.url('/flaky/2/exif-orientation-8.jpg'), 3],
      ['http_404', supplier.url('/status/404'), 1],
      ['http_410', supplier.url('/status/410'), 1],
      ['decode_error', supplier.url('/images/truncated.jpg'), 1],
      ['http_500', supplier.url('/status/500'), 3],
      ['http_503', supplier.url('/status/503'), 3],
      ['http_429', supplier.url('/status/429'), 3],
      ['connection_failed', supplier.url('/reset'), 3],
      // A Retry-After beyond MAX_RETRY_AFTER_MS, unparsable or infinite: the normal backoff applies,
      // and the image fails after DOWNLOAD_RETRIES like any other (before, the request never finished).
      ['http_503', supplier.url('/retry-after/99999999999'), 3],
      ['http_503', supplier.url(`/retry-after/${encodeURIComponent('Fri, 31 Dec 9999 23:59:59 GMT')}`), 3],
      ['http_503', supplier.url(`/retry-after/${'9'.repeat(400)}`), 3],
      ['http_503', supplier.url('/retry-after/soon'), 3],
    ];
    const started = Date.now();
    const requestId = await upload(service.http, csvOf(cases.map(([expected, url]) => [expected, url])));
    await waitForCompletion(service.http, requestId, 30_000);
    console.log(`retries: settled in ${Date.now() - started} ms`);
    const images = await imagesOf(service, requestId);
    for (const [expected, url, fetches] of cases) {
      const path = new URL(url).pathname;
      if (expected === 'done')
        expect(images.get(url), url).toMatchObject({ status: 'done', error_code: null });
      else expect(images.get(url), url).toMatchObject({ status: 'failed', error_code: expected });
      expect(supplier.hitsOf(path), url).toBe(fetches);
    }
  });
});
