import { RetentionJob } from '../src/retention/retention-job.js';
import { completedRequest } from './helpers/completed-request.js';
import { countRows } from './helpers/database-counts.js';
import { FixtureServer } from './helpers/fixture-server.js';
import { storedFiles } from './helpers/stored-files.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

const DAY_MS = 86_400_000;

describe('retention (time injected)', () => {
  // Each request's images their own bytes: none reuses another's output (see shared-outputs.e2e-spec.ts).
  const fixtures = Object.assign(new FixtureServer(), { distinctImages: true });
  beforeAll(() => fixtures.start());
  afterAll(() => fixtures.stop());

  describe('RETENTION_DAYS=1', () => {
    let service: TestApp;
    beforeAll(async () => {
      service = await startTestApp({ RETENTION_DAYS: '1' });
    });
    afterAll(() => service.close());

    it('deletes a request that completed over a day before now, with its files, and keeps a recent one', async () => {
      const old = await completedRequest(service, fixtures, 'old', ['alpha.png', 'cmyk.jpg']);
      const recent = await completedRequest(service, fixtures, 'recent', ['alpha.png', 'cmyk.jpg']);
      expect(recent.completedAt).toBeGreaterThan(old.completedAt);
      expect(await storedFiles(service.config.storage.dir)).toHaveLength(4);
      const job = service.app.get(RetentionJob, { strict: false });

      // A day and a millisecond after the old request completed: the recent one is exactly a day old at most.
      expect(await job.runOnce(old.completedAt + DAY_MS + 1)).toBe(1);

      await service.http.get(`/status/${old.id}`).expect(404);
      await service.http.get(`/export-csv/${old.id}`).expect(404);
      expect((await service.http.get(`/status/${recent.id}`).expect(200)).body.status).toBe('completed');
      expect(await storedFiles(service.config.storage.dir)).toHaveLength(2);
      for (const table of ['tasks', 'products', 'webhook_deliveries'] as const)
        expect(countRows(service.dataDir, table), table).toBe(1);
      expect(countRows(service.dataDir, 'images')).toBe(2);

      // Nothing more has expired until the recent one is over a day old.
      expect(await job.runOnce(recent.completedAt + DAY_MS)).toBe(0);
      expect(await job.runOnce(recent.completedAt + DAY_MS + 1)).toBe(1);
      expect(countRows(service.dataDir, 'tasks')).toBe(0);
      expect(await storedFiles(service.config.storage.dir)).toEqual([]);
    });
  });

  describe('RETENTION_DAYS=0', () => {
    let service: TestApp;
    beforeAll(async () => {
      service = await startTestApp({ RETENTION_DAYS: '0' });
    });
    afterAll(() => service.close());

    it('keeps every request forever', async () => {
      const request = await completedRequest(service, fixtures, 'forever', ['alpha.png', 'cmyk.jpg']);
      const job = service.app.get(RetentionJob, { strict: false });
      expect(await job.runOnce(request.completedAt + 100 * 365 * DAY_MS)).toBe(0);
      await service.http.get(`/status/${request.id}`).expect(200);
      expect(await storedFiles(service.config.storage.dir)).toHaveLength(2);
    });
  });
});
