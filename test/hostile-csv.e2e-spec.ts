import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES_DIR } from './helpers/fixture-server.js';
import { startAppWithoutWorker, storedCounts } from './helpers/hostile-app.js';
import { everyStoredFile } from './helpers/stored-files.js';
import { freePort, startTestApp, type TestApp } from './helpers/test-app.js';

// Every URL in these CSVs points at 127.0.0.1, on a port where nothing listens. The refusals store
// nothing to download; the accepted uploads and the fuzzing run on an app whose image worker never
// claims work (startAppWithoutWorker), so not even a mutated URL is ever fetched.

const HEADER = 'S. No.,Product Name,Input Image Urls';
const LIMITS = { MAX_URLS_PER_ROW: '3', MAX_ROWS: '2500', MAX_CSV_BYTES: String(512 * 1024) };

type Http = TestApp['http'];

interface Problem {
  row: number | null;
  column: string | null;
  message: string;
}

/** The refusal body every upload refusal shares. */
function expectRefusal(body: Record<string, any>, status: number): Problem[] {
  expect(body).toMatchObject({ statusCode: status, message: expect.any(String), errors: expect.any(Array) });
  expect(body.errors.length).toBeGreaterThan(0);
  expect(body.errors.length).toBeLessThanOrEqual(100);
  for (const problem of body.errors) {
    expect(Object.keys(problem).sort()).toEqual(['column', 'message', 'row']);
    expect(problem.row === null || Number.isInteger(problem.row)).toBe(true);
    expect(problem.column === null || typeof problem.column === 'string').toBe(true);
    expect(typeof problem.message).toBe('string');
  }
  return body.errors;
}

function post(
  http: Http,
  csv: string | Buffer,
  options: { filename?: string; contentType?: string; webhookUrl?: string } = {},
) {
  const upload = http.post('/upload');
  if (options.webhookUrl !== undefined) upload.field('webhook_url', options.webhookUrl);
  return upload.attach('file', Buffer.isBuffer(csv) ? csv : Buffer.from(csv), {
    filename: options.filename ?? 'products.csv',
    contentType: options.contentType ?? 'text/csv',
  });
}

