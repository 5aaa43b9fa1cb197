import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnitOfWork } from '../src/database/unit-of-work.js';
import { ProductWriter } from '../src/images/product-writer.js';
import { UploadStaging } from '../src/upload/upload-staging.js';
import { countRows, queryDatabase } from './helpers/database-counts.js';
import { csvFile, rowCounts } from './helpers/durability.js';
import { FixtureServer } from './helpers/fixture-server.js';
import { startTestApp, TestApp, waitForCompletion } from './helpers/test-app.js';
import { imagesCsv } from './helpers/csv.js';

/**
 * On SQLite an upload's rows are committed a batch at a time and its task row last (so that no COMMIT
 * of a whole upload holds the event loop). These tests show what makes that safe: rows without their
 * task are never worked on, an upload refused after some batches were committed leaves nothing, and
 * the rows of an upload whose process stopped half-way are removed at the next start.
 */
describe('uploads stored in slices (SQLite)', () => {
  const origin = new FixtureServer();
  let service: TestApp | undefined;
  let dataDir: string | undefined;

  beforeAll(async () => {
    await origin.start();
  });

  afterEach(async () => {
    await service?.close();
    service = undefined;
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    dataDir = undefined;
  });

  afterAll(async () => {
    await origin.stop();
  });

  const stagedCount = () => countRows(service!.dataDir, 'staged_tasks');

  /** Writes `count` rows of one image each for a request whose task row is not written: an upload half-way. */
  async function stageRows(requestId: string, urls: string[]): Promise<void> {
    const staging = service!.app.get(UploadStaging);
    const unitOfWork = service!.app.get(UnitOfWork);
    const writeRows = service!.app.get(ProductWriter).writerFor(requestId);
    await staging.begin(requestId);
    await unitOfWork.run((tx) =>
      writeRows(
        tx,
        urls.map((url, index) => ({
          rowNumber: index + 2,
          serialNumber: String(index + 1),
          productName: `staged ${index + 1}`,
          cells: [String(index + 1), `staged ${index + 1}`, url],
          urls: [url],
        })),
      ),
    );
  }

  it('never works on the images of a request whose task row is not written yet', async () => {
    service = await startTestApp();
    const stagedId = randomUUID();
    const stagedUrls = Array.from({ length: 5 }, () =>
      origin.imageUrl('animated.gif', `staged-${randomUUID()}`),
    );
    await stageRows(stagedId, stagedUrls);

    // A request uploaded after them is processed to the end: the worker ran, and passed them by.
    const { body } = await service.http
      .post('/upload')
      .attach('file', ...csvFile(imagesCsv([origin.imageUrl('animated.gif', randomUUID())])))
      .expect(202);
    await waitForCompletion(service.http, body.request_id);

    const staged = queryDatabase<{ status: string; attempts: number }>(
      service.dataDir,
      'SELECT status, attempts FROM images WHERE task_id = ?',
      stagedId,
    );
    expect(staged).toHaveLength(5);
    expect(staged.every((image) => image.status === 'queued' && image.attempts === 0)).toBe(true);
    expect(origin.imageRequests.filter((path) => path.includes('staged-'))).toEqual([]);
    await service.http.get(`/status/${stagedId}`).expect(404);
  });

  it('removes the rows of an upload whose process stopped half-way at the next start', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'pixelmill-staging-'));
    service = await startTestApp({}, { dataDir });
    const keptId = (
      await service.http
        .post('/upload')
        .attach('file', ...csvFile(imagesCsv([origin.imageUrl('animated.gif', randomUUID())])))
        .expect(202)
    ).body.request_id as string;
    await waitForCompletion(service.http, keptId);
    const kept = rowCounts(dataDir);
    await stageRows(
      randomUUID(),
      Array.from({ length: 3_000 }, (_, index) => origin.imageUrl('animated.gif', `orphan-${index}`)),
    );
    expect(stagedCount()).toBe(1);
    // Closed without finishing the upload: its mark stays, as after a crash.
    await service.close();
    service = undefined;

    service = await startTestApp({}, { dataDir });
    expect(rowCounts(dataDir)).toEqual(kept);
    expect(stagedCount()).toBe(0);
    await service.http.get(`/status/${keptId}`).expect(200);
  });

  it('leaves nothing when a problem is found after thousands of rows were stored', async () => {
    service = await startTestApp();
    const urls = Array.from({ length: 6_000 }, (_, index) =>
      origin.imageUrl('animated.gif', `late-${index}`),
    );
    const csv = `${imagesCsv(urls, 2)}3001,,${origin.imageUrl('animated.gif', 'bad-row')}\n`;

    const { body } = await service.http
      .post('/upload')
      .attach('file', ...csvFile(csv))
      .expect(400);

    expect(body.errors).toEqual([{ row: 3002, column: 'Product Name', message: 'product name is empty' }]);
    expect(rowCounts(service.dataDir)).toEqual({ tasks: 0, products: 0, images: 0, webhook_deliveries: 0 });
    expect(stagedCount()).toBe(0);
  });

  it('leaves nothing when the quota refuses the upload once all its rows are stored', async () => {
    service = await startTestApp({ MAX_QUEUED_IMAGES_PER_KEY: '5000' });
    const urls = Array.from({ length: 6_000 }, (_, index) =>
      origin.imageUrl('animated.gif', `quota-${index}`),
    );

    await service.http
      .post('/upload')
      .attach('file', ...csvFile(imagesCsv(urls, 2)))
      .expect(429);

    expect(rowCounts(service.dataDir)).toEqual({ tasks: 0, products: 0, images: 0, webhook_deliveries: 0 });
    expect(stagedCount()).toBe(0);
  });
});
