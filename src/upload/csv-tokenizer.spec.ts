import fc from 'fast-check';
import { writeToString } from 'fast-csv';
import { excerpt } from './client-text.js';
import { CsvTokenizer } from './csv-tokenizer.js';
import { CsvValidationError } from './csv-validation.error.js';

const roomy = { maxColumns: 1000, maxCellBytes: 1 << 20, maxRecordBytes: 1 << 22 };

function tokenize(pieces: string[], limits = roomy): string[][] {
  const tokenizer = new CsvTokenizer(limits);
  const records = pieces.flatMap((piece) => tokenizer.push(piece));
  return [...records, ...tokenizer.end()];
}

function refusal(pieces: string[], limits = roomy): CsvValidationError {
  try {
    tokenize(pieces, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(CsvValidationError);
    return error as CsvValidationError;
  }
  throw new Error('expected a refusal');
}

describe('CsvTokenizer', () => {
  it.each([
    [
      'a,b,c\n1,2,3\n',
      [
        ['a', 'b', 'c'],
        ['1', '2', '3'],
      ],
    ],
    [
      'a,b\r\n1,2',
      [
        ['a', 'b'],
        ['1', '2'],
      ],
    ],
    [
      'a,b\r1,2\r',
      [
        ['a', 'b'],
        ['1', '2'],
      ],
    ],
    ['a,,\n', [['a', '', '']]],
    ['\n\na\n', [[''], [''], ['a']]],
    ['"x, y","say ""hi""","multi\nline"\n', [['x, y', 'say "hi"', 'multi\nline']]],
    ['"",x\n', [['', 'x']]],
    ['  "padded" , b\n', [['padded', ' b']]],
    ['ab"c,d\n', [['ab"c', 'd']]],
    ['a,"b"', [['a', 'b']]],
    ['', []],
  ])('reads %j', (text, records) => {
    expect(tokenize([text])).toEqual(records);
  });

  it.each([
    ['an unbalanced quote', 'a\n"b,c\nd,e\n', 2, /unbalanced quote/],
    ['text after a closing quote', 'a\n"b"c,d\n', 2, /after the closing quote/],
  ])('refuses %s with 400 naming the row', (_name, text, row, message) => {
    const error = refusal([text]);
    expect(error.kind).toBe('invalid');
    expect(error.message).toMatch(message);
    expect(error.problems[0].row).toBe(row);
  });

  it('refuses a cell, a record and a column count over the limits as soon as a piece crosses them', () => {
    const limits = { maxColumns: 3, maxCellBytes: 10, maxRecordBytes: 20 };
    const tokenizer = new CsvTokenizer(limits);
    expect(tokenizer.push('a,b\nxxxxxx')).toEqual([['a', 'b']]);
    expect(() => tokenizer.push('xxxxxx')).toThrow(/MAX_CELL_BYTES/);
    expect(() => new CsvTokenizer(limits).push('a,b,c,d')).toThrow(/MAX_COLUMNS/);
    expect(() => new CsvTokenizer(limits).push('aaaaaaaaa,bbbbbbbbb,ccccccc')).toThrow(/MAX_RECORD_BYTES/);
    expect(() => new CsvTokenizer(limits).push('"aaaaa""aaaaaa')).toThrow(/MAX_CELL_BYTES/);
  });

  it('keeps the error short whatever the input', () => {
    const error = refusal([`"${'x'.repeat(100_000)}`]);
    expect(error.message.length).toBeLessThan(200);
    expect(excerpt('y'.repeat(1000)).length).toBeLessThan(70);
  });

  const cell = fc.string({
    unit: fc.constantFrom('a', 'é', ' ', ',', '"', '\n', '\r', '\r\n', 'z', '😀'),
    maxLength: 12,
  });
  const table = fc.array(fc.array(cell, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 8 });
  /** Cuts `text` at the given points (any of them may fall inside a CRLF, a "" or a surrogate pair). */
  const split = (text: string, cuts: number[]) => {
    const points = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
    return [...points, text.length].map((end, i) => text.slice(i === 0 ? 0 : points[i - 1], end));
  };

  it('reads back what fast-csv writes, cut into pieces anywhere', async () => {
    await fc.assert(
      fc.asyncProperty(table, fc.array(fc.nat(), { maxLength: 6 }), async (rows, cuts) => {
        // A last record of one empty cell is written as nothing at all.
        const text = await writeToString(rows, { quoteColumns: false, alwaysWriteHeaders: false });
        const last = rows[rows.length - 1];
        const expected = last.length === 1 && last[0] === '' ? rows.slice(0, -1) : rows;
        expect(tokenize(split(text, cuts))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same records (or the same refusal) however the input is cut', () => {
    const text = fc.string({ unit: fc.constantFrom('a', ' ', ',', '"', '\n', '\r', 'é'), maxLength: 60 });
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 8 }), (input, cuts) => {
        const outcome = (pieces: string[]) => {
          try {
            return tokenize(pieces, { maxColumns: 6, maxCellBytes: 8, maxRecordBytes: 20 });
          } catch (error) {
            return (error as CsvValidationError).kind;
          }
        };
        const whole = outcome([input]);
        const cut = outcome(split(input, cuts));
        // A limit may be seen one piece earlier, never a different answer otherwise.
        expect(cut).toEqual(whole);
      }),
      { numRuns: 500 },
    );
  });
});
