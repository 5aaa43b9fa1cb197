import { Logger } from '@nestjs/common';
import { stat } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { parseCsv } from './helpers/csv.js';
import { queryDatabase } from './helpers/database-counts.js';
import { startAppWithoutWorker, storedCounts } from './helpers/hostile-app.js';
import { uploadFilesUnder } from './helpers/left-upload-files.js';
import { eventually, freePort, startTestApp, type TestApp, waitForCompletion } from './helpers/test-app.js';

// Hostile uploads: the shape of the CSV (huge cells, rows, headers), and the way it is sent (many at
// once, stalled, aborted). Every URL points at 127.0.0.1 on a port where nothing listens.

const HEADER = 'S. No.,Product Name,Input Image Urls';
const MiB = 1024 * 1024;

function post(service: TestApp, csv: string | Buffer) {
  return service.http.post('/upload').attach('file', Buffer.isBuffer(csv) ? csv : Buffer.from(csv), {
    filename: 'products.csv',
    contentType: 'text/csv',
  });
}

/** The refusal body every upload refusal shares, and its problems. */
function refusal(body: Record<string, any>, status: number) {
  expect(body).toMatchObject({ statusCode: status, message: expect.any(String) });
  expect(body.errors.length).toBeGreaterThan(0);
  return body.errors as Array<{ row: number | null; column: string | null; message: string }>;
}

/** The upload files under DATA_DIR/uploads (in this process's folder), with their sizes. */
async function uploadFiles(service: TestApp): Promise<Array<{ name: string; size: number }>> {
  const uploads = join(service.dataDir, 'uploads');
  return Promise.all(
    uploadFilesUnder(service.dataDir).map(async (name) => ({
      name,
      size: await stat(join(uploads, name)).then(
        (s) => s.size,
        () => 0,
      ),
    })),
  );
}

describe('POST /upload: a CSV of hostile shape is refused at its limit, and stores nothing', () => {
  let service: TestApp;
  let url: string;

  beforeAll(async () => {
    service = await startAppWithoutWorker();
    url = `http://127.0.0.1:${await freePort()}/a.jpg`;
  });

  afterAll(async () => {
    await service?.close();
  });

  afterEach(async () => {
    expect(storedCounts(service)).toEqual({ tasks: 0, products: 0, images: 0, webhook_deliveries: 0 });
    // The temporary file of every upload is gone once it is answered.
    await eventually(async () => (await uploadFiles(service)).length === 0);
  });

  it.each([
    ['one cell of 4 MiB', () => `${HEADER}\n1,${'a'.repeat(4 * MiB)},${url}\n`, 2, /MAX_CELL_BYTES/],
    ['a 30 MiB file without a line end', () => 'a'.repeat(30 * MiB), 1, /MAX_CELL_BYTES/],
    [
      'a 2 MiB row of small cells',
      () => `${HEADER}\n1,A,${url},${`${'b'.repeat(60_000)},`.repeat(35)}\n`,
      2,
      /MAX_RECORD_BYTES/,
    ],
    [
      'a header of 100,000 columns',
      () => `${HEADER},${Array.from({ length: 100_000 }, (_, i) => `c${i}`).join(',')}\n1,A,${url}\n`,
      1,
      /MAX_COLUMNS/,
    ],
    ['a row of 201 columns', () => `${HEADER}\n1,A,${url}${','.repeat(198)}\n`, 2, /MAX_COLUMNS/],
  ])('%s: 413 naming the row and the limit', async (_name, make, row, limit) => {
    const { body } = await post(service, make()).expect(413);
    const problems = refusal(body, 413);
    expect(problems).toEqual([
      { row, column: expect.toBeOneOf([null, expect.any(String)]), message: expect.any(String) },
    ]);
    expect(body.message).toMatch(limit);
    expect(JSON.stringify(body).length).toBeLessThan(1000);
  });

  it('answers a status call while a hostile upload is being read and refused', async () => {
    const hostile = post(service, `${HEADER}\n1,"${'x'.repeat(40 * MiB)}`).then((response) => response);
    const { body } = await service.http.get('/status/00000000-0000-4000-8000-000000000000').expect(404);
    expect(body.statusCode).toBe(404);
    const refused = await hostile;
    expect(refused.status).toBe(413);
  });

  it('an unbalanced quote early in a 2 MiB file: the answer quotes a short excerpt, not the file', async () => {
    const rows = Array.from({ length: 55_000 }, (_, i) => `${i},P${i},${url}`).join('\n');
    const csv = `${HEADER}\n1,"Shoe,${url}\n${rows}\n`;
    expect(csv.length).toBeGreaterThan(2 * MiB);
    const response = await post(service, csv);
    expect([400, 413]).toContain(response.status);
    refusal(response.body, response.status);
    expect(response.text.length).toBeLessThan(1000);
    const small = await post(service, `${HEADER}\n1,"Shoe,${url}\n2,Hat,${url}\n`).expect(400);
    expect(refusal(small.body, 400)).toEqual([
      { row: 2, column: null, message: expect.stringMatching(/unbalanced quote/) },
    ]);
    expect(small.text.length).toBeLessThan(500);
  });

  it('a header naming both "S. No." and "Serial Number": 400', async () => {
    const { body } = await post(
      service,
      `S. No.,Product Name,Serial Number,Input Image Urls\n1,A,1,${url}\n`,
    ).expect(400);
    expect(refusal(body, 400)).toEqual([
      { row: 1, column: 'S. No.', message: 'both "S. No." and "Serial Number"' },
    ]);
  });
});

