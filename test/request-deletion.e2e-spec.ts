import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execute } from '../src/database/sql.js';
import { UnitOfWork } from '../src/database/unit-of-work.js';
import { TaskRowsRemoval } from '../src/images/task-rows-removal.js';
import { countRows, queryDatabase } from './helpers/database-counts.js';
import { FixtureServer } from './helpers/fixture-server.js';
import { S3TestServer } from './helpers/s3-server.js';
import { everyStoredFile, storedFiles } from './helpers/stored-files.js';
import { startTestApp, type TestApp, waitForCompletion } from './helpers/test-app.js';
import { upload } from './helpers/upload.js';
import { productCsv } from './helpers/csv.js';

const TABLES = ['tasks', 'products', 'images', 'webhook_deliveries'] as const;

function csvOf(fixtures: FixtureServer, tag: string): Buffer {
  const url = (name: string) => fixtures.imageUrl(name, `tag=${tag}`);
  // A repeated URL (one output shared by two images) and an image that fails (no output).
  return Buffer.from(
    productCsv([
      [url('alpha.png'), url('cmyk.jpg')],
      [url('alpha.png'), url('not-an-image.jpg')],
    ]),
  );
}

async function outputPaths(service: TestApp, requestId: string): Promise<string[]> {
  const { body } = await service.http.get(`/requests/${requestId}/images`).expect(200);
  return (body.images as Array<{ output_url: string | null }>)
    .filter((image) => image.output_url)
    .map((image) => new URL(image.output_url!).pathname);
}

/** Asks for the request's previews, so that they are made and stored (they are made on first request). */
async function makePreviews(service: TestApp, requestId: string): Promise<void> {
  const { body } = await service.http.get(`/requests/${requestId}/images`).expect(200);
  for (const url of new Set(
    body.images.map((image: { thumbnail_url: string | null }) => image.thumbnail_url),
  ))
    if (url) await service.http.get(new URL(url as string).pathname).expect(200);
}

function rowCounts(service: TestApp): Record<string, number> {
  return Object.fromEntries(TABLES.map((table) => [table, countRows(service.dataDir, table)]));
}

/** Every way a client reads a request answers 404, as for an id never seen. */
async function expectGone(service: TestApp, requestId: string, files: string[]): Promise<void> {
  for (const path of [
    `/status/${requestId}`,
    `/requests/${requestId}/images`,
    `/export-csv/${requestId}`,
    ...files,
  ]) {
    const response = await service.http.get(path);
    expect(response.status, path).toBe(404);
    expect(response.body.statusCode, path).toBe(404);
  }
  await service.http.delete(`/requests/${requestId}`).expect(404);
}

