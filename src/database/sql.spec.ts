import { copyText } from './sql.js';

describe('copyText (COPY … FROM STDIN, text format)', () => {
  it.each([
    ['plain text', [['a', 1, null]], 'a\t1\t\\N\n'],
    ['a tab', [['a\tb']], 'a\\tb\n'],
    ['a newline', [['a\nb']], 'a\\nb\n'],
    ['a carriage return', [['a\rb']], 'a\\rb\n'],
    ['a backslash', [['a\\b']], 'a\\\\b\n'],
    ['the text \\N, not null', [['\\N']], '\\\\N\n'],
    ['the end-of-data marker \\.', [['\\.']], '\\\\.\n'],
    ['quotes and commas (no meaning in text format)', [['"a", \'b\'']], '"a", \'b\'\n'],
    ['an empty string, not null', [['']], '\n'],
    ['unicode', [['é 🙂']], 'é 🙂\n'],
    [
      'several rows',
      [
        ['a', 2],
        ['b', 3],
      ],
      'a\t2\nb\t3\n',
    ],
  ])('%s', (_, rows, text) => {
    expect(copyText(rows)).toBe(text);
  });

  it('begins every row with the shared values, escaped alike', () => {
    expect(
      copyText(
        [
          ['a', 2],
          ['b', null],
        ],
        ['t\tx', 0, null],
      ),
    ).toBe('t\\tx\t0\t\\N\ta\t2\nt\\tx\t0\t\\N\tb\t\\N\n');
  });
});