describe('POST /upload refuses a CSV that cannot be used, and stores nothing', () => {
  let service: TestApp;
  let base: string;

  beforeAll(async () => {
    service = await startTestApp(LIMITS);
    base = `http://127.0.0.1:${await freePort()}`;
  });

  afterAll(async () => {
    await service?.close();
  });

  afterEach(async () => {
    // Not a request, a product, an image, a webhook or a file: the upload left no trace.
    expect(storedCounts(service)).toEqual({ tasks: 0, products: 0, images: 0, webhook_deliveries: 0 });
    expect(await everyStoredFile(service.config.storage.dir)).toEqual([]);
  });

  const row = (n: number, name: string, urls: string) => `${n},${name},${urls}`;
  const url = (name: string) => `${base}/images/${name}`;

  it('no file part at all', async () => {
    const { body } = await service.http.post('/upload').field('webhook_url', `${base}/hook`).expect(400);
    expect(expectRefusal(body, 400)).toEqual([{ row: null, column: 'file', message: 'no file part' }]);
    expect(body.message).toMatch(/multipart field "file"/);
    const { body: empty } = await service.http.post('/upload').expect(400);
    expectRefusal(empty, 400);
  });

  it('the file in another field', async () => {
    const { body } = await service.http
      .post('/upload')
      .attach('csv', Buffer.from(`${HEADER}\n${row(1, 'A', url('a.jpg'))}`), 'p.csv')
      .expect(400);
    expect(expectRefusal(body, 400)).toEqual([
      { row: null, column: 'csv', message: 'unexpected file field' },
    ]);
    expect(body.message).toMatch(/"file"/);
    const csv = Buffer.from(`${HEADER}\n${row(1, 'A', url('a.jpg'))}`);
    const { body: two } = await service.http
      .post('/upload')
      .attach('file', csv, 'a.csv')
      .attach('file', csv, 'b.csv')
      .expect(400);
    expect(expectRefusal(two, 400)).toEqual([{ row: null, column: 'file', message: 'more than one file' }]);
  });

  it('a multipart body cut short', async () => {
    const boundary = 'pixelmill-boundary';
    const { body } = await service.http
      .post('/upload')
      .set('Content-Type', `multipart/form-data; boundary=${boundary}`)
      .send(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.csv"\r\nContent-Type: text/csv\r\n\r\n${HEADER}\n1,A,`,
      )
      .expect(400);
    expect(expectRefusal(body, 400)[0].message).toMatch(/Unexpected end of form/i);
  });

  it.each([
    ['multipart/form-data without a boundary', 'multipart/form-data', 400],
    ['multipart/mixed', 'multipart/mixed; boundary=x', 415],
  ])('a form sent as %s', async (_name, contentType, status) => {
    const { body } = await service.http
      .post('/upload')
      .set('Content-Type', contentType)
      .send('--x\r\n\r\n--x--\r\n')
      .expect(status);
    expect(expectRefusal(body, status)[0].message).toMatch(/^the upload is not a usable multipart form: /);
  });

  it('an empty file', async () => {
    const { body } = await post(service.http, Buffer.alloc(0)).expect(400);
    expect(expectRefusal(body, 400)).toEqual([{ row: null, column: null, message: 'the file is empty' }]);
  });

  it('a file of blank lines', async () => {
    const { body } = await post(service.http, ' \r\n\r\n  \n').expect(400);
    expect(body.message).toBe('the file is empty');
  });

  it('a header with no rows', async () => {
    const { body } = await post(service.http, `${HEADER}\r\n\r\n`).expect(400);
    expectRefusal(body, 400);
    expect(body.message).toMatch(/header but no product rows/);
  });

  it.each([
    ['a missing column', 'S. No.,Product Name\n1,A\n', ['Input Image Urls']],
    [
      'misspelt columns',
      'Serial,Product Name,Input Image URL\n1,A,http://127.0.0.1:9/a.jpg\n',
      ['S. No.', 'Input Image Urls'],
    ],
    [
      'a header of data',
      '1,A,http://127.0.0.1:9/a.jpg\n2,B,http://127.0.0.1:9/b.jpg\n',
      ['S. No.', 'Product Name', 'Input Image Urls'],
    ],
  ])('%s: the message names the expected columns', async (_name, csv, missing) => {
    const { body } = await post(service.http, csv).expect(400);
    expect(body.message).toContain('"S. No." (or "Serial Number"), "Product Name", "Input Image Urls"');
    expect(expectRefusal(body, 400).map(({ row, column }) => ({ row, column }))).toEqual(
      missing.map((column) => ({ row: 1, column })),
    );
  });

  it('a repeated column', async () => {
    const { body } = await post(service.http, `${HEADER},product name\n1,A,${url('a.jpg')},B\n`).expect(400);
    expect(expectRefusal(body, 400)).toEqual([
      { row: 1, column: 'product name', message: 'duplicate column' },
    ]);
  });

  it('a PNG renamed .csv (sent as text/csv): 415, the bytes decide', async () => {
    const png = readFileSync(join(FIXTURES_DIR, 'alpha.png'));
    const { body } = await post(service.http, png, { filename: 'alpha.csv' }).expect(415);
    expect(expectRefusal(body, 415)).toEqual([
      { row: null, column: null, message: expect.stringMatching(/binary data/) },
    ]);
  });

  it.each([
    [
      'UTF-16 text',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${HEADER}\n`, 'utf16le')]),
      /UTF-16/,
    ],
    ['Latin-1 text', Buffer.from(`${HEADER}\n1,Caf\u00e9,http://127.0.0.1:9/a.jpg\n`, 'latin1'), /not UTF-8/],
  ])('%s: 415 with what to do', async (_name, bytes, message) => {
    const { body } = await post(service.http, bytes).expect(415);
    expect(expectRefusal(body, 415)[0].message).toMatch(message);
    expect(body.message).toMatch(/CSV UTF-8/);
  });

  it.each([
    ['image/png', 'photo.png'],
    ['application/json', 'products.csv'],
    ['text/plain', 'products.txt'],
    ['application/octet-stream', 'products.xlsx'],
  ])('a file part of type %s named %s: 415', async (contentType, filename) => {
    const { body } = await post(service.http, `${HEADER}\n${row(1, 'A', url('a.jpg'))}\n`, {
      contentType,
      filename,
    }).expect(415);
    expect(expectRefusal(body, 415)).toEqual([
      { row: null, column: 'file', message: 'not a CSV content type' },
    ]);
  });

  it('an unbalanced quote', async () => {
    const { body } = await post(
      service.http,
      `${HEADER}\n1,"Shoe,${url('a.jpg')}\n2,Hat,${url('b.jpg')}\n`,
    ).expect(400);
    expect(expectRefusal(body, 400)[0].message).toMatch(/not valid CSV/);
  });

  it('rows without a product name or without URLs, with spreadsheet row numbers', async () => {
    const csv = [
      HEADER,
      row(1, 'A', url('a.jpg')),
      row(2, '', url('b.jpg')),
      row(3, '"  "', url('c.jpg')),
      `4,"two\nlines",`,
      row(5, 'E', '" , ,"'),
      '',
    ].join('\n');
    const { body } = await post(service.http, csv).expect(400);
    expect(expectRefusal(body, 400)).toEqual([
      { row: 3, column: 'Product Name', message: 'product name is empty' },
      { row: 4, column: 'Product Name', message: 'product name is empty' },
      { row: 5, column: 'Input Image Urls', message: 'no image URL' },
      { row: 6, column: 'Input Image Urls', message: 'no image URL' },
    ]);
    expect(body.message).toBe('the file has 4 problem(s); nothing was stored');
  });

  it('URLs that are not absolute http(s) URLs with a host', async () => {
    const bad = [
      'ftp://127.0.0.1/a.jpg',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'data:image/png;base64,iVBORw0KGgo=',
      'just words',
      '/relative/a.jpg',
      '//127.0.0.1/a.jpg',
      'http://',
      'http:127.0.0.1/a.jpg',
      'https://exa mple.com/a.jpg',
      `http://127.0.0.1/${'a'.repeat(9000)}`,
    ];
    // The data: URL holds a comma; quoted with the others it would be split there, so it stands alone.
    const csv = [HEADER, ...bad.map((text, i) => `${i + 1},P${i + 1},"${url('ok.jpg')}, ${text}"`)].join(
      '\n',
    );
    const { body } = await post(service.http, csv).expect(400);
    const problems = expectRefusal(body, 400);
    expect(problems.map((p) => p.row)).toEqual(
      bad.map((_, i) => i + 2).flatMap((r, i) => (bad[i].startsWith('data:') ? [r, r] : [r])),
    );
    expect(problems.every((p) => p.column === 'Input Image Urls')).toBe(true);
    for (const text of [
      'ftp://',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'data:image/png;base64',
      'just words',
      '/relative/a.jpg',
      '//127.0.0.1/a.jpg',
      'http:127.0.0.1/a.jpg',
      'exa mple',
    ]) {
      expect(
        problems.some((p) => p.message.includes(text)),
        text,
      ).toBe(true);
    }
    expect(problems.some((p) => /longer than 8192 characters/.test(p.message))).toBe(true);
  });

  it('more than MAX_URLS_PER_ROW URLs in a row', async () => {
    const four = ['a', 'b', 'c', 'd'].map((n) => url(`${n}.jpg`)).join(',');
    const { body } = await post(
      service.http,
      `${HEADER}\n${row(1, 'A', url('a.jpg'))}\n1,B,"${four}"\n`,
    ).expect(400);
    expect(expectRefusal(body, 400)).toEqual([
      {
        row: 3,
        column: 'Input Image Urls',
        message: '4 URLs, more than the 3 allowed per row (MAX_URLS_PER_ROW)',
      },
    ]);
  });

  it('more than MAX_ROWS rows: 413, even after the first batch of rows was written (rolled back)', async () => {
    const rows = Array.from({ length: 2501 }, (_, i) => row(i + 1, `P${i + 1}`, url(`${i}.jpg`)));
    const { body } = await post(service.http, [HEADER, ...rows].join('\n')).expect(413);
    expect(expectRefusal(body, 413)).toEqual([{ row: 2502, column: null, message: 'more than 2500 rows' }]);
    expect(body.message).toMatch(/MAX_ROWS/);
  });

  it('a bad row after the first stored batch rolls the whole request back', async () => {
    const rows = Array.from({ length: 2300 }, (_, i) =>
      row(i + 1, i === 2200 ? '' : `P${i + 1}`, url(`${i}.jpg`)),
    );
    const { body } = await post(service.http, [HEADER, ...rows].join('\n')).expect(400);
    expect(expectRefusal(body, 400)).toEqual([
      { row: 2202, column: 'Product Name', message: 'product name is empty' },
    ]);
  });

  it('lists at most 100 problems', async () => {
    const rows = Array.from({ length: 150 }, (_, i) => row(i + 1, '', url(`${i}.jpg`)));
    const { body } = await post(service.http, [HEADER, ...rows].join('\n')).expect(400);
    expect(expectRefusal(body, 400)).toHaveLength(100);
    expect(body.message).toBe('the file has at least 100 problem(s); nothing was stored');
  });

  it('a file over MAX_CSV_BYTES: 413 naming the limit', async () => {
    const rows = Array.from({ length: 16_000 }, (_, i) => row(i + 1, `P${i + 1}`, url(`${i}.jpg`)));
    const csv = [HEADER, ...rows].join('\n');
    expect(csv.length).toBeGreaterThan(512 * 1024);
    const { body } = await post(service.http, csv).expect(413);
    expect(expectRefusal(body, 413)).toEqual([
      { row: null, column: 'file', message: 'larger than 512 KiB (MAX_CSV_BYTES)' },
    ]);
    expect(body.message).toBe('the file is larger than 512 KiB (MAX_CSV_BYTES); nothing was stored');
  });

  it('a file over MAX_CSV_BYTES is refused at the limit while it streams in, not checked after the whole body is read', async () => {
    // The form is cut short after the oversized file: a server that read (and buffered) the whole
    // body before checking the size would trip over the broken form first and answer 400.
    const boundary = 'pixelmill-stream';
    const rows = `${'9,P,http://127.0.0.1:9/a.jpg\n'.repeat(Math.ceil((600 * 1024) / 28))}`;
    const { body } = await service.http
      .post('/upload')
      .set('Content-Type', `multipart/form-data; boundary=${boundary}`)
      .send(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n${HEADER}\n${rows}`,
      )
      .expect(413);
    expect(expectRefusal(body, 413)).toEqual([
      { row: null, column: 'file', message: 'larger than 512 KiB (MAX_CSV_BYTES)' },
    ]);
  });

  it.each([
    ['an ftp URL', 'ftp://127.0.0.1/hook'],
    ['words', 'call me maybe'],
    ['javascript:', 'javascript:alert(1)'],
    ['no host', 'http://'],
    ['no //', 'http:127.0.0.1/hook'],
  ])('an invalid webhook_url (%s): the same shape, column webhook_url', async (_name, webhookUrl) => {
    const { body } = await post(service.http, `${HEADER}\n${row(1, 'A', url('a.jpg'))}\n`, {
      webhookUrl,
    }).expect(400);
    expect(expectRefusal(body, 400)).toEqual([
      { row: null, column: 'webhook_url', message: expect.stringContaining('not an absolute http(s) URL') },
    ]);
    expect(body.message).toMatch(/^webhook_url cannot be used/);
  });

  it('webhook_url sent twice', async () => {
    const { body } = await service.http
      .post('/upload')
      .field('webhook_url', `${base}/a`)
      .field('webhook_url', `${base}/b`)
      .attach('file', Buffer.from(`${HEADER}\n${row(1, 'A', url('a.jpg'))}\n`), 'p.csv')
      .expect(400);
    expect(expectRefusal(body, 400)).toEqual([
      { row: null, column: 'webhook_url', message: 'not a single text value' },
    ]);
  });
});

describe('POST /upload accepts messy but valid CSVs', () => {
  let service: TestApp;
  let base: string;

  beforeAll(async () => {
    service = await startAppWithoutWorker(LIMITS);
    base = `http://127.0.0.1:${await freePort()}`;
  });

  afterAll(async () => {
    await service?.close();
  });

  async function accepted(csv: string | Buffer, options: Parameters<typeof post>[2] = {}) {
    const { body } = await post(service.http, csv, options).expect(202);
    const { body: page } = await service.http.get(`/requests/${body.request_id}/images`).expect(200);
    return page.images.map((image: any) => ({
      serial: image.serial_number,
      name: image.product_name,
      url: image.input_url,
    }));
  }

  const expected = () => [
    { serial: '1', name: 'Shoe, red', url: `${base}/a.jpg` },
    { serial: '1', name: 'Shoe, red', url: `${base}/b.jpg` },
    { serial: '2', name: 'Hat', url: `${base}/c.jpg` },
  ];

  it.each([
    ['plain', (b: string) => `${HEADER}\n1,"Shoe, red","${b}/a.jpg,${b}/b.jpg"\n2,Hat,${b}/c.jpg\n`],
    ['a BOM', (b: string) => `\uFEFF${HEADER}\n1,"Shoe, red","${b}/a.jpg,${b}/b.jpg"\n2,Hat,${b}/c.jpg`],
    ['CRLF', (b: string) => `${HEADER}\r\n1,"Shoe, red","${b}/a.jpg,${b}/b.jpg"\r\n2,Hat,${b}/c.jpg\r\n`],
    [
      'Serial Number',
      (b: string) =>
        `Serial Number,Product Name,Input Image Urls\n1,"Shoe, red","${b}/a.jpg,${b}/b.jpg"\n2,Hat,${b}/c.jpg\n`,
    ],
    [
      'spaces around headers, names and URLs',
      (b: string) =>
        ` s. no. ,  PRODUCT   NAME , Input Image Urls \n 1 ,"  Shoe, red  ","  ${b}/a.jpg ,  ${b}/b.jpg  "\n2 , Hat ,  ${b}/c.jpg  \n`,
    ],
    [
      'quoted cells with commas and newlines',
      (b: string) => `${HEADER}\n1,"Shoe, red","${b}/a.jpg,\n${b}/b.jpg\n"\n2,"Hat",${b}/c.jpg\n`,
    ],
    [
      'empty trailing lines',
      (b: string) => `${HEADER}\n1,"Shoe, red","${b}/a.jpg,${b}/b.jpg"\n2,Hat,${b}/c.jpg\n\n\n,,\n\r\n`,
    ],
    [
      'all of it at once',
      (b: string) =>
        `\uFEFF Serial number ,Input Image Urls,Product Name\r\n1," ${b}/a.jpg,\r\n ${b}/b.jpg ","  Shoe, red "\r\n2, ${b}/c.jpg ,Hat\r\n\r\n\r\n`,
    ],
  ])('%s', async (_name, make) => {
    expect(await accepted(make(base))).toEqual(expected());
  });

  it.each([
    ['text/csv', 'products.csv'],
    ['application/csv', 'products.txt'],
    ['application/vnd.ms-excel', 'products.csv'],
    ['application/octet-stream', 'products.csv'],
    ['text/plain', 'products.csv'],
    ['text/plain', 'PRODUCTS.CSV'],
    ['text/csv; charset=utf-8', 'products'],
  ])('content type %s named %s', async (contentType, filename) => {
    const csv = `${HEADER}\n1,"Shoe, red","${base}/a.jpg,${base}/b.jpg"\n2,Hat,${base}/c.jpg\n`;
    expect(await accepted(csv, { contentType, filename })).toEqual(expected());
  });

  it('an empty webhook_url field means no webhook', async () => {
    const { body } = await post(service.http, `${HEADER}\n1,A,${base}/a.jpg\n`, { webhookUrl: '  ' }).expect(
      202,
    );
    expect(body.total_images).toBe(1);
  });

  it('exactly MAX_ROWS rows and MAX_URLS_PER_ROW URLs', async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => `${i + 1},P${i + 1},${base}/${i}.jpg`);
    rows[1234] = `1235,P1235,"${base}/a.jpg,${base}/b.jpg,${base}/c.jpg"`;
    const { body } = await post(service.http, [HEADER, ...rows].join('\n')).expect(202);
    expect(body.total_images).toBe(2502);
  });
});

