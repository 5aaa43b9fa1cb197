import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { ProductWriter, type TaskRowsWriter } from '../../src/images/product-writer.js';
import { productCsv } from '../helpers/csv.js';
import { startAppWithoutWorker } from '../helpers/hostile-app.js';
import { PostgresDatabase } from '../helpers/postgres-database.js';
import { requireBuild, ServerProcess } from '../helpers/server-process.js';
import { eventually, freePort, type TestApp } from '../helpers/test-app.js';
import { postUpload, upload } from '../helpers/upload.js';

/** Client text holding every character COPY's text format gives a meaning to, and others. */
const NASTY = [
  'tab\there',
  'back\\slash',
  'ends with a backslash\\',
  'line\nbreak',
  'carriage\rreturn',
  'crlf\r\nend',
  '\\N',
  '\\.',
  '\\t and \\n written out',
  '"quoted", with a comma',
  "it's",
  'control \u0001\u0007\u001b characters',
  'unicode é ß 漢字 🙂 \u2028',
];

/** Valid image URLs (tabs and line ends inside are dropped by URL parsing, not by the upload) with the same text. */
const NASTY_URLS = [
  'http://127.0.0.1:9/a\\b.jpg',
  'http://127.0.0.1:9/tab\there.jpg',
  'http://127.0.0.1:9/line\nbreak.jpg',
  'http://127.0.0.1:9/x.jpg?q=\\N',
  'http://127.0.0.1:9/x.jpg?q=\\.&r=\\\\',
  'http://127.0.0.1:9/x.jpg?q="quoted"',
  'http://127.0.0.1:9/é/🙂.jpg',
];

/** How many requests, products and images the database holds. */
async function rowCounts(client: pg.Client): Promise<{ tasks: number; products: number; images: number }> {
  const { rows } = await client.query(
    `SELECT (SELECT COUNT(*) FROM tasks)::int AS tasks, (SELECT COUNT(*) FROM products)::int AS products,
            (SELECT COUNT(*) FROM images)::int AS images`,
  );
  return rows[0];
}

/**
 * Uploads are stored with COPY on PostgreSQL: what the client sent comes back exactly, and an upload that
 * is refused or whose process is killed leaves nothing, as on SQLite.
 */
