import { neutraliseFormula } from './csv-cell.js';

describe('neutraliseFormula', () => {
  it.each([
    ['=SUM(A1)', "'=SUM(A1)"],
    ['+1', "'+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tTab', "'\tTab"],
    ['\rReturn', "'\rReturn"],
    ['\0nul', "'\0nul"],
    ['  =HYPERLINK("http://evil.test")', `'  =HYPERLINK("http://evil.test")`], // leading spaces
    ['\u00a0=1+1', "'\u00a0=1+1"], // no-break space
    ['\ufeff=1+1', "'\ufeff=1+1"], // BOM
    ['\u200b=1+1', "'\u200b=1+1"], // zero-width space
    ['\u202e=1+1', "'\u202e=1+1"], // right-to-left override
    ['\uff1dSUM(A1)', "'\uff1dSUM(A1)"], // full-width equals
    ['\uff0b1', "'\uff0b1"], // full-width plus
    ['\uff0d1', "'\uff0d1"], // full-width minus
    ['\uff20SUM(A1)', "'\uff20SUM(A1)"], // full-width at
    ['\u22121', "'\u22121"], // minus sign
    ['\ufe66SUM(A1)', "'\ufe66SUM(A1)"], // small equals
    ['plain text', 'plain text'],
    ['a=1', 'a=1'],
    ['  spaced', '  spaced'],
    ['', ''],
    ['https://example.com/a.jpg', 'https://example.com/a.jpg'],
  ])('%j -> %j', (cell, expected) => {
    expect(neutraliseFormula(cell)).toBe(expected);
  });
});
