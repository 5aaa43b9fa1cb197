import { fileNameOf, MAX_FILE_NAME_LENGTH } from './upload-form.js';

describe('fileNameOf', () => {
  it.each([
    ['summer-catalogue.csv', 'summer-catalogue.csv'],
    ['Catalogue d’été 2026.csv', 'Catalogue d’été 2026.csv'],
    ['C:\\Users\\ana\\Desktop\\products.csv', 'products.csv'],
    ['../../etc/passwd.csv', 'passwd.csv'],
    ['  two\tspaces\n and a line.csv  ', 'two spaces and a line.csv'],
    ['evil\u202Evsc.csv', 'evilvsc.csv'],
    ['zero\u200Bwidth\u2066.csv', 'zerowidth.csv'],
    ['nul\u0000bell\u0007.csv', 'nulbell.csv'],
    ['\uFEFFbom.csv', 'bom.csv'],
    ['', null],
    ['   ', null],
    ['folder/', null],
    ['\u202E\u200B', null],
  ])('%j → %j', (original, expected) => {
    expect(fileNameOf(original)).toBe(expected);
  });

  it(`keeps at most ${MAX_FILE_NAME_LENGTH} characters, marking the cut, without splitting a character`, () => {
    const long = `${'😀'.repeat(300)}.csv`;
    const kept = fileNameOf(long)!;
    expect(Array.from(kept)).toHaveLength(MAX_FILE_NAME_LENGTH);
    expect(kept.endsWith('😀…')).toBe(true);
    expect(fileNameOf(`${'a'.repeat(MAX_FILE_NAME_LENGTH - 4)}.csv`)).toHaveLength(MAX_FILE_NAME_LENGTH);
  });
});
