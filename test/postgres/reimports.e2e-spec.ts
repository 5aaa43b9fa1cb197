import pg from 'pg';
import { TaskRowsRemoval } from '../../src/images/task-rows-removal.js';
import { download } from '../helpers/download.js';
import { FixtureServer } from '../helpers/fixture-server.js';
import { PostgresDatabase } from '../helpers/postgres-database.js';
import { encodes, Importer } from '../helpers/reimports.js';
import { eventually, startTestApp, type TestApp } from '../helpers/test-app.js';

const ALICE = 'alice-key-0123456789abcdef';
const BOB = 'bob-key-0123456789abcdef01';

/**
 * A session of the test's own that holds rows of `outputs` FOR UPDATE, and another that counts the
 * sessions waiting for a lock. The counting one is apart on purpose: a transaction sees the sessions of
 * pg_stat_activity as they were when it first read it, so the holder would miss a pool connection that
 * opened later.
 */
class HeldOutputs {
  private constructor(
    readonly holder: pg.Client,
    private readonly watcher: pg.Client,
  ) {}

  static async take(url: string, keys: string[]): Promise<HeldOutputs> {
    const held = new HeldOutputs(
      new pg.Client({ connectionString: url }),
      new pg.Client({ connectionString: url }),
    );
    await Promise.all([held.holder.connect(), held.watcher.connect()]);
    await held.holder.query('BEGIN');
    await held.holder.query('SELECT 1 FROM outputs WHERE output_key = ANY($1) FOR UPDATE', [keys]);
    return held;
  }

  /** Whether exactly `count` sessions of the database wait for a lock (the held rows, or each other). */
  async waiting(count: number): Promise<boolean> {
    const { rows } = await this.watcher.query(
      "SELECT COUNT(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
    );
    return rows[0].waiting === count;
  }

  release(): Promise<unknown> {
    return this.holder.query('COMMIT');
  }

  async end(): Promise<void> {
    await Promise.all([this.holder.end(), this.watcher.end()]);
  }
}