describe('POST /upload under fuzzing: random and mutated CSVs', () => {
  let service: TestApp;
  let valid: Buffer;

  beforeAll(async () => {
    service = await startAppWithoutWorker(LIMITS);
    const base = `http://127.0.0.1:${await freePort()}`;
    valid = Buffer.from(
      [
        '\uFEFFS. No.,Product Name,Input Image Urls,Brand',
        `1,"Shoe, red","${base}/a.jpg,${base}/b.png",Acme`,
        `2,Hat,${base}/c.webp,`,
        `3,"Scarf ""wool""","\n${base}/d.jpg\n",Acme`,
        '',
      ].join('\r\n'),
    );
  });

  afterAll(async () => {
    await service?.close();
  });

  type Mutation =
    | { kind: 'truncate'; at: number }
    | { kind: 'insert'; at: number; bytes: Uint8Array }
    | { kind: 'delete'; at: number; length: number }
    | { kind: 'huge'; at: number; size: number; fill: string };

  const insertion = fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .constantFrom('"', ',', '\n', '\r\n', '\r', '\0', '\uFEFF', '""', '\t', '=', ' ', 'http://', '\u00e9')
        .map((text) => new Uint8Array(Buffer.from(text))),
    },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 8 }) },
  );
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: insertion }),
    fc.record({
      kind: fc.constant('delete' as const),
      at: fc.nat(),
      length: fc.integer({ min: 1, max: 30 }),
    }),
    fc.record({
      kind: fc.constant('huge' as const),
      at: fc.nat(),
      size: fc.integer({ min: 10_000, max: 400_000 }),
      fill: fc.constantFrom('a', '"', ',', '\n', 'é'),
    }),
  );

  function mutate(input: Buffer, mutations: Mutation[]): Buffer {
    let bytes = input;
    for (const m of mutations) {
      const at = m.at % (bytes.length + 1);
      if (m.kind === 'truncate') bytes = bytes.subarray(0, at);
      else if (m.kind === 'insert')
        bytes = Buffer.concat([bytes.subarray(0, at), m.bytes, bytes.subarray(at)]);
      else if (m.kind === 'delete')
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + m.length)]);
      else
        bytes = Buffer.concat([
          bytes.subarray(0, at),
          Buffer.from(m.fill.repeat(m.size)),
          bytes.subarray(at),
        ]);
    }
    return bytes;
  }

  const csvLike = fc.string({
    unit: fc.constantFrom(
      'a',
      '1',
      ',',
      '"',
      '\n',
      '\r',
      ' ',
      'S. No.',
      'Product Name',
      'Input Image Urls',
      'http://127.0.0.1:9/x.jpg',
      '\0',
      '\uFEFF',
    ),
    maxLength: 200,
  });
  const upload = fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .array(mutation, { minLength: 0, maxLength: 3 })
        .map((mutations) => ({ source: 'mutated', mutations })),
    },
    {
      weight: 2,
      arbitrary: fc.uint8Array({ maxLength: 2_000 }).map((bytes) => ({ source: 'random bytes', bytes })),
    },
    { weight: 2, arbitrary: csvLike.map((text) => ({ source: 'random CSV-like text', text })) },
  );
  const part = fc.constantFrom(
    { filename: 'p.csv', contentType: 'text/csv' },
    { filename: 'p.csv', contentType: 'text/csv' },
    { filename: 'p.csv', contentType: 'application/vnd.ms-excel' },
    { filename: 'p.csv', contentType: 'application/octet-stream' },
    { filename: 'p.txt', contentType: 'text/plain' },
  );

  it('never answers 5xx, and stores rows only when it answers 2xx', async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(upload, part, async (input, options) => {
        const bytes =
          'mutations' in input
            ? mutate(valid, input.mutations as Mutation[])
            : 'bytes' in input
              ? Buffer.from(input.bytes as Uint8Array)
              : Buffer.from(input.text as string);
        const before = storedCounts(service);
        const { status, body } = await post(service.http, bytes, options);
        const after = storedCounts(service);
        seen.set(status, (seen.get(status) ?? 0) + 1);
        expect([202, 400, 413, 415]).toContain(status);
        if (status === 202) {
          expect(after.tasks).toBe(before.tasks + 1);
          expect(after.products).toBeGreaterThan(before.products);
          expect(after.images - before.images).toBe(body.total_images);
        } else {
          expectRefusal(body, status);
          expect(after).toEqual(before);
        }
      }),
      { numRuns: 150 },
    );
    console.log(`fuzzed uploads by status: ${JSON.stringify(Object.fromEntries(seen))}`);
    // The mutations keep the file valid often enough for the 2xx branch to be exercised too.
    expect(seen.get(202) ?? 0).toBeGreaterThan(0);
    expect(seen.get(400) ?? 0).toBeGreaterThan(0);
  });
});
