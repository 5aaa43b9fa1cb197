import { CsvValidationError } from './csv-validation.error.js';
import { MAX_URL_LENGTH, parseProductCsv, splitUrls, urlProblem } from './csv-parser.js';

const limits = { maxRows: 1000, maxUrlsPerRow: 3 };
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
    expect(error.statusCode).toBe(415);
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
    ['ftp://a.test/x.jpg', 'not an absolute'],
    ['javascript:alert(1)', 'not an absolute'],
    [`https://a.test/${'x'.repeat(MAX_URL_LENGTH)}`, 'longer than 8192'],
  ])('urlProblem(%j)', (text, problem) => {
    if (problem === undefined) expect(urlProblem(text)).toBeUndefined();
    else expect(urlProblem(text)).toContain(problem);
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
    expect(error.statusCode).toBe(400);
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
      statusCode: 413,
    });
  });

  it('refuses an unbalanced quote', async () => {
    const error = await problemsOf(`${header}\n1,"Shoe,https://a.test/1.jpg\n2,Hat,https://a.test/2.jpg\n`);
    expect(error.statusCode).toBe(400);
  });

  it('stops listing problems at 100', async () => {
    const rows = Array.from({ length: 150 }, (_, i) => `${i},,https://a.test/${i}.jpg`);
    const error = await problemsOf([header, ...rows].join('\n'));
    expect(error.problems).toHaveLength(100);
  });
});
