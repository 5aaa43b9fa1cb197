import { rm, writeFile } from 'node:fs/promises';
import { FixtureServer } from './helpers/fixture-server.js';
import { startTestApp, TestApp, waitForCompletion, eventually } from './helpers/test-app.js';
import { queryDatabase } from './helpers/database-counts.js';
import { startJsonLogServer, type JsonLogServer } from './helpers/json-log-server.js';
import type { ServerProcess } from './helpers/server-process.js';
import { productCsv } from './helpers/csv.js';

const SECRET = `whsec_${Buffer.from('pixelmill-operations-suite-key-32b').toString('base64')}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const csvOf = (urls: string[][]) => Buffer.from(productCsv(urls));

/** The samples of a Prometheus text exposition, keyed `name{labels}` exactly as written. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

async function scrape(service: TestApp): Promise<Map<string, number>> {
  const response = await service.http.get('/metrics').expect(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(response.text);
}

describe('health', () => {
  const fixtures = new FixtureServer();
  let service: TestApp;

  beforeAll(async () => {
    await fixtures.start();
    service = await startTestApp();
  });

  afterAll(async () => {
    await service?.close();
    await fixtures.stop();
  });

  it('is live and ready while the database, migrations and storage are fine', async () => {
    await service.http.get('/health/live').expect(200, { status: 'ok' });
    const { body } = await service.http.get('/health/ready').expect(200);
    expect(body.status).toBe('ok');
    expect(Object.keys(body.info).sort()).toEqual(['database', 'migrations', 'shutdown', 'storage']);
  });

  it('is not ready, naming storage, while outputs cannot be written; live all along; ready again once fixed', async () => {
    // Tests run as root, for whom no permission bit stops a write: a file where the folder should be does.
    const storageDir = service.config.storage.dir;
    await rm(storageDir, { recursive: true, force: true });
    await writeFile(storageDir, 'not a folder');
    try {
      const { body } = await service.http.get('/health/ready').expect(503);
      expect(body.status).toBe('error');
      expect(Object.keys(body.error)).toEqual(['storage']);
      expect(body.error.storage.status).toBe('down');
      // A fixed message: the store's own error (a path here, an S3 host name there) stays in the log.
      expect(body.error.storage.message).toBe('storage is not writable');
      expect(JSON.stringify(body)).not.toContain(storageDir);
      await service.http.get('/health/live').expect(200);
    } finally {
      await rm(storageDir, { force: true });
    }
    await service.http.get('/health/ready').expect(200);
  });

  it('is not ready, naming shutdown, while the process drains; still live', async () => {
    fixtures.imageDelayMs = 1_500;
    const draining = await startTestApp({ CONCURRENCY: '2', SHUTDOWN_GRACE_MS: '500' });
    try {
      const urls = [
        [fixtures.imageUrl('exif-orientation-6.jpg', 'a'), fixtures.imageUrl('exif-orientation-6.jpg', 'b')],
      ];
      await draining.http.post('/upload').attach('file', csvOf(urls), 'slow.csv').expect(202);
      await eventually(
        () =>
          queryDatabase<{ count: number }>(
            draining.dataDir,
            "SELECT COUNT(*) AS count FROM images WHERE status = 'processing'",
          )[0].count >= 1,
      );
      const closing = draining.app.close();
      const { body } = await draining.http.get('/health/ready').expect(503);
      expect(Object.keys(body.error)).toEqual(['shutdown']);
      expect(body.error.shutdown).toEqual({ status: 'down', message: 'the process is shutting down' });
      await draining.http.get('/health/live').expect(200);
      await closing;
    } finally {
      fixtures.imageDelayMs = 0;
      await rm(draining.dataDir, { recursive: true, force: true });
    }
  });
});

describe('metrics', () => {
  const fixtures = new FixtureServer();
  let service: TestApp;

  beforeAll(async () => {
    await fixtures.start();
    service = await startTestApp({ DOWNLOAD_RETRIES: '0', WEBHOOK_SECRET: SECRET });
  });

  afterAll(async () => {
    await service?.close();
    await fixtures.stop();
  });

  it('counts exactly the images processed, by outcome and failure code, their stages and bytes', async () => {
    const before = await scrape(service);
    const urls = [
      [fixtures.imageUrl('exif-orientation-6.jpg'), fixtures.imageUrl('exif-orientation-8.jpg')],
      [fixtures.imageUrl('not-an-image.jpg')],
      [fixtures.imageUrl('missing.jpg')],
    ];
    const { body: upload } = await service.http
      .post('/upload')
      .field('webhook_url', `${fixtures.baseUrl}/webhook`)
      .attach('file', csvOf(urls), 'metrics.csv')
      .expect(202);
    const status = await waitForCompletion(service.http, upload.request_id);
    expect(status).toMatchObject({ status: 'completed_with_errors', processed_images: 4, failed_images: 2 });
    await eventually(() => fixtures.webhooks.length === 1);
    const { body: images } = await service.http.get(`/requests/${upload.request_id}/images`).expect(200);
    const sum = (key: string) =>
      (images.images as Record<string, number | null>[]).reduce(
        (total, image) => total + (image[key] ?? 0),
        0,
      );

    const after = await eventually(async () => {
      const samples = await scrape(service);
      return samples.get('pixelmill_webhook_deliveries_total{outcome="delivered"}') === 1 && samples;
    });
    const moved = (key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);
    expect(moved('pixelmill_images_processed_total{outcome="done",code="none"}')).toBe(2);
    expect(moved('pixelmill_images_processed_total{outcome="failed",code="not_an_image"}')).toBe(1);
    expect(moved('pixelmill_images_processed_total{outcome="failed",code="http_404"}')).toBe(1);
    const processedSeries = [...after.keys()].filter((key) =>
      key.startsWith('pixelmill_images_processed_total'),
    );
    expect(processedSeries.sort()).toEqual([
      'pixelmill_images_processed_total{outcome="done",code="none"}',
      'pixelmill_images_processed_total{outcome="failed",code="http_404"}',
      'pixelmill_images_processed_total{outcome="failed",code="not_an_image"}',
    ]);
    // 4 downloads (one answered 404), 3 decodes (one was no image), 2 stored.
    expect(moved('pixelmill_image_stage_seconds_count{stage="download"}')).toBe(4);
    expect(moved('pixelmill_image_stage_seconds_count{stage="process"}')).toBe(3);
    expect(moved('pixelmill_image_stage_seconds_count{stage="store"}')).toBe(2);
    expect(moved('pixelmill_image_input_bytes_total')).toBe(sum('input_bytes'));
    expect(moved('pixelmill_image_output_bytes_total')).toBe(sum('output_bytes'));
    expect(sum('output_bytes')).toBeGreaterThan(0);
    expect(moved('pixelmill_requests_completed_total{status="completed_with_errors"}')).toBe(1);
    expect(moved('pixelmill_requests_completed_total{status="completed"}')).toBe(0);
    expect(after.get('pixelmill_queue_images{status="queued"}')).toBe(0);
    expect(after.get('pixelmill_queue_images{status="processing"}')).toBe(0);
    expect(after.get('process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('labels HTTP durations with the route pattern, never an id from the URL', async () => {
    await service.http.get('/status/00000000-0000-4000-8000-000000000000').expect(404);
    await service.http.get('/no/such/path/7f1c2a3b').expect(404);
    const text = (await service.http.get('/metrics').expect(200)).text;
    expect(text).toContain(
      'pixelmill_http_request_duration_seconds_count{method="GET",route="/status/:request_id",status="404"}',
    );
    expect(text).toContain(
      'pixelmill_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"}',
    );
    expect(text).not.toMatch(/00000000-0000-4000|7f1c2a3b/);
  });

  it('counts queued images from the database', async () => {
    fixtures.imageDelayMs = 5_000; // nothing finishes while we look
    const slow = await startTestApp({ CONCURRENCY: '1', SHUTDOWN_GRACE_MS: '100' });
    try {
      const urls = [
        Array.from({ length: 5 }, (_, index) => fixtures.imageUrl('exif-orientation-6.jpg', `q=${index}`)),
      ];
      await slow.http.post('/upload').attach('file', csvOf(urls), 'queued.csv').expect(202);
      // CONCURRENCY 1 leases the image in flight and one buffered: 2 processing, 3 queued.
      const samples = await eventually(async () => {
        const scraped = parseMetrics((await slow.http.get('/metrics').expect(200)).text);
        return scraped.get('pixelmill_queue_images{status="processing"}') === 2 && scraped;
      });
      expect(samples.get('pixelmill_queue_images{status="queued"}')).toBe(3);
    } finally {
      fixtures.imageDelayMs = 0;
      await slow.close();
    }
  });
});

describe('structured logs (the built server, LOG_FORMAT=json)', () => {
  const fixtures = new FixtureServer();
  let logged: JsonLogServer;
  let server: ServerProcess;
  let dataDir: string;

  beforeAll(async () => {
    await fixtures.start();
    logged = await startJsonLogServer({ WEBHOOK_SECRET: SECRET });
    ({ server, dataDir } = logged);
  });

  afterAll(async () => {
    await logged?.stop();
    await fixtures.stop();
  });

  it('writes JSON lines with the HTTP request id and request_id / image_id, and no secret', async () => {
    const clientToken = 'client-bearer-token-5f2c9e';
    const urls = [[fixtures.imageUrl('exif-orientation-6.jpg'), fixtures.imageUrl('missing.jpg')]];
    const response = await server.http
      .post('/upload')
      .set('X-Request-Id', 'ops-trace-0001')
      .set('Authorization', `Bearer ${clientToken}`)
      .set('X-API-Key', clientToken)
      .set('Cookie', `session=${clientToken}`)
      .field('webhook_url', `${fixtures.baseUrl}/webhook`)
      .attach('file', csvOf(urls), 'logs.csv')
      .expect(202);
    expect(response.headers['x-request-id']).toBe('ops-trace-0001');
    const requestId = response.body.request_id as string;
    await waitForCompletion(server.http, requestId);
    await eventually(() => fixtures.webhooks.length === 1);

    const huge = await server.http
      .get(`/status/${requestId}`)
      .set('X-Request-Id', 'x'.repeat(10_000))
      .expect(200);
    expect(huge.headers['x-request-id']).toMatch(UUID);
    const generated = await server.http.get(`/status/${requestId}`).expect(200);
    expect(generated.headers['x-request-id']).toMatch(UUID);

    await server.kill('SIGTERM');
    const output = server.runs.join('');
    const lines = logged.lines();
    const notJson = output
      .split('\n')
      .filter((line) => line && !line.startsWith('{') && !line.startsWith('[exited'));
    expect(notJson).toEqual([]);

    const accepted = lines.find((line) => /accepted/.test(line.msg));
    expect(accepted).toMatchObject({
      level: 'info',
      request_id: requestId,
      http_request_id: 'ops-trace-0001',
    });
    const uploadLine = lines.find((line) => line.req?.url === '/upload');
    expect(uploadLine).toMatchObject({
      http_request_id: 'ops-trace-0001',
      request_id: requestId,
      res: { statusCode: 202 },
    });
    expect(uploadLine!.req.headers.authorization).toBe('[redacted]');
    expect(uploadLine!.req.headers['x-api-key']).toBe('[redacted]');
    expect(uploadLine!.req.headers.cookie).toBe('[redacted]');

    const [failedImage] = queryDatabase<{ id: string }>(
      dataDir,
      "SELECT id FROM images WHERE status = 'failed'",
    );
    const failure = lines.find((line) => /failed with http_404/.test(line.msg));
    expect(failure).toMatchObject({ level: 'warn', request_id: requestId, image_id: failedImage.id });
    expect(failure).not.toHaveProperty('http_request_id'); // background work, not the upload's HTTP request
    const completed = lines.find((line) =>
      line.msg?.startsWith(`request ${requestId}: completed_with_errors`),
    );
    expect(completed).toMatchObject({ request_id: requestId });
    const webhook = lines.find((line) => /^webhook .*: delivered/.test(line.msg));
    expect(webhook).toMatchObject({ request_id: requestId });
    expect(webhook).not.toHaveProperty('image_id');

    const statusLines = lines.filter((line) => line.req?.url === `/status/${requestId}`);
    expect(statusLines.length).toBeGreaterThan(0);
    for (const line of statusLines)
      expect(line).toMatchObject({ request_id: requestId, http_request_id: expect.any(String) });
    expect(output).not.toContain('x'.repeat(201)); // a huge header is cut in the log
    expect(output).toContain('… (10000 characters)');

    expect(output).not.toContain(clientToken);
    expect(output).not.toContain(SECRET);
    expect(output).not.toContain(SECRET.slice('whsec_'.length));
  });
});
