import { download } from './helpers/download.js';
import { outputKeyOf, thumbnailKeyOf } from '../src/images/output-key.js';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '../src/storage/storage.js';
import { queryDatabase } from './helpers/database-counts.js';
import { FixtureServer } from './helpers/fixture-server.js';
import { S3TestServer, SwitchableRelay } from './helpers/s3-server.js';
import { eventually, startTestApp, TestApp, waitForCompletion } from './helpers/test-app.js';
import { productCsv } from './helpers/csv.js';

const GOOD = ['alpha.png', 'cmyk.jpg', 'exif-orientation-6.jpg'];

function csvOf(fixtures: FixtureServer, files: string[], tag: string): Buffer {
  const urls = files.map((file) => fixtures.imageUrl(file, `tag=${tag}`));
  return Buffer.from(productCsv([urls]));
}

async function upload(service: TestApp, csv: Buffer): Promise<string> {
  const response = await service.http
    .post('/upload')
    .attach('file', csv, { filename: 'products.csv', contentType: 'text/csv' })
    .expect(202);
  return response.body.request_id;
}

async function imagesOf(service: TestApp, requestId: string): Promise<any[]> {
  return (await service.http.get(`/requests/${requestId}/images?limit=100`).expect(200)).body.images;
}

/** Absent files answer 404 JSON; nothing outside the store's keys is ever served (dot segments, encoded slashes). */
async function expectNoStrayReads(service: TestApp): Promise<void> {
  const absent = `/files/${randomUUID()}/${randomUUID()}.jpg`;
  const missing = await service.http.get(absent).expect(404);
  expect(missing.body).toMatchObject({ statusCode: 404, message: 'file not found' });
  for (const path of [
    '/files/..%2F..%2Fsecret.jpg',
    `/files/${randomUUID()}/..%2F..%2Fsecret.jpg`,
    `/files/..%2F${randomUUID()}/secret.jpg`,
    '/files/../secret.jpg',
    `/files/${randomUUID()}/%2E%2E`,
    `/files/${randomUUID()}/.pixelmill-probe`,
  ]) {
    const response = await service.http.get(path);
    expect([400, 404], path).toContain(response.status);
    expect(response.headers['content-type'], path).toMatch(/application\/json/);
  }
}