describe('POST /upload: what a wide CSV stores grows with the upload, not with the header', () => {
  let service: TestApp;

  beforeAll(async () => {
    // MAX_COLUMNS raised: the storage must stay proportional when an operator allows wide files.
    service = await startTestApp({ MAX_COLUMNS: '30000', DOWNLOAD_RETRIES: '0' });
  });

  afterAll(async () => {
    await service?.close();
  });

  it('keeps the rows of a 20,000-column CSV as they came, and the export pads them back', async () => {
    const url = `http://127.0.0.1:${await freePort()}/a.jpg`;
    const extra = Array.from({ length: 20_000 }, (_, i) => `Extra ${i}`);
    const rows = Array.from(
      { length: 300 },
      (_, i) => `${i + 1},P${i + 1},${url}?${i}${i === 7 ? ',,x' : ''}`,
    );
    const csv = `${[HEADER, ...extra].join(',')}\n${rows.join('\n')}\n`;
    const { body } = await post(service, csv).expect(202);

    const [{ stored }] = queryDatabase<{ stored: number }>(
      service.dataDir,
      'SELECT SUM(LENGTH(cells)) AS stored FROM products',
    );
    // Padded to the header, these rows took 300 × 20,003 cells (~24 MB of JSON); as given, ~20 KB.
    expect(stored).toBeLessThan(4 * csv.length);
    expect(stored).toBeLessThan(100_000);

    await waitForCompletion(service.http, body.request_id);
    const exported = await service.http.get(`/export-csv/${body.request_id}`).expect(200);
    const table = await parseCsv(exported.text);
    expect(table).toHaveLength(301);
    for (const row of table) expect(row).toHaveLength(20_005);
    expect(table[8].slice(0, 6)).toEqual(['8', 'P8', `${url}?7`, '', 'x', '']);
  });
});

/** A raw client that sends the head of a multipart upload of `bytes` file bytes, then goes silent. */
function stalledUpload(port: number, payload: Buffer): { socket: Socket; answer: Promise<string> } {
  const boundary = 'pixelmill-stall';
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.csv"\r\nContent-Type: text/csv\r\n\r\n`;
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.write(
    `POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\n` +
      `Content-Length: ${head.length + payload.length + 100 * MiB}\r\n\r\n${head}`,
  );
  socket.write(payload);
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  const answer = new Promise<string>((done) => socket.on('close', () => done(received)));
  return { socket, answer };
}

