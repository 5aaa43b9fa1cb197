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

describe("large uploads' WAL (SQLite)", () => {
  /**
   * The WAL's size and the database file's once `uploads` uploads of 60,000 images each (60 slices of
   * 1,000) are stored at once, on a fresh service. The WAL file keeps the size it grew to (nothing
   * truncates it): the most it held at once.
   */
  async function sizesAfter(uploads: number): Promise<{ wal: number; database: number }> {
    const service = await startAppWithoutWorker();
    try {
      const csvOf = (upload: number) =>
        productCsv(
          Array.from({ length: 20_000 }, (_, row) =>
            [1, 2, 3].map((n) => `http://127.0.0.1:9/${upload}/${row}/${n}.jpg`),
          ),
        );
      await Promise.all(
        Array.from({ length: uploads }, (_, upload) => postUpload(service.http, csvOf(upload)).expect(202)),
      );
      const file = join(service.dataDir, 'pixelmill.sqlite');
      const [wal, database] = await Promise.all([stat(`${file}-wal`), stat(file)]);
      return { wal: wal.size, database: database.size };
    } finally {
      await service.close();
    }
  }

  it('is checkpointed beside the slices: it never holds more than a few of them', async () => {
    const { wal, database } = await sizesAfter(1);
    expect(wal).toBeLessThan(database / 2);
  });

  it('stays as small while two uploads write their slices at once', async () => {
    const { wal, database } = await sizesAfter(2);
    expect(wal).toBeLessThan(database / 3);
  });
});
