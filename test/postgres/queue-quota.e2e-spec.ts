import pg from 'pg';
import { startAppWithoutWorker } from '../helpers/hostile-app.js';
import { PostgresDatabase } from '../helpers/postgres-database.js';
import type { TestApp } from '../helpers/test-app.js';
import { productCsv } from '../helpers/csv.js';

const UPLOADS = 12;
const IMAGES_PER_UPLOAD = 4;
const LIMIT = 10;

/** One upload of IMAGES_PER_UPLOAD rows; the URLs are never fetched (no worker runs here). */
const csvOf = (tag: string) =>
  Buffer.from(
    productCsv(Array.from({ length: IMAGES_PER_UPLOAD }, (_, i) => `http://127.0.0.1:9/${tag}-${i}.jpg`)),
  );

/**
 * PostgreSQL runs the uploads' transactions side by side (SQLite queues them): each checks the quota before
 * any of the others has committed, unless the owner's uploads are serialised.
 */
describe('MAX_QUEUED_IMAGES_PER_KEY under concurrent uploads on PostgreSQL', () => {
  let database: PostgresDatabase;
  let service: TestApp;

  beforeAll(async () => {
    database = await PostgresDatabase.create();
    service = await startAppWithoutWorker({
      DATABASE_URL: database.url,
      MAX_QUEUED_IMAGES_PER_KEY: String(LIMIT),
      MAX_CONCURRENT_UPLOADS: String(UPLOADS),
    });
  });

  afterAll(async () => {
    await service?.close();
    await database?.drop();
  });

  it('accepts concurrent uploads of one key only up to the limit; the others get 429 and store nothing', async () => {
    const answers = await Promise.all(
      Array.from({ length: UPLOADS }, (_, i) =>
        service.http
          .post('/upload')
          .attach('file', csvOf(`u${i}`), { filename: 'p.csv', contentType: 'text/csv' }),
      ),
    );
    const statuses = answers.map((answer) => answer.status).sort((a, b) => a - b);
    const fitting = Math.floor(LIMIT / IMAGES_PER_UPLOAD);
    expect(statuses).toEqual([...Array(fitting).fill(202), ...Array(UPLOADS - fitting).fill(429)]);

    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ tasks: string; queued: string; images: string }>(
        `SELECT (SELECT COUNT(*) FROM tasks) AS tasks,
                (SELECT COALESCE(SUM(total_images), 0) FROM tasks) AS queued,
                (SELECT COUNT(*) FROM images) AS images`,
      );
      expect(rows[0]).toEqual({
        tasks: String(fitting),
        queued: String(fitting * IMAGES_PER_UPLOAD),
        images: String(fitting * IMAGES_PER_UPLOAD),
      });
    } finally {
      await client.end();
    }
  });
});
