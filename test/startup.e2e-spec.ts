import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILT_MAIN, requireBuild } from './helpers/server-process.js';

describe('starting the built server with a bad configuration', () => {
  it('stops at once with exit code 1 and a message naming every bad variable', () => {
    requireBuild();
    const dataDir = mkdtempSync(join(tmpdir(), 'pixelmill-startup-'));
    try {
      const run = spawnSync(process.execPath, [BUILT_MAIN], {
        env: {
          ...process.env,
          DATA_DIR: dataDir,
          JPEG_QUALITY: '500',
          MAX_ROWS: 'many',
          PORT: '0',
          STORAGE_DRIVER: 's3',
          S3_BUCKET: '',
        },
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('Invalid configuration');
      expect(run.stderr).toContain('JPEG_QUALITY="500"');
      expect(run.stderr).toContain('MAX_ROWS="many"');
      expect(run.stderr).toMatch(/S3_BUCKET="": S3_BUCKET is required when STORAGE_DRIVER=s3/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