/** Re-imports on PostgreSQL: outputs, references and sources written in the batch's transaction. */
describe('re-imports on PostgreSQL', () => {
  const fixtures = new FixtureServer();
  let database: PostgresDatabase;
  let service: TestApp;
  let imports: Importer;

  beforeAll(async () => {
    await fixtures.start();
    database = await PostgresDatabase.create();
    service = await startTestApp({
      DATABASE_URL: database.url,
      API_KEYS: `alice:${ALICE},bob:${BOB}`,
      DOWNLOAD_RETRIES: '0',
    });
    imports = new Importer(service.http);
  });
  afterAll(async () => {
    await service?.close();
    await database?.drop();
    await fixtures.stop();
  });

  it('a second import revalidates every unchanged image and reuses its output; another key’s is its own', async () => {
    const urls = ['photo-2725x2225.jpg', 'cmyk.jpg', 'alpha.png', 'cmyk.jpg'].map((name, index) =>
      fixtures.imageUrl(name, `tag=pg${index}`),
    );
    fixtures.withoutValidators(urls[3]); // the same bytes as urls[1], and no validators
    const first = await imports.run(ALICE, urls.slice(0, 3));
    expect(first.status).toMatchObject({ status: 'completed', reused_images: 0 });

    fixtures.resetCounts();
    const encoded = await encodes(service.http);
    const second = await imports.run(ALICE, urls);

    expect(second.status).toMatchObject({ status: 'completed', reused_images: 4 });
    expect(second.images.map((image) => image.reused_how)).toEqual([
      'revalidated',
      'revalidated',
      'revalidated',
      'content_match',
    ]);
    expect(second.images.map((image) => image.output_url)).toEqual(
      [0, 1, 2, 1].map((index) => first.images[index].output_url),
    );
    for (const url of urls.slice(0, 3))
      expect(fixtures.counts(url)).toEqual({ requests: 1, conditional: 1, notModified: 1, bodyBytes: 0 });
    expect(await encodes(service.http)).toBe(encoded);
    for (const image of second.images) expect((await download(image.output_url)).status).toBe(200);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT refs FROM outputs WHERE output_key = $1', [
        new URL(first.images[1].output_url).pathname.replace('/files/', ''),
      ]);
      expect(rows).toEqual([{ refs: 3 }]); // made once, reused by two images
    } finally {
      await client.end();
    }

    fixtures.resetCounts();
    const bobs = await imports.run(BOB, urls.slice(0, 3));
    expect(bobs.status.reused_images).toBe(0);
    for (const url of urls.slice(0, 3)) expect(fixtures.counts(url)).toMatchObject({ conditional: 0 });

    // Deleting the first import takes its references off: every output of the second still answers,
    // and deleting the second removes them.
    const alice = { Authorization: `Bearer ${ALICE}` };
    await service.http.delete(`/requests/${first.id}`).set(alice).expect(204);
    for (const image of second.images) expect((await download(image.output_url)).status).toBe(200);
    await service.http.delete(`/requests/${second.id}`).set(alice).expect(204);
    for (const image of second.images) expect((await download(image.output_url)).status).toBe(404);
    for (const image of bobs.images) expect((await download(image.output_url)).status).toBe(200);
  });

  it('two processes finishing one deletion take each image’s reference off once: another import’s outputs stay', async () => {
    const urls = ['alpha.png', 'photo.webp'].map((name) => fixtures.imageUrl(name, 'tag=pg-twice'));
    const first = await imports.run(ALICE, urls);
    const second = await imports.run(ALICE, urls);
    expect(second.status.reused_images).toBe(urls.length);
    const keys = first.images.map((image) => new URL(image.output_url).pathname.replace('/files/', ''));
    const removal = service.app.get(TaskRowsRemoval, { strict: false });
    // As if the deleting process stopped after its first transaction: the request gone, its rows marked.
    vi.spyOn(removal, 'remove').mockResolvedValueOnce({ rows: 0, outputs: 0 });
    await service.http
      .delete(`/requests/${first.id}`)
      .set({ Authorization: `Bearer ${ALICE}` })
      .expect(204);
    vi.restoreAllMocks();

    // Two processes finish it at once (a neighbour starting while the deleting one goes on). The outputs
    // rows are held meanwhile, so both read the request's images before either commits.
    const held = await HeldOutputs.take(database.url, keys);
    try {
      const both = Promise.all([removal.remove(first.id), removal.remove(first.id)]);
      await eventually(() => held.waiting(2));
      await held.release();
      await both;

      const { rows } = await held.holder.query('SELECT refs FROM outputs WHERE output_key = ANY($1)', [keys]);
      expect(rows).toEqual(keys.map(() => ({ refs: 1 })));
    } finally {
      await held.end();
    }
    for (const image of second.images) expect((await download(image.output_url)).status).toBe(200);
  });

  it('a re-import recorded while the deletion of the output’s last image commits: its output answers, its reference counted', async () => {
    const [url] = ['exif-orientation-6.jpg'].map((name) => fixtures.imageUrl(name, 'tag=pg-race'));
    const first = await imports.run(ALICE, [url]);
    const key = new URL(first.images[0].output_url).pathname.replace('/files/', '');
    fixtures.resetCounts();
    // The output row held: the deletion of its last image and the re-import's reuse both wait for it.
    const held = await HeldOutputs.take(database.url, [key]);
    try {
      const deletion = service.http
        .delete(`/requests/${first.id}`)
        .set({ Authorization: `Bearer ${ALICE}` })
        .then((response) => response.status);
      await eventually(() => held.waiting(1));
      const again = imports.run(ALICE, [url]);
      await eventually(() => held.waiting(2));
      await held.release();
      expect(await deletion).toBe(204);
      const { images } = await again;

      // The deletion waited first, so it took the last reference first: the reuse found the output
      // gone, and the image was made again from a plain GET.
      expect(images[0]).toMatchObject({ status: 'done', reused: false });
      expect(fixtures.counts(url)).toMatchObject({ requests: 2, conditional: 1, notModified: 1 });
      expect((await download(images[0].output_url)).status).toBe(200);
      const { rows } = await held.holder.query('SELECT refs FROM outputs WHERE output_key = $1', [
        new URL(images[0].output_url).pathname.replace('/files/', ''),
      ]);
      expect(rows).toEqual([{ refs: 1 }]);
    } finally {
      await held.end();
    }
  });
});
