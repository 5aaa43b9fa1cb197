import { AppConfig } from '../src/config/app-config.js';
import { LocalStorage } from '../src/storage/local-storage.js';
import { Storage } from '../src/storage/storage.js';
import { countRows, queryDatabase } from './helpers/database-counts.js';
import { FixtureServer } from './helpers/fixture-server.js';
import { FullDiskStorage } from './helpers/full-disk-storage.js';
import { storedFiles } from './helpers/stored-files.js';
import { eventually, startTestApp, type TestApp, waitForCompletion } from './helpers/test-app.js';
import { postUpload } from './helpers/upload.js';
import { productCsv } from './helpers/csv.js';

function csvOf(fixtures: FixtureServer, tag: string): Buffer {
  const urls = ['alpha.png', 'cmyk.jpg'].map((name) => fixtures.imageUrl(name, `tag=${tag}`));
  return Buffer.from(productCsv([urls]));
}

describe('a full disk (ENOSPC from the storage driver)', () => {
  const fixtures = new FixtureServer();
  let disk!: FullDiskStorage;
  let service: TestApp;

  beforeAll(async () => {
    await fixtures.start();
    service = await startTestApp(
      // The queue probes the store every 1 to 2 s while it is full.
      { STORAGE_RETRY_BASE_MS: '2000', STORAGE_RETRY_MAX_MS: '2000' },
      {
        configure: (builder) =>
          builder.overrideProvider(Storage).useFactory({
            inject: [AppConfig],
            factory: (config: AppConfig) => (disk = new FullDiskStorage(new LocalStorage(config))),
          }),
      },
    );
  });
  afterAll(async () => {
    await service?.close();
    await fixtures.stop();
  });

  it('keeps images queued, refuses uploads with 507 while it lasts, and completes the request once space is back', async () => {
    disk.full = true;
    const accepted = await postUpload(service.http, csvOf(fixtures, 'waiting')).expect(202);
    const requestId: string = accepted.body.request_id;

    // Both images were downloaded and processed, then could not be stored: they wait, queued.
    const waiting = await eventually(async () => {
      const { body } = await service.http.get(`/requests/${requestId}/images`).expect(200);
      const images = body.images as Array<{ status: string; error_code: string | null }>;
      return (
        images.every((image) => image.status === 'queued' && image.error_code === 'storage_unavailable') &&
        images
      );
    });
    expect(waiting).toHaveLength(2);
    expect((await service.http.get(`/status/${requestId}`).expect(200)).body).toMatchObject({
      status: 'processing',
      processed_images: 0,
      failed_images: 0,
    });

    const refused = await postUpload(service.http, csvOf(fixtures, 'refused')).expect(507);
    expect(refused.headers['retry-after']).toBe('60');
    expect(refused.body).toMatchObject({
      statusCode: 507,
      message: 'storage is full or not writable; nothing was stored: retry once space is back',
      errors: [{ row: null, column: null, message: 'storage is not writable' }],
    });
    expect(JSON.stringify(refused.body)).not.toContain(service.config.storage.dir);
    expect(countRows(service.dataDir, 'tasks')).toBe(1);

    const ready = await service.http.get('/health/ready').expect(503);
    expect(ready.body.error.storage).toMatchObject({ status: 'down', message: 'storage is not writable' });
    await service.http.delete(`/requests/${requestId}`).expect(409);
    expect(await storedFiles(service.config.storage.dir)).toEqual([]);

    disk.full = false;
    const done = await waitForCompletion(service.http, requestId);
    expect(done).toMatchObject({ status: 'completed', processed_images: 2, failed_images: 0 });
    expect(await storedFiles(service.config.storage.dir)).toHaveLength(2);
    // The outage used up no attempt: each image was counted once, for the try that stored it.
    expect(disk.refused).toBeGreaterThanOrEqual(2);
    const attempts = queryDatabase<{ attempts: number }>(
      service.dataDir,
      'SELECT attempts FROM images WHERE task_id = ?',
      requestId,
    );
    expect(attempts.map((image) => image.attempts)).toEqual([1, 1]);

    // The successful writes cleared the refusal: uploads are taken again.
    await postUpload(service.http, csvOf(fixtures, 'after')).expect(202);
    await service.http.get('/health/ready').expect(200);
  });
});
