import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leftUploadFiles } from './helpers/left-upload-files.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

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
    const dir = await leftUploadFiles(dataDir, { a1b2c3: 0, d4e5f6: 3 * 3_600_000 });

    service = await startTestApp({}, { dataDir });

    expect(await readdir(dir)).toEqual([]);
  });
});
