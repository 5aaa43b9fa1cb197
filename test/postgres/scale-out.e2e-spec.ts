import { ImageProcessor } from '../../src/images/image-processor.js';
import { parseCsv } from '../helpers/csv.js';
import { FixtureServer } from '../helpers/fixture-server.js';
import { PostgresDatabase } from '../helpers/postgres-database.js';
import { webhookOutboxDrained } from '../helpers/webhook-outbox.js';
import { startTestApp, TestApp, waitForCompletion } from '../helpers/test-app.js';
import { productCsv } from '../helpers/csv.js';

/** Scale-out: several processes (here two app instances) share one PostgreSQL database and its queue. */
describe('two instances on one PostgreSQL database', () => {
  const fixtures = new FixtureServer();
  let database: PostgresDatabase;
  let first: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    await fixtures.start();
    database = await PostgresDatabase.create();
    const env = { DATABASE_URL: database.url, CONCURRENCY: '2', DOWNLOAD_RETRIES: '0' };
    first = await startTestApp(env);
    second = await startTestApp(env);
  });

  afterAll(async () => {
    await first?.close();
    await second?.close();
    await database?.drop();
    await fixtures.stop();
  });

  it('share the work of one request: every image processed exactly once, exact counters, one completion', async () => {
    fixtures.imageDelayMs = 50;
    const processedBy = [first, second].map((instance) =>
      vi.spyOn(instance.app.get(ImageProcessor), 'process'),
    );
    const urls = Array.from({ length: 40 }, (_, index) =>
      fixtures.imageUrl(index === 39 ? 'missing.jpg' : 'animated.gif', `n=${index}`),
    );
    const csv = productCsv(urls);
    const { body: upload } = await first.http
      .post('/upload')
      .field('webhook_url', `${fixtures.baseUrl}/webhook`)
      .attach('file', Buffer.from(csv), 'scale.csv')
      .expect(202);

    const status = await waitForCompletion(second.http, upload.request_id);
    expect(status).toMatchObject({ status: 'completed_with_errors', processed_images: 40, failed_images: 1 });
    expect(fixtures.imageRequests).toHaveLength(40);
    expect(new Set(fixtures.imageRequests).size).toBe(40);
    const calls = processedBy.map((spy) => spy.mock.calls.length);
    expect(calls[0] + calls[1]).toBe(40);
    expect(calls.every((count) => count > 0)).toBe(true);

    const { text } = await second.http.get(`/export-csv/${upload.request_id}`).expect(200);
    const rows = await parseCsv(text);
    expect(rows.slice(1).filter((row) => row[3] !== '')).toHaveLength(39);
    await webhookOutboxDrained(second.http, [upload.request_id], {
      dispatchers: [first.http, second.http],
    });
    expect(fixtures.webhooks).toHaveLength(1);
  });
});
