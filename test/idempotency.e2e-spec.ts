import { randomUUID } from 'node:crypto';
import { rowCounts } from './helpers/durability.js';
import { FixtureServer } from './helpers/fixture-server.js';
import { startTestApp, TestApp, waitForCompletion } from './helpers/test-app.js';
import { postUpload } from './helpers/upload.js';
import { imagesCsv } from './helpers/csv.js';

describe('Idempotency-Key on POST /upload', () => {
  const origin = new FixtureServer();
  let service: TestApp;

  beforeAll(async () => {
    await origin.start();
    // Eight identical uploads race below: all are let in (the default MAX_CONCURRENT_UPLOADS is 4).
    service = await startTestApp({ MAX_CONCURRENT_UPLOADS: '8' });
  });

  afterAll(async () => {
    await service?.close();
    await origin.stop();
  });

  /** A CSV of `count` distinct small images (3 to a row). */
  const csvOf = (count: number) =>
    imagesCsv(
      Array.from({ length: count }, () => origin.imageUrl('animated.gif', randomUUID())),
      3,
    );

  const upload = (csv: string, idempotencyKey?: string, webhookUrl?: string) =>
    postUpload(service.http, csv, { idempotencyKey, webhookUrl });

  it('answers the same key with the same file with the original request and stores nothing new', async () => {
    const key = `catalog-${randomUUID()}`;
    const csv = csvOf(7);
    const first = await upload(csv, key).expect(202);
    const stored = rowCounts(service.dataDir);

    const again = await upload(csv, key).expect(202);
    expect(again.body).toMatchObject({
      request_id: first.body.request_id,
      total_images: 7,
      status_url: first.body.status_url,
      export_url: first.body.export_url,
    });
    expect(rowCounts(service.dataDir)).toEqual(stored);

    // Still after the request finished: the replay reports the request as it is now.
    await waitForCompletion(service.http, first.body.request_id);
    const later = await upload(csv, key).expect(202);
    expect(later.body).toMatchObject({ request_id: first.body.request_id, status: 'completed' });
    expect(rowCounts(service.dataDir)).toEqual(stored);
  });

  it('refuses the same key with a different file (or webhook_url) with 422 and a JSON message, storing nothing', async () => {
    const key = `catalog-${randomUUID()}`;
    const csv = csvOf(2);
    const first = await upload(csv, key).expect(202);
    const stored = rowCounts(service.dataDir);

    for (const response of [await upload(csvOf(2), key), await upload(csv, key, origin.url('/hook'))]) {
      expect(response.status).toBe(422);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.body).toEqual({
        statusCode: 422,
        message: expect.stringMatching(/Idempotency-Key/),
        errors: [{ row: null, column: 'Idempotency-Key', message: response.body.message }],
      });
    }
    expect(rowCounts(service.dataDir)).toEqual(stored);
    await upload(csv, key)
      .expect(202)
      .expect((response) => expect(response.body.request_id).toBe(first.body.request_id));
  });

  it('creates one request for concurrent identical uploads with one key', async () => {
    const key = `catalog-${randomUUID()}`;
    const csv = csvOf(30);
    const before = rowCounts(service.dataDir);

    const responses = await Promise.all(Array.from({ length: 8 }, () => upload(csv, key)));
    expect(responses.map((response) => response.status)).toEqual(Array(8).fill(202));
    const ids = new Set(responses.map((response) => response.body.request_id));
    expect(ids.size).toBe(1);
    const after = rowCounts(service.dataDir);
    expect(after.tasks - before.tasks).toBe(1);
    expect(after.products - before.products).toBe(10);
    expect(after.images - before.images).toBe(30);

    const status = await waitForCompletion(service.http, [...ids][0]);
    expect(status).toMatchObject({ status: 'completed', processed_images: 30, failed_images: 0 });
  });

  it('lets exactly one of two concurrent uploads with one key and different files through; the other gets 422', async () => {
    const key = `catalog-${randomUUID()}`;
    const before = rowCounts(service.dataDir);
    const responses = await Promise.all([upload(csvOf(4), key), upload(csvOf(4), key)]);
    expect(responses.map((response) => response.status).sort((a, b) => a - b)).toEqual([202, 422]);
    expect(rowCounts(service.dataDir).tasks - before.tasks).toBe(1);
  });

  it('treats uploads without a key (or with a blank one) as distinct requests', async () => {
    const csv = csvOf(1);
    const before = rowCounts(service.dataDir);
    const [a, b, c] = [
      await upload(csv).expect(202),
      await upload(csv).expect(202),
      await upload(csv, '   ').expect(202),
    ];
    expect(new Set([a.body.request_id, b.body.request_id, c.body.request_id]).size).toBe(3);
    expect(rowCounts(service.dataDir).tasks - before.tasks).toBe(3);
  });
});
