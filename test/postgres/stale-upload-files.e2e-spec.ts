import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leftUploadFiles } from '../helpers/left-upload-files.js';
import { PostgresDatabase } from '../helpers/postgres-database.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const HOUR_MS = 3_600_000;

/**
 * On PostgreSQL several API processes may share DATA_DIR: a process starting removes only the upload
 * files no live process can still be using (older than UPLOAD_TIMEOUT_MS plus an hour), and a worker,
 * which serves no uploads, none.
 */
describe('upload files left in DATA_DIR/uploads, on PostgreSQL (processes may share DATA_DIR)', () => {
  let database: PostgresDatabase;
  let dataDir: string;
  let service: TestApp | undefined;

  beforeAll(async () => {
    database = await PostgresDatabase.create();
  });
  afterAll(async () => {
    await database?.drop();
  });
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'pixelmill-uploads-'));
  });
  afterEach(async () => {
    await service?.close();
    service = undefined;
    await rm(dataDir, { recursive: true, force: true });
  });

  it('an API process removes the old ones and keeps those another process may be reading', async () => {
    const dir = await leftUploadFiles(dataDir, { fresh: 0, recent: HOUR_MS, old: 2 * HOUR_MS });

    service = await startTestApp({ DATABASE_URL: database.url, ROLE: 'api' }, { dataDir });

    expect((await readdir(dir)).sort()).toEqual(['fresh', 'recent']);
  });

  it('a worker removes none', async () => {
    const dir = await leftUploadFiles(dataDir, { fresh: 0, old: 2 * HOUR_MS });

    service = await startTestApp({ DATABASE_URL: database.url, ROLE: 'worker' }, { dataDir });

    expect((await readdir(dir)).sort()).toEqual(['fresh', 'old']);
  });
});