describe('POST /upload: uploads held open cost disk, not memory, and are ended', () => {
  let service: TestApp;
  const payload = Buffer.from(`${HEADER}\n${'1,P,http://127.0.0.1:9/a.jpg\n'.repeat((30 * MiB) / 28)}`);

  beforeAll(async () => {
    // Long enough for ten 30 MiB bodies to land on disk on a loaded machine before the timeout ends them.
    service = await startAppWithoutWorker({ MAX_CONCURRENT_UPLOADS: '10', UPLOAD_TIMEOUT_MS: '15000' });
  });

  afterAll(async () => {
    await service?.close();
  });

  it('ten clients that send 30 MiB and stall add far less than their 300 MiB, get 408, and leave no file', async () => {
    global.gc?.();
    const before = process.memoryUsage().rss;
    const clients = Array.from({ length: 10 }, () => stalledUpload(service.config.server.port, payload));
    // Every body is on disk, under DATA_DIR/uploads, while its client stalls.
    await eventually(async () => {
      const files = await uploadFiles(service);
      return files.length === 10 && files.every((file) => file.size >= payload.length);
    }, 60_000);
    const grownMiB = (process.memoryUsage().rss - before) / MiB;
    console.log(`ten stalled 30 MiB uploads: RSS grew ${grownMiB.toFixed(0)} MiB`);
    expect(grownMiB).toBeLessThan(150);

    const answers = await Promise.all(clients.map((client) => client.answer));
    for (const answer of answers) {
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(answer).toMatch(/UPLOAD_TIMEOUT_MS/);
    }
    await eventually(async () => (await uploadFiles(service)).length === 0);
    expect(storedCounts(service)).toEqual({ tasks: 0, products: 0, images: 0, webhook_deliveries: 0 });
  });
});

describe('POST /upload: at most MAX_CONCURRENT_UPLOADS at once; a client that leaves is one warning', () => {
  let service: TestApp;
  const small = `${HEADER}\n1,A,http://127.0.0.1:9/a.jpg\n`;

  beforeAll(async () => {
    service = await startAppWithoutWorker({ MAX_CONCURRENT_UPLOADS: '2' });
  });

  afterAll(async () => {
    await service?.close();
    vi.restoreAllMocks();
  });

  it('answers 503 with Retry-After beyond the limit, and lets uploads in again once a slot is free', async () => {
    const payload = Buffer.from(`${HEADER}\n`);
    const stalled = [
      stalledUpload(service.config.server.port, payload),
      stalledUpload(service.config.server.port, payload),
    ];
    await eventually(async () => (await uploadFiles(service)).length === 2);

    const refused = await post(service, small).expect(503);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(refusal(refused.body, 503)[0]).toEqual({
      row: null,
      column: 'file',
      message: 'too many uploads at once',
    });
    expect(refused.body.message).toMatch(/MAX_CONCURRENT_UPLOADS/);

    const warn = vi.spyOn(Logger.prototype, 'warn');
    const error = vi.spyOn(Logger.prototype, 'error');
    for (const client of stalled) client.socket.destroy();
    await eventually(async () => (await uploadFiles(service)).length === 0);
    // A client that goes away mid-upload is an everyday event: one warning line each, no error, no stack.
    await eventually(
      () => warn.mock.calls.filter(([message]) => /ended by the client/.test(String(message))).length >= 2,
    );
    const lines = warn.mock.calls
      .map(([message]) => String(message))
      .filter((m) => /ended by the client/.test(m));
    for (const line of lines) expect(line).not.toMatch(/\n/);
    expect(error).not.toHaveBeenCalled();

    await eventually(async () => (await post(service, small)).status === 202);
  });
});

describe('SQLite: the write-ahead log is checkpointed by a worker thread, not after the commit', () => {
  let service: TestApp;

  beforeAll(async () => {
    service = await startAppWithoutWorker();
  });

  afterAll(async () => {
    await service?.close();
  });

  it('copies an accepted upload into the database file while the service runs', async () => {
    const databaseFile = join(service.dataDir, 'pixelmill.sqlite');
    const before = (await stat(databaseFile)).size;
    const rows = Array.from({ length: 5000 }, (_, i) => `${i + 1},P${i + 1},http://127.0.0.1:9/${i}.jpg`);
    await post(service, [HEADER, ...rows].join('\n')).expect(202);
    // The main connection's automatic checkpoint is off: only the checkpointer moves pages out of the WAL.
    await eventually(async () => (await stat(databaseFile)).size > before + 500_000, 20_000);
  });
});
