import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leftUploadFiles, uploadFilesUnder } from './helpers/left-upload-files.js';
import { startPartialUpload } from './helpers/partial-upload.js';
import { requireBuild, ServerProcess } from './helpers/server-process.js';
import { eventually, freePort, startTestApp, type TestApp } from './helpers/test-app.js';

describe('upload files a killed process left in DATA_DIR/uploads, on SQLite (one process per DATA_DIR)', () => {
  let dataDir: string;
  let service: TestApp | undefined;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'pixelmill-uploads-'));
  });
  afterEach(async () => {
    await service?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('are all removed at start, however recent', async () => {
    await leftUploadFiles(dataDir, { a1b2c3: 0, d4e5f6: 3 * 3_600_000 });

    service = await startTestApp({}, { dataDir });

    expect(uploadFilesUnder(dataDir)).toEqual([]);
  });

  it('include the file of an upload whose process was killed in the middle of it (SIGKILL)', async () => {
    requireBuild();
    const server = new ServerProcess({ DATA_DIR: dataDir, ALLOW_PRIVATE_URLS: 'true' }, await freePort());
    await server.start();
    const upload = startPartialUpload(server.baseUrl, 11 * 1024 * 1024, 6 * 1024 * 1024);
    try {
      await eventually(() => uploadFilesUnder(dataDir).length === 1);
      await server.kill('SIGKILL');
      expect(uploadFilesUnder(dataDir), 'the file the kill left').toHaveLength(1);

      await server.start();
      expect(uploadFilesUnder(dataDir)).toEqual([]);
    } finally {
      upload.stop();
      await server.kill();
    }
  });
});