describe('DELETE /requests/:request_id', () => {
  const fixtures = new FixtureServer();
  beforeAll(() => fixtures.start());
  afterAll(() => fixtures.stop());

  describe('local storage', () => {
    let service: TestApp;
    beforeAll(async () => {
      service = await startTestApp();
    });
    afterAll(() => service.close());

    it('removes a finished request: its rows and its files, then it answers 404; other requests stay', async () => {
      const kept = await upload(service.http, csvOf(fixtures, 'kept'));
      const deleted = await upload(service.http, csvOf(fixtures, 'deleted'), {
        webhookUrl: `${fixtures.baseUrl}/webhook`,
      });
      await waitForCompletion(service.http, kept);
      expect((await waitForCompletion(service.http, deleted)).status).toBe('completed_with_errors');
      const before = rowCounts(service);
      expect(before.webhook_deliveries).toBe(1);
      const files = await outputPaths(service, deleted);
      expect(files).toHaveLength(3); // alpha twice (one file), cmyk
      expect(new Set(files).size).toBe(2);
      const keptFiles = await storedFiles(service.config.storage.dir);
      expect(keptFiles).toHaveLength(4);

      await service.http.delete(`/requests/${deleted}`).expect(204, '');

      expect(rowCounts(service)).toEqual({ tasks: 1, products: 2, images: 4, webhook_deliveries: 0 });
      const remaining = await storedFiles(service.config.storage.dir);
      expect(remaining).toHaveLength(2);
      for (const path of new Set(files)) expect(remaining).not.toContain(path.replace(/^\/files\//, ''));
      await expectGone(service, deleted, files);
      // The other request is untouched, and its outputs still served.
      expect((await service.http.get(`/status/${kept}`).expect(200)).body.status).toBe(
        'completed_with_errors',
      );
      for (const path of await outputPaths(service, kept)) await service.http.get(path).expect(200);
    });

    it('answers 409 while the request is processing, and deletes it once it has finished', async () => {
      const release = fixtures.holdImages();
      const requestId = await upload(service.http, csvOf(fixtures, 'busy'));
      try {
        const refused = await service.http.delete(`/requests/${requestId}`).expect(409);
        expect(refused.body).toMatchObject({
          statusCode: 409,
          message: `request ${requestId} is still processing; delete it once it has finished`,
          errors: [{ row: null, column: null }],
        });
        expect((await service.http.get(`/status/${requestId}`).expect(200)).body.status).toBe('processing');
      } finally {
        release();
      }
      await waitForCompletion(service.http, requestId);
      await service.http.delete(`/requests/${requestId}`).expect(204);
      await service.http.get(`/status/${requestId}`).expect(404);
    });

    it('answers 404 for an unknown id and 400 for one that is not a UUID', async () => {
      await service.http.delete(`/requests/${randomUUID()}`).expect(404);
      const invalid = await service.http.delete('/requests/not-a-uuid').expect(400);
      expect(invalid.body.errors[0]).toMatchObject({ column: 'request_id' });
    });
  });

  describe('a deletion that a stopped process did not finish', () => {
    let dataDir: string;
    let service: TestApp | undefined;
    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'pixelmill-deletion-'));
    });
    afterAll(async () => {
      await service?.close();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('is finished at the next start: its rows, then its files; the other request stays', async () => {
      service = await startTestApp({}, { dataDir });
      const kept = await upload(service.http, csvOf(fixtures, 'resumed-kept'));
      const gone = await upload(service.http, csvOf(fixtures, 'resumed-gone'));
      await waitForCompletion(service.http, kept);
      await waitForCompletion(service.http, gone);
      const goneFiles = await outputPaths(service, gone);
      const keptFiles = await outputPaths(service, kept);
      await makePreviews(service, gone);
      await makePreviews(service, kept);
      const filesBefore = await everyStoredFile(service.config.storage.dir);
      // As if killed right after the deletion's first transaction: the task row is gone and the mark
      // written; the products, images and files are all still there.
      await service.app.get(UnitOfWork).run(async (tx) => {
        await execute(tx.manager, 'DELETE FROM tasks WHERE id = ?', [gone]);
        await service!.app.get(TaskRowsRemoval).mark(tx, gone);
      });
      await service.close();

      service = await startTestApp({}, { dataDir });
      const count = (table: string) =>
        queryDatabase<{ count: number }>(
          dataDir,
          `SELECT COUNT(*) AS count FROM ${table} WHERE task_id = ?`,
          gone,
        )[0].count;
      expect([count('images'), count('products'), countRows(dataDir, 'staged_tasks')]).toEqual([0, 0, 0]);
      await expectGone(service, gone, goneFiles);
      for (const path of keptFiles) await service.http.get(path).expect(200);
      // Outputs and previews alike: 2 outputs and their 2 previews per request.
      expect(filesBefore).toHaveLength(8);
      expect(await everyStoredFile(service.config.storage.dir)).toHaveLength(4);
    });
  });

  describe('S3 storage', () => {
    const s3 = new S3TestServer();
    let service: TestApp;
    beforeAll(async () => {
      await s3.start();
      service = await startTestApp(s3.env({ S3_PREFIX: 'deleted' }));
    });
    afterAll(async () => {
      await service?.close();
      await s3.stop();
    });

    it('removes the objects of the request, each once, and nothing else', async () => {
      const kept = await upload(service.http, csvOf(fixtures, 's3-kept'));
      const deleted = await upload(service.http, csvOf(fixtures, 's3-deleted'));
      await waitForCompletion(service.http, kept);
      await waitForCompletion(service.http, deleted);
      const files = await outputPaths(service, deleted);
      expect((await s3.keys()).filter((key) => !key.endsWith('.pixelmill-probe'))).toHaveLength(4);
      await makePreviews(service, kept);
      await makePreviews(service, deleted);
      const objects = (await s3.keys()).filter((key) => !key.endsWith('.pixelmill-probe'));
      expect(objects).toHaveLength(8); // an output per distinct image, and its preview once asked for

      await service.http.delete(`/requests/${deleted}`).expect(204);

      const remaining = (await s3.keys()).filter((key) => !key.endsWith('.pixelmill-probe'));
      const keptKeys = new Set(
        (await outputPaths(service, kept)).map((path) => path.replace(/^\/files\//, 'deleted/')),
      );
      const previews = remaining.filter((key) => key.startsWith('deleted/thumbs/'));
      expect(remaining.filter((key) => !previews.includes(key))).toEqual([...keptKeys].sort());
      expect(previews).toHaveLength(keptKeys.size);
      await expectGone(service, deleted, files);
    });
  });
});
