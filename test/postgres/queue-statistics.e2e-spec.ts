import type { DataSource } from 'typeorm';
import { UnitOfWork } from '../../src/database/unit-of-work.js';
import { LeaseStore } from '../../src/images/queue/lease-store.js';
import { QueueCounters } from '../../src/tasks/queue-counters.js';
import { imagesCsv } from '../helpers/csv.js';
import { startAppWithoutWorker } from '../helpers/hostile-app.js';
import { PostgresDatabase } from '../helpers/postgres-database.js';
import { oneSession, scansDuring, withoutAutovacuum } from '../helpers/table-scans.js';
import { eventually, type TestApp } from '../helpers/test-app.js';

const SMALL_UPLOAD = 40;
const LARGE_UPLOAD = 10_000;

/**
 * A new database's first uploads: the claim's statements are prepared once per connection, with a plan
 * made at the table's size then. After an upload that outgrows what the table's statistics know, the
 * API analyzes `images`, and the claims are planned again: no claim scans the whole table. Autovacuum
 * is off on `images`, so only the API's ANALYZE renews the plans. The claims come from a session of the
 * test's own (one connection), whose table scans PostgreSQL's statistics count.
 */
describe('Claims after a large upload on PostgreSQL', () => {
  let database: PostgresDatabase;
  let service: TestApp;
  let dataSource: DataSource;
  let claimAndRelease: () => Promise<number>;

  beforeAll(async () => {
    database = await PostgresDatabase.create();
    service = await startAppWithoutWorker({ DATABASE_URL: database.url, MAX_ROWS: String(LARGE_UPLOAD) });
    const session = await oneSession(database.url);
    dataSource = session.dataSource;
    const unitOfWork = new UnitOfWork(dataSource);
    const leases = new LeaseStore(session.config, new QueueCounters(session.config, dataSource));
    claimAndRelease = async () => {
      const claimed = await unitOfWork.runStatements((tx) => leases.claim(tx, 2));
      await unitOfWork.run((tx) =>
        leases.release(
          tx,
          claimed.map((image) => image.id),
        ),
      );
      return claimed.length;
    };
    await withoutAutovacuum(dataSource, ['images']);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await service?.close();
    await database?.drop();
  });

  const uploadImages = async (count: number, tag: string) => {
    const urls = Array.from({ length: count }, (_, index) => `http://127.0.0.1:9/${tag}/${index}.jpg`);
    const answer = await service.http
      .post('/upload')
      .attach('file', Buffer.from(imagesCsv(urls, 1)), { filename: 'p.csv', contentType: 'text/csv' });
    expect(answer.status).toBe(202);
  };

  const imagesStatistics = async () => {
    const [row] = await dataSource.query(
      "SELECT n_tup_ins AS inserted, analyze_count AS analyzed FROM pg_stat_user_tables WHERE relname = 'images'",
    );
    return { inserted: Number(row.inserted), analyzed: Number(row.analyzed) };
  };

  it('analyzes images after an upload that outgrows the statistics, so claims probe the index', async () => {
    await uploadImages(SMALL_UPLOAD, 'small');
    // As autovacuum does once a table has its first rows: the planner knows it small.
    await dataSource.query('ANALYZE images');
    // More claims than PostgreSQL plans one by one before it may keep one plan for a prepared statement.
    for (let claim = 0; claim < 10; claim++) expect(await claimAndRelease()).toBe(2);

    await uploadImages(LARGE_UPLOAD, 'large');
    // The API's ANALYZE has run, and the upload's session has published its statistics (its inserts).
    await eventually(async () => {
      const { inserted, analyzed } = await imagesStatistics();
      return inserted === SMALL_UPLOAD + LARGE_UPLOAD && analyzed === 2;
    }, 15_000);
    const { images } = await scansDuring(dataSource, ['images'], async () => {
      for (let claim = 0; claim < 5; claim++) expect(await claimAndRelease()).toBe(2);
    });
    expect(images.index).toBeGreaterThanOrEqual(5);
    expect(images.seq).toBe(0);
  });
});
