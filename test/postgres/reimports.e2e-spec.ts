import pg from 'pg';
import { download } from '../helpers/download.js';
import { FixtureServer } from '../helpers/fixture-server.js';
import { PostgresDatabase } from '../helpers/postgres-database.js';
import { encodes, Importer } from '../helpers/reimports.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const ALICE = 'alice-key-0123456789abcdef';
const BOB = 'bob-key-0123456789abcdef01';

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
});
