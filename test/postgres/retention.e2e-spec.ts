import { RetentionJob } from '../../src/retention/retention-job.js';
import { completedRequest } from '../helpers/completed-request.js';
import { FixtureServer } from '../helpers/fixture-server.js';
import { PostgresDatabase } from '../helpers/postgres-database.js';
import { storedFiles } from '../helpers/stored-files.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const DAY_MS = 86_400_000;

/** DELETE /requests/:id and the retention job on PostgreSQL (its SQL dialect and bigint timestamps). */
describe('deletion and retention on PostgreSQL', () => {
  // Each URL its own bytes: every image is made, none reused by its content.
  const fixtures = Object.assign(new FixtureServer(), { distinctImages: true });
  let database: PostgresDatabase;
  let service: TestApp;

  beforeAll(async () => {
    await fixtures.start();
    database = await PostgresDatabase.create();
    service = await startTestApp({ DATABASE_URL: database.url, RETENTION_DAYS: '1' });
  });
  afterAll(async () => {
    await service?.close();
    await database?.drop();
    await fixtures.stop();
  });

  it('deletes a request on demand, and an expired one by retention, each with its files', async () => {
    const deleted = await completedRequest(service, fixtures, 'deleted', [
      'alpha.png',
      'cmyk.jpg',
      'alpha.png',
    ]);
    const old = await completedRequest(service, fixtures, 'old', ['alpha.png', 'cmyk.jpg', 'alpha.png']);
    const recent = await completedRequest(service, fixtures, 'recent', [
      'alpha.png',
      'cmyk.jpg',
      'alpha.png',
    ]);
    expect(await storedFiles(service.config.storage.dir)).toHaveLength(6);

    await service.http.delete(`/requests/${deleted.id}`).expect(204);
    await service.http.get(`/status/${deleted.id}`).expect(404);
    expect(await storedFiles(service.config.storage.dir)).toHaveLength(4);

    const job = service.app.get(RetentionJob, { strict: false });
    expect(await job.runOnce(old.completedAt + DAY_MS + 1)).toBe(1);
    await service.http.get(`/status/${old.id}`).expect(404);
    await service.http.get(`/status/${recent.id}`).expect(200);
    expect(await storedFiles(service.config.storage.dir)).toHaveLength(2);
  });
});
