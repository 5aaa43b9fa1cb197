import { CsvValidationError } from './csv-validation.error.js';
import { MAX_URL_LENGTH, parseProductCsv, splitUrls, urlProblem } from './csv-parser.js';

const limits = { maxRows: 1000, maxUrlsPerRow: 3, maxColumns: 10, maxCellBytes: 1024, maxRecordBytes: 4096 };
const header = 'S. No.,Product Name,Input Image Urls';

async function problemsOf(csv: string | Buffer) {
  try {
    await parseProductCsv(Buffer.isBuffer(csv) ? csv : Buffer.from(csv), limits);
  } catch (error) {
    expect(error).toBeInstanceOf(CsvValidationError);
    return error as CsvValidationError;
  }
  throw new Error('expected the CSV to be refused');
}

describe('parseProductCsv', () => {
  it('parses the seed format, keeping row order and every URL', async () => {
    const csv = `${header}\n1,SKU1,"https://a.test/1.jpg,https://a.test/2.jpg"\n2,SKU2,https://a.test/3.jpg\n`;
    const parsed = await parseProductCsv(Buffer.from(csv), limits);
    expect(parsed.headers).toEqual(['S. No.', 'Product Name', 'Input Image Urls']);
    expect(parsed.totalImages).toBe(3);
    expect(parsed.rows).toEqual([
      {
        rowNumber: 2,
        serialNumber: '1',
        productName: 'SKU1',
        urls: ['https://a.test/1.jpg', 'https://a.test/2.jpg'],
        cells: ['1', 'SKU1', 'https://a.test/1.jpg,https://a.test/2.jpg'],
      },
      {
        rowNumber: 3,
        serialNumber: '2',
        productName: 'SKU2',
        urls: ['https://a.test/3.jpg'],
        cells: ['2', 'SKU2', 'https://a.test/3.jpg'],
      },
    ]);
  });

  it('accepts a BOM, CRLF, other column order and case, extra columns, spaces, quoted newlines and blank trailing lines', async () => {
    const csv = `\uFEFF Input image URLS ,Brand, serial number ,PRODUCT NAME\r\n" https://a.test/1.jpg ,\r\n https://a.test/2.jpg ",Acme,7,"  Shoe, red  "\r\n\r\n\r\n`;
    const parsed = await parseProductCsv(Buffer.from(csv), limits);
    expect(parsed.headers).toEqual(['Input image URLS', 'Brand', 'serial number', 'PRODUCT NAME']);
    expect(parsed.rows).toHaveLength(1);
    expect(parsed.rows[0]).toMatchObject({ rowNumber: 2, serialNumber: '7', productName: 'Shoe, red' });
    expect(parsed.rows[0].urls).toEqual(['https://a.test/1.jpg', 'https://a.test/2.jpg']);
  });

  it.each([
    ['https://a.test/x.jpg, https://b.test/y.png', ['https://a.test/x.jpg', 'https://b.test/y.png']],
    ['\n https://a.test/x.jpg \n,\n', ['https://a.test/x.jpg']],
    ['', []],
  ])('splits %j into URLs', (cell, urls) => {
    expect(splitUrls(cell)).toEqual(urls);
  });

  it.each([
    ['an empty file', '', /empty/],
    ['a header with no rows', `${header}\n`, /no product rows/],
    ['a missing column', 'S. No.,Product Name\n1,a\n', /Input Image Urls/],
    [
      'binary bytes',
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]),
      /binary|UTF-8/,
    ],
  ])('refuses %s', async (_name, csv, message) => {
    const error = await problemsOf(csv);
    expect(error.message).toMatch(message);
  });

  it.each([
    [
      'PNG bytes',
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]),
      /binary data/,
    ],
    [
      'UTF-16 (Excel "Unicode Text")',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${header}\n`, 'utf16le')]),
      /UTF-16/,
    ],
    ['Latin-1 text', Buffer.from(`${header}\n1,Caf\u00e9,https://a.test/1.jpg\n`, 'latin1'), /not UTF-8/],
  ])('refuses %s as not CSV text with 415, whatever the declared type', async (_name, bytes, message) => {
    const error = await problemsOf(bytes);
    expect(error.kind).toBe('unsupported_media');
    expect(error.message).toMatch(message);
    expect(error.problems).toEqual([{ row: null, column: null, message: error.message }]);
  });

  it('always lists at least one problem, file-wide ones with row null', async () => {
    expect((await problemsOf('')).problems).toEqual([
      { row: null, column: null, message: 'the file is empty' },
    ]);
    expect((await problemsOf(`${header}\n\n`)).problems).toEqual([
      { row: null, column: null, message: 'no product rows after the header' },
    ]);
  });

  it('numbers the header row as the spreadsheet does when blank lines come first', async () => {
    const error = await problemsOf('\n\nS. No.,Name,Input Image Urls\n1,a,https://a.test/1.jpg\n');
    expect(error.problems).toEqual([
      { row: 3, column: 'Product Name', message: expect.stringContaining('"Product Name"') },
    ]);
  });

  it.each([
    ['https://a.test/x.jpg', undefined],
    ['HTTP://A.TEST/x.jpg', undefined],
    ['http://127.0.0.1:8080/x.jpg?a=1,2', undefined],
    ['http:a.test/x.jpg', 'not an absolute'],
    ['http:/a.test/x.jpg', 'not an absolute'],
    ['http:\\\\a.test\\x.jpg', 'not an absolute'],
    ['//a.test/x.jpg', 'not an absolute'],
    ['https://', 'not an absolute'],
    ['http:///', 'not an absolute'],
    ['http://:80/x.jpg', 'not an absolute'],
    ['http://a b/x.jpg', 'not an absolute'],
    ['https://bücher.test/x.jpg', undefined],
    ['https://例え.テスト/x.jpg', undefined],
    ['https://\u00a0/x.jpg', 'not an absolute'],
    ['ftp://a.test/x.jpg', 'not an absolute'],
    ['javascript:alert(1)', 'not an absolute'],
    [`https://a.test/${'x'.repeat(MAX_URL_LENGTH)}`, 'longer than 8192'],
  ])('urlProblem(%j)', (text, problem) => {
    if (problem === undefined) expect(urlProblem(text)).toBeUndefined();
    else expect(urlProblem(text)).toContain(problem);
  });

  it('accepts exactly the http(s) URLs with a host that `new URL` parses, ASCII or not', () => {
    const parts = [
      'a',
      '/',
      '\\',
      ':',
      '@',
      '[',
      ']',
      '%',
      '0',
      '.',
      '#',
      '?',
      ' ',
      '\t',
      '\0',
      '-',
      'é',
      '。',
      '１',
    ];
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    for (let i = 0; i < 20_000; i++) {
      let text = random() < 0.5 ? 'http://' : 'https://';
      for (let length = Math.floor(random() * 10); length > 0; length--)
        text += parts[Math.floor(random() * parts.length)];
      let parsed: boolean;
      try {
        parsed = new URL(text).hostname !== '';
      } catch {
        parsed = false;
      }
      expect({ text, accepted: urlProblem(text) === undefined }).toEqual({ text, accepted: parsed });
    }
  });

  it('names the row and column of every bad cell', async () => {
    const csv = [
      header,
      '1,,https://a.test/1.jpg',
      '2,B,',
      '3,C,ftp://a.test/1.jpg',
      '4,D,"https://a.test/1.jpg,javascript:alert(1),just words"',
      '5,E,"https://a.test/1.jpg,https://a.test/2.jpg,https://a.test/3.jpg,https://a.test/4.jpg"',
    ].join('\n');
    const error = await problemsOf(csv);
    expect(error.kind).toBe('invalid');
    expect(error.problems).toEqual([
      { row: 2, column: 'Product Name', message: 'product name is empty' },
      { row: 3, column: 'Input Image Urls', message: 'no image URL' },
      { row: 4, column: 'Input Image Urls', message: expect.stringContaining('ftp://') },
      { row: 5, column: 'Input Image Urls', message: expect.stringContaining('javascript:') },
      { row: 5, column: 'Input Image Urls', message: expect.stringContaining('just words') },
      { row: 6, column: 'Input Image Urls', message: expect.stringContaining('MAX_URLS_PER_ROW') },
    ]);
  });

  it('counts rows as a spreadsheet does when a quoted cell spans lines', async () => {
    const csv = `${header}\n1,"multi\nline",https://a.test/1.jpg\n2,,https://a.test/2.jpg\n`;
    const error = await problemsOf(csv);
    expect(error.problems).toEqual([{ row: 3, column: 'Product Name', message: 'product name is empty' }]);
  });

  it('refuses more rows than MAX_ROWS with 413', async () => {
    const rows = Array.from({ length: 3 }, (_, i) => `${i},P${i},https://a.test/${i}.jpg`);
    await expect(
      parseProductCsv(Buffer.from([header, ...rows].join('\n')), { ...limits, maxRows: 2 }),
    ).rejects.toMatchObject({
      kind: 'too_large',
    });
  });

  it('refuses an unbalanced quote', async () => {
    const error = await problemsOf(`${header}\n1,"Shoe,https://a.test/1.jpg\n2,Hat,https://a.test/2.jpg\n`);
    expect(error.kind).toBe('invalid');
  });

  it('stops listing problems at 100', async () => {
    const rows = Array.from({ length: 150 }, (_, i) => `${i},,https://a.test/${i}.jpg`);
    const error = await problemsOf([header, ...rows].join('\n'));
    expect(error.problems).toHaveLength(100);
  });

  it("keeps a row's cells as given: extra columns without padding, trailing empty cells dropped", async () => {
    const csv = `${header},Brand,Colour,Size\n1,A,https://a.test/1.jpg\n2,B,https://a.test/2.jpg,Acme,,\n3,C,https://a.test/3.jpg,,red\n`;
    const parsed = await parseProductCsv(Buffer.from(csv), limits);
    expect(parsed.rows.map((row) => row.cells)).toEqual([
      ['1', 'A', 'https://a.test/1.jpg'],
      ['2', 'B', 'https://a.test/2.jpg', 'Acme'],
      ['3', 'C', 'https://a.test/3.jpg', '', 'red'],
    ]);
  });

  it('refuses a header naming both "S. No." and "Serial Number"', async () => {
    const error = await problemsOf(
      'S. No.,Serial Number,Product Name,Input Image Urls\n1,1,A,https://a.test/1.jpg\n',
    );
    expect(error.kind).toBe('invalid');
    expect(error.problems).toEqual([
      { row: 1, column: 'S. No.', message: 'both "S. No." and "Serial Number"' },
    ]);
  });

  it.each([
    [
      'a cell over MAX_CELL_BYTES',
      `${header}\n1,${'a'.repeat(1025)},https://a.test/1.jpg\n`,
      2,
      /MAX_CELL_BYTES/,
    ],
    [
      'a cell over MAX_CELL_BYTES in UTF-8 bytes, not characters',
      `${header}\n1,${'é'.repeat(513)},https://a.test/1.jpg\n`,
      2,
      /MAX_CELL_BYTES/,
    ],
    [
      'a quoted cell over MAX_CELL_BYTES',
      `${header}\n1,"${'a,'.repeat(600)}",https://a.test/1.jpg\n`,
      2,
      /MAX_CELL_BYTES/,
    ],
    [
      'a row over MAX_RECORD_BYTES',
      `${header}\n1,A,https://a.test/1.jpg,${'b'.repeat(1000)},${'c'.repeat(1000)},${'d'.repeat(1000)},${'e'.repeat(1000)},${'f'.repeat(1000)}\n`,
      2,
      /MAX_RECORD_BYTES/,
    ],
    ['a header over MAX_COLUMNS', `${header}${',x'.repeat(8)}\n1,A,https://a.test/1.jpg\n`, 1, /MAX_COLUMNS/],
    ['a row over MAX_COLUMNS', `${header}\n1,A,https://a.test/1.jpg${','.repeat(10)}\n`, 2, /MAX_COLUMNS/],
    ['a file that is one endless line', 'a'.repeat(100_000), 1, /MAX_CELL_BYTES/],
  ])('refuses %s with 413 naming the row', async (_name, csv, row, message) => {
    const error = await problemsOf(csv);
    expect(error.kind).toBe('too_large');
    expect(error.message).toMatch(message);
    expect(error.problems).toEqual([
      { row, column: expect.toBeOneOf([null, expect.any(String)]), message: expect.any(String) },
    ]);
  });

  it('names the column of a cell over MAX_CELL_BYTES', async () => {
    const error = await problemsOf(`${header}\n1,${'a'.repeat(2000)},https://a.test/1.jpg\n`);
    expect(error.problems).toEqual([
      { row: 2, column: 'Product Name', message: 'cell larger than 1024 bytes' },
    ]);
  });

  it('stops reading at the limit: the rest of a huge file is never decoded', async () => {
    // Invalid UTF-8 after the oversized cell: reading on would answer 415, not 413.
    const bytes = Buffer.concat([
      Buffer.from(`${header}\n1,${'a'.repeat(200_000)}`),
      Buffer.from([0xc3, 0x28]),
    ]);
    expect((await problemsOf(bytes)).kind).toBe('too_large');
  });

  it('quotes at most a short excerpt of the input in the refusal of an unbalanced quote', async () => {
    const rest = Array.from({ length: 20_000 }, (_, i) => `${i},P${i},https://a.test/${i}.jpg`).join('\n');
    const wide = { ...limits, maxCellBytes: 4 * 1024 * 1024, maxRecordBytes: 4 * 1024 * 1024 };
    const error = await parseProductCsv(
      Buffer.from(`${header}\n1,"Shoe,https://a.test/1.jpg\n${rest}\n`),
      wide,
    ).catch((refusal: CsvValidationError) => refusal);
    if (!(error instanceof CsvValidationError)) throw new Error('expected a refusal');
    expect(error.kind).toBe('invalid');
    expect(error.problems).toEqual([
      { row: 2, column: null, message: expect.stringMatching(/unbalanced quote/) },
    ]);
    expect(JSON.stringify({ message: error.message, errors: error.problems }).length).toBeLessThan(500);
  });

  it('quotes at most a short excerpt of a long bad URL or a long repeated column name', async () => {
    const wide = { ...limits, maxCellBytes: 100_000, maxRecordBytes: 400_000 };
    const name = `x${'y'.repeat(50_000)}`;
    await expect(
      parseProductCsv(Buffer.from(`${header},${name},${name}\n1,A,https://a.test/1.jpg\n`), wide),
    ).rejects.toSatisfy(
      (error: CsvValidationError) => JSON.stringify([error.message, error.problems]).length < 1000,
    );
    await expect(
      parseProductCsv(Buffer.from(`${header}\n1,A,${'w'.repeat(50_000)}\n`), wide),
    ).rejects.toSatisfy(
      (error: CsvValidationError) => JSON.stringify([error.message, error.problems]).length < 1000,
    );
  });

  it('finds a repeated column among thousands, and accepts thousands of distinct ones', async () => {
    const wide = { ...limits, maxColumns: 50_000, maxRecordBytes: 1_000_000 };
    const columns = Array.from({ length: 40_000 }, (_, i) => `c${i}`);
    const ok = await parseProductCsv(
      Buffer.from(`${header},${columns.join(',')}\n1,A,https://a.test/1.jpg\n`),
      wide,
    );
    expect(ok.headers).toHaveLength(40_003);
    expect(ok.rows[0].cells).toEqual(['1', 'A', 'https://a.test/1.jpg']);
    await expect(
      parseProductCsv(Buffer.from(`${header},${columns.join(',')},c7\n1,A,https://a.test/1.jpg\n`), wide),
    ).rejects.toMatchObject({ problems: [{ row: 1, column: 'c7', message: 'duplicate column' }] });
  });

  it('hands rows over in batches bounded by rows, image URLs and characters', async () => {
    const wide = { ...limits, maxUrlsPerRow: 50, maxCellBytes: 100_000, maxRecordBytes: 200_000 };
    const urls = Array.from({ length: 50 }, (_, k) => `https://a.test/${k}.jpg`).join(',');
    const many = [header, ...Array.from({ length: 100 }, (_, i) => `${i},P${i},"${urls}"`)].join('\n');
    const imagesPerBatch: number[] = [];
    await parseProductCsv(Buffer.from(many), wide, {
      onRows: async (rows) => void imagesPerBatch.push(rows.reduce((sum, row) => sum + row.urls.length, 0)),
    });
    expect(imagesPerBatch.reduce((a, b) => a + b)).toBe(5000);
    expect(Math.max(...imagesPerBatch)).toBeLessThanOrEqual(1000);

    const big = [
      header + ',Notes',
      ...Array.from({ length: 60 }, (_, i) => `${i},P${i},https://a.test/${i}.jpg,${'n'.repeat(90_000)}`),
    ].join('\n');
    const rowsPerBatch: number[] = [];
    await parseProductCsv(Buffer.from(big), wide, {
      onRows: async (rows) => void rowsPerBatch.push(rows.length),
    });
    expect(rowsPerBatch.reduce((a, b) => a + b)).toBe(60);
    expect(Math.max(...rowsPerBatch)).toBeLessThanOrEqual(48); // 4 Mi characters / 90,000
  });

  it('stops reading once it has 100 problems to show', async () => {
    const rows = Array.from({ length: 4000 }, (_, i) => `${i},,https://a.test/${i}.jpg`);
    // Binary bytes after 100 KB of bad rows (read in 64 KiB pieces): reading on would answer 415.
    const bytes = Buffer.concat([Buffer.from([header, ...rows, ''].join('\n')), Buffer.alloc(70_000)]);
    const error = await problemsOf(bytes);
    expect(error.kind).toBe('invalid');
    expect(error.problems).toHaveLength(100);
  });
});
