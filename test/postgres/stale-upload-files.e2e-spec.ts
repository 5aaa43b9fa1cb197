import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leftUploadFiles, uploadFilesUnder } from '../helpers/left-upload-files.js';
import { startPartialUpload } from '../helpers/partial-upload.js';
import { PostgresDatabase } from '../helpers/postgres-database.js';
import { requireBuild, ServerProcess } from '../helpers/server-process.js';
import { eventually, freePort, startTestApp, type TestApp } from '../helpers/test-app.js';

const HOUR_MS = 3_600_000;

/**
 * On PostgreSQL several API processes may share DATA_DIR: each receives its uploads in a folder of its own,
 * and a process starting removes the folders of processes that are gone (whatever their age) and never a
 * live neighbour's; loose files (the layout before those folders) only once no upload can still be using
 * them (older than UPLOAD_TIMEOUT_MS plus an hour). A worker, which serves no uploads, removes none.
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

  it('an API process removes the old loose files and keeps those another process may be reading', async () => {
    await leftUploadFiles(dataDir, { fresh: 0, recent: HOUR_MS, old: 2 * HOUR_MS });

    service = await startTestApp({ DATABASE_URL: database.url, ROLE: 'api' }, { dataDir });

    expect(uploadFilesUnder(dataDir)).toEqual(['fresh', 'recent']);
  });

  it('a worker removes none', async () => {
    await leftUploadFiles(dataDir, { fresh: 0, old: 2 * HOUR_MS });

    service = await startTestApp({ DATABASE_URL: database.url, ROLE: 'worker' }, { dataDir });

    expect(uploadFilesUnder(dataDir)).toEqual(['fresh', 'old']);
  });

  it("keeps a live neighbour's upload, and removes a killed process's at the next start, however fresh", async () => {
    requireBuild();
    const env = { DATABASE_URL: database.url, ROLE: 'api', DATA_DIR: dataDir, ALLOW_PRIVATE_URLS: 'true' };
    const [killed, neighbour] = [
      new ServerProcess(env, await freePort()),
      new ServerProcess(env, await freePort()),
    ];
    await killed.start();
    const upload = startPartialUpload(killed.baseUrl, 11 * 1024 * 1024, 6 * 1024 * 1024);
    try {
      await eventually(() => uploadFilesUnder(dataDir).length === 1);
      const [file] = uploadFilesUnder(dataDir);

      // A process starting beside it leaves the upload under way alone.
      await neighbour.start();
      expect(uploadFilesUnder(dataDir)).toEqual([file]);

      await killed.kill('SIGKILL');
      expect(uploadFilesUnder(dataDir), 'the file the kill left').toEqual([file]);
      await killed.start();
      expect(uploadFilesUnder(dataDir)).toEqual([]);
    } finally {
      upload.stop();
      await Promise.all([killed.kill(), neighbour.kill()]);
    }
  });
});
