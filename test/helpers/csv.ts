import { parseString } from 'fast-csv';

/** Parses CSV text (e.g. an export) into rows of cells. */
export function parseCsv(text: string): Promise<string[][]> {
  return new Promise((resolve, reject) => {
    const rows: string[][] = [];
    parseString(text, { headers: false })
      .on('data', (row: string[]) => rows.push(row))
      .on('error', reject)
      .on('end', () => resolve(rows));
  });
}

export const CSV_HEADER = 'S. No.,Product Name,Input Image Urls';

/** One product row: its image URLs (one cell), with a name of its own or `Product <n>`. */
type ProductRow = string | string[] | { name: string; urls: string | string[] };

/** A cell as CSV writes it: quoted (quotes doubled) when it holds a comma, a quote or a line end. */
const cell = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);

/**
 * The upload CSV of `rows` (numbered from 1 under the standard header, one line each, a line end
 * after every line): a row is one URL, several (in one cell), or a name and its URLs.
 */
export function productCsv(rows: ProductRow[]): string {
  const lines = rows.map((row, index) => {
    const { name, urls } =
      typeof row === 'string' || Array.isArray(row) ? { name: `Product ${index + 1}`, urls: row } : row;
    return `${index + 1},${cell(name)},${cell([urls].flat().join(','))}`;
  });
  return `${[CSV_HEADER, ...lines].join('\n')}\n`;
}

/** A products CSV with `urls.length` images, `perRow` to a row (the last row may hold fewer). */
export function imagesCsv(urls: string[], perRow = 5): string {
  const rows: string[][] = [];
  for (let start = 0; start < urls.length; start += perRow) rows.push(urls.slice(start, start + perRow));
  return productCsv(rows);
}