describe('uploads stored on PostgreSQL', () => {
  let database: PostgresDatabase;
  let service: TestApp;
  let client: pg.Client;

  const counts = () => rowCounts(client);

  beforeAll(async () => {
    database = await PostgresDatabase.create();
    service = await startAppWithoutWorker({ DATABASE_URL: database.url });
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await service?.close();
    await database?.drop();
  });

  it('stores product names, cells and image URLs exactly as sent, whatever characters they hold', async () => {
    const rows = NASTY.map((text, index) => ({
      name: text,
      urls: [
        NASTY_URLS[index % NASTY_URLS.length],
        `http://127.0.0.1:9/${index}.jpg?t=${encodeURIComponent(text)}`,
      ],
      notes: `note: ${text}`,
    }));
    const quoted = (cell: string) => `"${cell.replaceAll('"', '""')}"`;
    const csv = [
      'S. No.,Product Name,Input Image Urls,Notes',
      ...rows.map((row, index) =>
        [String(index + 1), row.name, row.urls.join(','), row.notes].map(quoted).join(','),
      ),
      '',
    ].join('\r\n');

    const requestId = await upload(service.http, csv);

    const { body } = await service.http.get(`/requests/${requestId}/images?limit=1000`).expect(200);
    const images = body.images as Array<{ serial_number: string; product_name: string; input_url: string }>;
    expect(images.map((image) => [image.serial_number, image.product_name, image.input_url])).toEqual(
      rows.flatMap((row, index) => row.urls.map((url) => [String(index + 1), row.name.trim(), url])),
    );
    const products = await client.query<{ product_name: string; cells: string }>(
      'SELECT product_name, cells FROM products WHERE task_id = $1 ORDER BY row_number',
      [requestId],
    );
    expect(products.rows.map((row) => [row.product_name, JSON.parse(row.cells)])).toEqual(
      rows.map((row, index) => [
        row.name.trim(),
        [String(index + 1), row.name, row.urls.join(','), row.notes],
      ]),
    );
  });

  it('refuses a CSV holding a NUL byte and stores nothing', async () => {
    const before = await counts();
    const csv = Buffer.from(productCsv([{ name: 'nul\u0000name', urls: 'http://127.0.0.1:9/nul.jpg' }]));
    await postUpload(service.http, csv).expect(415);
    expect(await counts()).toEqual(before);
  });

  it('stores nothing of a CSV whose last row is broken, after batches of valid rows were stored', async () => {
    const before = await counts();
    const valid = Array.from({ length: 6_000 }, (_, n) => `http://127.0.0.1:9/late-${n}.jpg`);
    const csv = `${productCsv(valid)}6001,Broken,not-a-url\n`;
    const { body } = await postUpload(service.http, csv).expect(400);
    expect(body.errors).toEqual([expect.objectContaining({ row: 6_002, column: 'Input Image Urls' })]);
    expect(await counts()).toEqual(before);
  });

  it('stores nothing when the CSV is found broken while a batch of its rows is being written', async () => {
    const before = await counts();
    // Each batch's statements start late, as on a slow server: the parse reaches the broken last row
    // while the batch before it is still being written.
    const productWriter = service.app.get(ProductWriter);
    const writerFor = Reflect.get(ProductWriter.prototype, 'writerFor') as ProductWriter['writerFor'];
    const writes: Array<Promise<void>> = [];
    vi.spyOn(productWriter, 'writerFor').mockImplementationOnce((taskId) => {
      const writer = writerFor.call(productWriter, taskId);
      const slow = (...args: Parameters<TaskRowsWriter>) => {
        const write = new Promise((later) => setTimeout(later, 300)).then(() => writer(...args));
        writes.push(write);
        return write;
      };
      return Object.assign(slow, { queuedImages: () => writer.queuedImages() });
    });
    const valid = Array.from({ length: 3_000 }, (_, n) => `http://127.0.0.1:9/slow-${n}.jpg`);
    const csv = `${productCsv(valid)}3001,Broken,not-a-url\n`;
    await postUpload(service.http, csv).expect(400);
    expect(writes.length).toBeGreaterThan(1);
    await Promise.allSettled(writes); // every statement sent, inside the transaction or not
    expect(await counts()).toEqual(before);
  });
});

describe('an upload killed while its rows are stored on PostgreSQL', () => {
  let database: PostgresDatabase;

  beforeAll(async () => {
    requireBuild();
    database = await PostgresDatabase.create();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('leaves nothing visible, and the next start serves requests', async () => {
    const env = { DATABASE_URL: database.url, ALLOW_PRIVATE_URLS: 'true' };
    const server = new ServerProcess(env, await freePort());
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await server.start();
      const tag = randomUUID().slice(0, 8);
      const urls = Array.from({ length: 60_000 }, (_, n) => `http://127.0.0.1:9/${tag}/${n}.jpg`);
      const posting = postUpload(server.http, productCsv(urls)).then(
        () => undefined,
        () => undefined,
      );
      // The upload's transaction has written rows (it has a transaction id) and is storing more.
      await eventually(
        async () =>
          (
            await client.query(
              `SELECT 1 FROM pg_stat_activity
                WHERE datname = current_database() AND backend_xid IS NOT NULL AND query LIKE 'COPY %'`,
            )
          ).rowCount === 1,
        30_000,
      );
      await server.kill();
      await posting;
      const stored = () => rowCounts(client);
      expect(await stored()).toEqual({ tasks: 0, products: 0, images: 0 });

      await server.start();
      expect(await stored()).toEqual({ tasks: 0, products: 0, images: 0 });
      await postUpload(server.http, productCsv([`http://127.0.0.1:9/${tag}/after.jpg`])).expect(202);
      expect(await stored()).toEqual({ tasks: 1, products: 1, images: 1 });
    } finally {
      await client.end();
      await server.kill();
    }
  });
});
