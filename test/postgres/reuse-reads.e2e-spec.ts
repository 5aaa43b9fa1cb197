import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../../src/config/app-config.js';
import { UnitOfWork } from '../../src/database/unit-of-work.js';
import { SourceMemory } from '../../src/images/reuse/source-memory.js';
import { PostgresDatabase } from '../helpers/postgres-database.js';
import { oneSession, scansDuring, withoutAutovacuum } from '../helpers/table-scans.js';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** Rows of the tables a grown service holds: another owner's earlier imports. */
const GROWN_ROWS = 20_000;

/** Keys a turn reads: a claim's images. */
const KEYS = 40;

/**
 * The reads a worker makes before and after a download to reuse an earlier output. `sources` and
 * `outputs` start empty and grow with every image: a read must stay a probe per key as they grow,
 * whatever plan its first calls, on nearly empty tables, were given. The tables' scans are counted by
 * PostgreSQL's own statistics; autovacuum is off on them, so no ANALYZE renews a plan while they grow
 * (it runs a minute apart at most: a first import grows them by thousands of rows meanwhile).
 */
describe('Reuse reads on PostgreSQL', () => {
  let database: PostgresDatabase;
  let dataSource: DataSource;
  let config: AppConfig;
  let memory: SourceMemory;

  beforeAll(async () => {
    database = await PostgresDatabase.create();
    ({ config, dataSource } = await oneSession(database.url));
    memory = new SourceMemory(new UnitOfWork(dataSource), config);
    await withoutAutovacuum(dataSource, ['outputs', 'sources']);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  /** A turn's reads of `count` keys nobody imported: one statement of each kind. */
  const readUnknown = (count: number, round: string) =>
    Promise.all(
      Array.from({ length: count }, (_, index) => [
        memory.recall('alice', 'default', sha256(`url ${round} ${index}`)),
        memory.withContent('alice', 'default', sha256(`bytes ${round} ${index}`)),
      ]).flat(),
    );

  it('probes the index per key once the tables have grown, after many reads on nearly empty ones', async () => {
    await dataSource.query(
      `INSERT INTO outputs (output_key, owner, options_key, content_sha256, refs, output_bytes, output_quality, created_at)
       VALUES ('outputs/first.jpg', 'alice', 'default', $1, 1, 100, 50, 0)`,
      [sha256('first bytes')],
    );
    await dataSource.query(
      `INSERT INTO sources (owner, options_key, url_sha256, etag, output_key, checked_at)
       VALUES ('alice', 'default', $1, '"v1"', 'outputs/first.jpg', 0)`,
      [sha256('first url')],
    );
    // As autovacuum does once a table has its first rows: the planner knows them nearly empty.
    await dataSource.query('ANALYZE outputs, sources');
    // More calls than PostgreSQL plans one by one before it may keep one plan for a prepared statement.
    for (let round = 0; round < 10; round++)
      expect(await readUnknown(KEYS, `small ${round}`)).toEqual(Array(2 * KEYS).fill(undefined));

    await dataSource.query(
      `INSERT INTO outputs (output_key, owner, options_key, content_sha256, refs, output_bytes, output_quality, created_at)
       SELECT 'outputs/bulk-' || x || '.jpg', 'bob', 'default', md5(x::text) || md5(x::text), 1, 100, 50, 0
         FROM generate_series(1, ${GROWN_ROWS}) AS x`,
    );
    await dataSource.query(
      `INSERT INTO sources (owner, options_key, url_sha256, output_key, checked_at)
       SELECT 'bob', 'default', md5(x::text) || md5(x::text), 'outputs/bulk-' || x || '.jpg', 0
         FROM generate_series(1, ${GROWN_ROWS}) AS x`,
    );
    const scans = await scansDuring(dataSource, ['outputs', 'sources'], async () => {
      for (let round = 0; round < 5; round++)
        expect(await readUnknown(KEYS, `grown ${round}`)).toEqual(Array(2 * KEYS).fill(undefined));
      const [recalled, matched] = await Promise.all([
        memory.recall('alice', 'default', sha256('first url')),
        memory.withContent('alice', 'default', sha256('first bytes')),
      ]);
      expect(recalled).toMatchObject({
        validators: { etag: '"v1"' },
        output: { outputKey: 'outputs/first.jpg' },
      });
      expect(matched).toMatchObject({ outputKey: 'outputs/first.jpg', outputBytes: 100 });
    });
    // Every key probed the index (the reads were counted), and no read scanned a whole table.
    expect(scans.sources.index).toBeGreaterThanOrEqual(5 * KEYS + 1);
    expect(scans.outputs.index).toBeGreaterThanOrEqual(5 * KEYS + 1);
    expect(scans.sources.seq).toBe(0);
    expect(scans.outputs.seq).toBe(0);
  });
});
