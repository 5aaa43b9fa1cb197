import { rm } from 'node:fs/promises';
import { Webhook } from 'standardwebhooks';
import { queryDatabase } from './helpers/database-counts.js';
import { FixtureServer } from './helpers/fixture-server.js';
import { eventually, startTestApp, TestApp, waitForCompletion } from './helpers/test-app.js';
import { productCsv } from './helpers/csv.js';

const SECRET = `whsec_${Buffer.from('pixelmill-retry-and-shutdown-key').toString('base64')}`;

const csvOf = (urls: string[][]) => Buffer.from(productCsv(urls));

describe('retrying failed images', () => {
  const fixtures = new FixtureServer();
  let service: TestApp;

  beforeAll(async () => {
    await fixtures.start();
    service = await startTestApp({ WEBHOOK_SECRET: SECRET, DOWNLOAD_RETRIES: '0' });
  });

  afterAll(async () => {
    await service?.close();
    await fixtures.stop();
  });

  it('requeues only the failed images; the request completes and notifies again', async () => {
    let supplierFixed = false;
    fixtures.imageStatus = (request) =>
      request.startsWith('/images/exif-orientation-8.jpg') && !supplierFixed ? 404 : undefined;
    const urls = [[fixtures.imageUrl('exif-orientation-6.jpg'), fixtures.imageUrl('exif-orientation-8.jpg')]];
    const { body: upload } = await service.http
      .post('/upload')
      .field('webhook_url', `${fixtures.baseUrl}/webhook`)
      .attach('file', csvOf(urls), 'retry.csv')
      .expect(202);
    const first = await waitForCompletion(service.http, upload.request_id);
    expect(first).toMatchObject({ status: 'completed_with_errors', processed_images: 2, failed_images: 1 });
    await eventually(() => fixtures.webhooks.length === 1);

    supplierFixed = true;
    const requestsBefore = fixtures.imageRequests.length;
    const { body: retry } = await service.http.post(`/requests/${upload.request_id}/retry`).expect(202);
    expect(retry).toMatchObject({ request_id: upload.request_id, requeued_images: 1 });
    const second = await waitForCompletion(service.http, upload.request_id);
    expect(second).toMatchObject({ status: 'completed', processed_images: 2, failed_images: 0 });
    expect(fixtures.imageRequests.slice(requestsBefore)).toEqual(['/images/exif-orientation-8.jpg']);

    await eventually(() => fixtures.webhooks.length === 2);
    const [firstHook, secondHook] = fixtures.webhooks.map(({ body, headers }) => ({
      id: headers['webhook-id'],
      payload: new Webhook(SECRET).verify(body, headers as Record<string, string>) as Record<string, unknown>,
    }));
    expect(firstHook.payload.status).toBe('completed_with_errors');
    expect(secondHook.payload.status).toBe('completed');
    expect(secondHook.id).not.toBe(firstHook.id);

    await service.http.post(`/requests/${upload.request_id}/retry`).expect(409);
    await service.http.post('/requests/00000000-0000-4000-8000-000000000000/retry').expect(404);
  });
});

describe('retrying failed images within MAX_QUEUED_IMAGES_PER_KEY', () => {
  const fixtures = new FixtureServer();
  let service: TestApp;

  beforeAll(async () => {
    await fixtures.start();
    service = await startTestApp({ DOWNLOAD_RETRIES: '0', MAX_QUEUED_IMAGES_PER_KEY: '3' });
  });

  afterAll(async () => {
    await service?.close();
    await fixtures.stop();
  });

  it('refuses a retry that would pass the quota (429, Retry-After, nothing queued), and takes it once there is room', async () => {
    const missing = [[fixtures.imageUrl('gone-1.jpg'), fixtures.imageUrl('gone-2.jpg')]];
    const { body: failed } = await service.http
      .post('/upload')
      .attach('file', csvOf(missing), 'a.csv')
      .expect(202);
    expect(await waitForCompletion(service.http, failed.request_id)).toMatchObject({ failed_images: 2 });

    const release = fixtures.holdImages();
    const busy = [[fixtures.imageUrl('exif-orientation-6.jpg'), fixtures.imageUrl('exif-orientation-8.jpg')]];
    const { body: inFlight } = await service.http
      .post('/upload')
      .attach('file', csvOf(busy), 'b.csv')
      .expect(202);
    const refused = await service.http.post(`/requests/${failed.request_id}/retry`).expect(429);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(refused.body.message).toMatch(/would put 4 of yours .*\(MAX_QUEUED_IMAGES_PER_KEY\)/);
    const unchanged = await service.http.get(`/status/${failed.request_id}`).expect(200);
    expect(unchanged.body).toMatchObject({ status: 'failed', processed_images: 2, failed_images: 2 });
    expect(
      queryDatabase(
        service.dataDir,
        "SELECT status FROM images WHERE task_id = ? AND status <> 'failed'",
        failed.request_id,
      ),
    ).toEqual([]);

    release();
    await waitForCompletion(service.http, inFlight.request_id);
    const { body: retry } = await service.http.post(`/requests/${failed.request_id}/retry`).expect(202);
    expect(retry).toMatchObject({ requeued_images: 2 });
  });
});

describe('graceful shutdown', () => {
  const fixtures = new FixtureServer();

  beforeAll(() => fixtures.start());
  afterAll(() => fixtures.stop());

  it('refuses uploads while draining, requeues unfinished images, and a restart finishes them', async () => {
    fixtures.imageDelayMs = 1_500;
    const first = await startTestApp({ CONCURRENCY: '2', SHUTDOWN_GRACE_MS: '200' });
    const dataDir = first.dataDir;
    const urls = [
      Array.from({ length: 6 }, (_, index) => fixtures.imageUrl('exif-orientation-6.jpg', `n=${index}`)),
    ];
    const { body: upload } = await first.http
      .post('/upload')
      .attach('file', csvOf(urls), 'slow.csv')
      .expect(202);
    await eventually(
      () =>
        queryDatabase<{ count: number }>(
          dataDir,
          "SELECT COUNT(*) AS count FROM images WHERE status = 'processing'",
        )[0].count >= 2,
    );

    const closing = first.app.close();
    const refused = await first.http.post('/upload').attach('file', csvOf(urls), 'late.csv');
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('30');
    expect(refused.body.message).toMatch(/shutting down/);
    await closing;

    const states = queryDatabase<{ status: string; count: number }>(
      dataDir,
      'SELECT status, COUNT(*) AS count FROM images GROUP BY status',
    );
    expect(states).toEqual([{ status: 'queued', count: 6 }]);

    fixtures.imageDelayMs = 0;
    const second = await startTestApp({}, { dataDir });
    try {
      const status = await waitForCompletion(second.http, upload.request_id);
      expect(status).toMatchObject({ status: 'completed', processed_images: 6, failed_images: 0 });
    } finally {
      await second.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