describe('object storage (s3rver on loopback)', () => {
  const fixtures = new FixtureServer();
  const s3 = new S3TestServer();

  beforeAll(async () => {
    await fixtures.start();
    await s3.start();
  });
  afterAll(async () => {
    await s3.stop();
    await fixtures.stop();
  });

  describe('STORAGE_DRIVER=s3, served by the API', () => {
    let service: TestApp;
    beforeAll(async () => {
      service = await startTestApp(s3.env({ S3_PREFIX: 'served' }));
    });
    afterAll(() => service?.close());

    it('stores every output in the bucket with its type and cache headers, and streams it at /files', async () => {
      const requestId = await upload(service, csvOf(fixtures, [...GOOD, 'missing.jpg'], 'served'));
      const status = await waitForCompletion(service.http, requestId);
      expect(status).toMatchObject({
        status: 'completed_with_errors',
        processed_images: 4,
        failed_images: 1,
      });

      const done = (await imagesOf(service, requestId)).filter((image) => image.status === 'done');
      expect(done).toHaveLength(3);
      const rows = queryDatabase<{ id: string }>(
        service.dataDir,
        "SELECT id FROM images WHERE task_id = ? AND status = 'done' ORDER BY id",
        requestId,
      );
      // Processing stores the output and nothing else.
      const outputs = rows.map((row) => `served/${outputKeyOf(row.id)}`).sort();
      expect(await s3.keys()).toEqual(outputs);

      for (const image of done) {
        const key = image.output_url.split('/').slice(-2).join('/');
        expect(image.output_url).toBe(`${service.config.server.publicUrl}/files/${key}`);
        const stored = await s3.client.send(
          new GetObjectCommand({ Bucket: s3.bucket, Key: `served/${key}` }),
        );
        expect(stored).toMatchObject({
          ContentType: 'image/jpeg',
          CacheControl: 'public, max-age=31536000, immutable',
          ContentLength: image.output_bytes,
        });
        const bytes = Buffer.from(await stored.Body!.transformToByteArray());

        const served = await download(image.output_url);
        expect(served.status).toBe(200);
        expect(served.headers).toMatchObject({
          'content-type': 'image/jpeg',
          'content-length': String(image.output_bytes),
          'cache-control': 'public, max-age=31536000, immutable',
        });
        expect((served.body as Buffer).equals(bytes)).toBe(true);
      }

      // A preview is made on its first request, from the output in the bucket, and stored beside it.
      const previews = rows.map((row) => `served/${thumbnailKeyOf(row.id)}`);
      const served = await download(`${service.config.server.publicUrl}/files/${thumbnailKeyOf(rows[0].id)}`);
      expect(served).toMatchObject({ status: 200, headers: { 'content-type': 'image/webp' } });
      expect(await s3.keys()).toEqual([...outputs, previews[0]].sort());
      const preview = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: previews[0] }));
      expect(preview.ContentType).toBe('image/webp');
      expect(Buffer.from(await preview.Body!.transformToByteArray()).equals(served.body as Buffer)).toBe(
        true,
      );

      // Deleting the request removes its outputs and the preview that was made.
      await service.http.delete(`/requests/${requestId}`).expect(204);
      expect((await s3.keys()).filter((key) => outputs.includes(key) || previews.includes(key))).toEqual([]);
    });

    it('answers 404 JSON for an absent file and never reads outside the store', () =>
      expectNoStrayReads(service));

    it('stores and serves a webp request\u2019s outputs as .webp with Content-Type image/webp', async () => {
      const { body } = await service.http
        .post('/upload')
        .field('format', 'webp')
        .attach('file', csvOf(fixtures, ['cmyk.jpg'], 'served-webp'), {
          filename: 'products.csv',
          contentType: 'text/csv',
        })
        .expect(202);
      await waitForCompletion(service.http, body.request_id);
      const [image] = await imagesOf(service, body.request_id);
      const key = image.output_url.split('/').slice(-2).join('/');
      expect(key).toMatch(/\.webp$/);
      const stored = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: `served/${key}` }));
      expect(stored.ContentType).toBe('image/webp');
      const served = await download(image.output_url);
      expect(served.status).toBe(200);
      expect(served.headers['content-type']).toBe('image/webp');
    });
  });

  it('STORAGE_DRIVER=local: 404 JSON for an absent file, nothing read outside the store, HEAD, own staging', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'pixelmill-local-files-'));
    const service = await startTestApp({}, { dataDir });
    try {
      await writeFile(join(service.dataDir, 'secret.jpg'), 'not for clients');
      await expectNoStrayReads(service);
      const requestId = await upload(service, csvOf(fixtures, ['alpha.png'], 'local-head'));
      await waitForCompletion(service.http, requestId);
      const [image] = await imagesOf(service, requestId);
      const head = await service.http.head(new URL(image.output_url).pathname).expect(200);
      expect(head.headers).toMatchObject({
        'content-type': 'image/jpeg',
        'content-length': String(image.output_bytes),
      });
      // This process's staging folder is there while it runs, and gone after shutdown.
      expect(await readdir(join(service.config.storage.dir, '.incoming'))).toHaveLength(1);
    } finally {
      await service.close();
    }
    expect(await readdir(join(dataDir, 'images', '.incoming'))).toEqual([]);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('with STORAGE_PUBLIC_URL, gives output URLs on the store itself, which serves them', async () => {
    const publicBase = `${s3.endpoint}/${s3.bucket}/direct`;
    const service = await startTestApp(s3.env({ S3_PREFIX: 'direct', STORAGE_PUBLIC_URL: publicBase }));
    try {
      const requestId = await upload(service, csvOf(fixtures, GOOD, 'direct'));
      expect(await waitForCompletion(service.http, requestId)).toMatchObject({ status: 'completed' });
      const images = await imagesOf(service, requestId);
      for (const image of images) {
        expect(image.output_url).toMatch(new RegExp(`^${publicBase}/[0-9a-f]{2}/[0-9a-f-]{36}\\.jpg$`));
        // s3rver answers anonymous GETs, as a public bucket or a CDN in front of one does.
        const fetched = await download(image.output_url);
        expect(fetched.status).toBe(200);
        expect(fetched.headers['content-type']).toBe('image/jpeg');
        expect(fetched.headers['cache-control']).toBe('public, max-age=31536000, immutable');
        expect((fetched.body as Buffer).length).toBe(image.output_bytes);
      }
      const exported = await service.http.get(`/export-csv/${requestId}`).expect(200);
      expect(exported.text).toContain(images[0].output_url);
      // Previews are made by the API on their first request, so their URLs are the API's.
      expect(images[0].thumbnail_url).toMatch(
        new RegExp(`^${service.config.server.publicUrl}/files/thumbs/[0-9a-f]{2}/[0-9a-f-]{36}\\.webp$`),
      );
      const preview = await download(images[0].thumbnail_url);
      expect(preview).toMatchObject({ status: 200, headers: { 'content-type': 'image/webp' } });
    } finally {
      await service.close();
    }
  });

  describe.each([
    ['s3', 'the store cuts every connection'],
    ['local', 'the storage folder is gone'],
  ])('a storage outage (%s: %s)', (driver) => {
    let service: TestApp;
    let relay: SwitchableRelay | undefined;
    let down: () => Promise<void>;
    let back: () => Promise<void>;

    beforeAll(async () => {
      // No download retries: were an outage counted as an attempt, the image would fail at once.
      const env = { DOWNLOAD_RETRIES: '0', STORAGE_RETRY_BASE_MS: '100', STORAGE_RETRY_MAX_MS: '400' };
      if (driver === 's3') {
        relay = await new SwitchableRelay(s3.listeningPort).start();
        service = await startTestApp(
          s3.env({ ...env, S3_ENDPOINT: relay.endpoint, S3_PREFIX: 'outage', S3_TIMEOUT_MS: '500' }),
        );
        down = async () => relay!.set('down');
        back = async () => relay!.set('up');
      } else {
        service = await startTestApp(env);
        const dir = service.config.storage.dir;
        down = async () => {
          await rm(dir, { recursive: true, force: true });
          await writeFile(dir, 'a file where the storage folder was');
        };
        back = () => rm(dir, { force: true });
      }
    });
    afterAll(async () => {
      await service?.close();
      await relay?.stop();
    });

    it('stops claiming while storage is down (no downloads, probes with backoff), keeps the attempts, and completes once it is back', async () => {
      const probes = vi.spyOn(service.app.get(Storage), 'checkWritable');
      await down();
      const requestId = await upload(service, csvOf(fixtures, GOOD, `outage-${driver}`));
      const rowsOf = () =>
        queryDatabase<{ status: string; attempts: number; error_code: string | null }>(
          service.dataDir,
          'SELECT status, attempts, error_code FROM images WHERE task_id = ?',
          requestId,
        );
      // Every image (all in flight at once) has met the outage, and went back to the queue with its
      // attempt given back.
      await eventually(() => {
        const rows = rowsOf();
        return (
          rows.every((row) => row.status === 'queued' && row.error_code === 'storage_unavailable') && rows
        );
      }, 30_000);
      const fixtureRequests = () =>
        fixtures.imageRequests.filter((path) => path.includes(`outage-${driver}`));
      expect(fixtureRequests()).toHaveLength(GOOD.length);
      // The queue waits for storage, probing it: after several failed probes, still no image was
      // downloaded again only to wait.
      const probesBefore = probes.mock.calls.length;
      await eventually(() => probes.mock.calls.length >= probesBefore + 3, 30_000);
      expect(fixtureRequests()).toHaveLength(GOOD.length);
      expect(rowsOf()).toEqual(
        GOOD.map(() => ({ status: 'queued', attempts: 0, error_code: 'storage_unavailable' })),
      );
      const during = (await service.http.get(`/status/${requestId}`).expect(200)).body;
      expect(during).toMatchObject({ status: 'processing', processed_images: 0, failed_images: 0 });
      const listed = await imagesOf(service, requestId);
      expect(listed.every((image) => image.output_url === null)).toBe(true);

      await back();
      const status = await waitForCompletion(service.http, requestId, 30_000);
      expect(status).toMatchObject({ status: 'completed', processed_images: 3, failed_images: 0 });
      // Each image downloaded once more, after the store came back.
      expect(fixtureRequests()).toHaveLength(2 * GOOD.length);
      const images = await imagesOf(service, requestId);
      expect(images.every((image) => image.status === 'done' && image.error === null)).toBe(true);
      for (const image of images) {
        const served = await download(image.output_url);
        expect(served.status).toBe(200);
        expect((served.body as Buffer).length).toBe(image.output_bytes);
      }
      if (driver === 's3') {
        expect(relay!.refused).toBeGreaterThan(0);
        const key = `outage/${images[0].output_url.split('/').slice(-2).join('/')}`;
        const head = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
        expect(head.ContentType).toBe('image/jpeg');
        // While the store is down, the API says so (503, JSON) rather than claiming the file is gone.
        await down();
        const unavailable = await service.http.get(new URL(images[0].output_url).pathname).expect(503);
        expect(unavailable.body).toMatchObject({
          statusCode: 503,
          message: expect.stringMatching(/storage/),
        });
        await back();
      }
    });
  });
});
