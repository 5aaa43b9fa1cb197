import { randomUUID } from 'node:crypto';
import { copyFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bulkInsert } from '../src/database/sql.js';
import { UnitOfWork } from '../src/database/unit-of-work.js';
import { WalCheckpointer } from '../src/database/wal-checkpointer.js';
import { productCsv } from './helpers/csv.js';
import { countRows } from './helpers/database-counts.js';
import { startAppWithoutWorker } from './helpers/hostile-app.js';
import { postUpload } from './helpers/upload.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

/**
 * A large upload waits for WalCheckpointer.checkpoint() every few slices, so that its WAL does not grow
 * by the whole upload: the promise resolves once what was committed is in the database file itself.
 */
describe('WAL checkpoint on demand (SQLite)', () => {
  let service: TestApp;
  let copyDir: string;

  beforeAll(async () => {
    service = await startTestApp();
    copyDir = await mkdtemp(join(tmpdir(), 'pixelmill-wal-'));
  });
  afterAll(async () => {
    await service?.close();
    await rm(copyDir, { recursive: true, force: true });
  });

  it('resolves once the committed rows are in the database file, without its WAL', async () => {
    const rows = Array.from({ length: 2_000 }, () => [randomUUID(), Date.now()]);
    await service.app
      .get(UnitOfWork)
      .run((tx) => bulkInsert(tx.manager, 'staged_tasks', ['task_id', 'started_at'], rows));
    await service.app.get(WalCheckpointer).checkpoint();
    // The database file alone, as it is on disk now: what the WAL still held would be missing.
    await copyFile(join(service.dataDir, 'pixelmill.sqlite'), join(copyDir, 'pixelmill.sqlite'));
    expect(countRows(copyDir, 'staged_tasks')).toBe(2_000);
  });
});

describe("a large upload's WAL (SQLite)", () => {
  let service: TestApp;

  beforeAll(async () => {
    service = await startAppWithoutWorker();
  });
  afterAll(async () => {
    await service?.close();
  });

  it('is checkpointed beside its slices: it never holds more than a few of them', async () => {
    // 60,000 images: 60 slices of 1,000, of which the WAL may hold up to 16 at a time.
    const urls = (row: number) => [1, 2, 3].map((n) => `http://127.0.0.1:9/${row}/${n}.jpg`);
    const csv = productCsv(Array.from({ length: 20_000 }, (_, index) => urls(index)));
    await postUpload(service.http, csv).expect(202);
    const file = join(service.dataDir, 'pixelmill.sqlite');
    // The WAL file keeps the size it grew to (nothing truncates it): the most it held at once.
    const [wal, database] = await Promise.all([stat(`${file}-wal`), stat(file)]);
    expect(wal.size).toBeLessThan(database.size / 2);
  });
});
