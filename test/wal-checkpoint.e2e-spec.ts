import { randomUUID } from 'node:crypto';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bulkInsert } from '../src/database/sql.js';
import { UnitOfWork } from '../src/database/unit-of-work.js';
import { WalCheckpointer } from '../src/database/wal-checkpointer.js';
import { countRows } from './helpers/database-counts.js';
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
