import { parseString } from 'fast-csv';
import { CsvProblem, CsvValidationError } from './csv-validation.error.js';

export interface CsvLimits {
  maxRows: number;
  maxUrlsPerRow: number;
}

export interface ParsedRow {
  /** The row number as a spreadsheet counts it (header = 1). */
  rowNumber: number;
  serialNumber: string;
  productName: string;
  urls: string[];
  /** Every cell of the row, in header order. */
  cells: string[];
}

export interface ParsedCsv {
  headers: string[];
  rows: ParsedRow[];
  totalImages: number;
}

export const SERIAL_HEADERS = ['s. no.', 'serial number'];
export const NAME_HEADER = 'product name';
export const URLS_HEADER = 'input image urls';
const EXPECTED_COLUMNS = '"S. No." (or "Serial Number"), "Product Name", "Input Image Urls"';
const MAX_REPORTED_PROBLEMS = 100;

/** An absolute http(s) URL with a host, or undefined. */
export function parseHttpUrl(text: string): URL | undefined {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** Splits an `Input Image Urls` cell: comma-separated, spaces and newlines around each URL trimmed. */
export function splitUrls(cell: string): string[] {
  return cell
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

/** Decodes the upload as UTF-8 text (BOM dropped); refuses bytes that are not text. */
export function decodeCsvText(bytes: Buffer): string {
  if (bytes.length === 0) throw new CsvValidationError('the file is empty');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new CsvValidationError('the file is not UTF-8 text: upload a CSV file');
  }
  if (text.includes('\u0000')) throw new CsvValidationError('the file holds binary data: upload a CSV file');
  if (text.trim() === '') throw new CsvValidationError('the file is empty');
  return text;
}

function readRecords(text: string): Promise<string[][]> {
  return new Promise((resolve, reject) => {
    const records: string[][] = [];
    parseString<string[], string[]>(text, { headers: false, ignoreEmpty: false, trim: false })
      .on('data', (record: string[]) => records.push(record))
      .on('error', (error: Error) => reject(new CsvValidationError(`the file is not valid CSV: ${error.message}`)))
      .on('end', () => resolve(records));
  });
}

const isBlank = (record: string[]) => record.every((cell) => cell.trim() === '');
const normalise = (header: string) => header.trim().toLowerCase().replace(/\s+/g, ' ');

function locateColumns(headers: string[]) {
  const names = headers.map(normalise);
  const find = (candidates: string[]) => names.findIndex((name) => candidates.includes(name));
  const columns = { serial: find(SERIAL_HEADERS), name: find([NAME_HEADER]), urls: find([URLS_HEADER]) };
  const missing = [
    columns.serial < 0 ? '"S. No."' : undefined,
    columns.name < 0 ? '"Product Name"' : undefined,
    columns.urls < 0 ? '"Input Image Urls"' : undefined,
  ].filter(Boolean);
  if (missing.length > 0) {
    throw new CsvValidationError(
      `missing required column(s) ${missing.join(', ')}: the header row must name ${EXPECTED_COLUMNS}`,
      missing.map((column) => ({ row: 1, column: column!.replaceAll('"', ''), message: 'column missing' })),
    );
  }
  const duplicates = names.filter((name, index) => name !== '' && names.indexOf(name) !== index);
  if (duplicates.length > 0) {
    throw new CsvValidationError(`the header row repeats column(s): ${[...new Set(duplicates)].join(', ')}`, [
      ...new Set(duplicates),
    ].map((column) => ({ row: 1, column, message: 'duplicate column' })));
  }
  return columns;
}

/**
 * Parses and validates a product CSV completely, or throws a CsvValidationError listing
 * (up to 100 of) its problems with row numbers and column names. Pure: no I/O.
 */
export async function parseProductCsv(bytes: Buffer, limits: CsvLimits): Promise<ParsedCsv> {
  const records = await readRecords(decodeCsvText(bytes));
  const headerIndex = records.findIndex((record) => !isBlank(record));
  if (headerIndex < 0) throw new CsvValidationError('the file is empty');
  const headers = records[headerIndex].map((header) => header.trim());
  const columns = locateColumns(headers);
  const columnName = (index: number) => headers[index];

  const problems: CsvProblem[] = [];
  const report = (problem: CsvProblem) => {
    if (problems.length < MAX_REPORTED_PROBLEMS) problems.push(problem);
  };
  const rows: ParsedRow[] = [];
  let totalImages = 0;
  for (let index = headerIndex + 1; index < records.length; index++) {
    const record = records[index];
    if (isBlank(record)) continue;
    const rowNumber = index + 1;
    if (rows.length >= limits.maxRows) {
      throw new CsvValidationError(`the file has more than ${limits.maxRows} rows (MAX_ROWS)`, [
        { row: rowNumber, column: null, message: `more than ${limits.maxRows} rows` },
      ], 413);
    }
    if (record.length > headers.length) {
      report({ row: rowNumber, column: null, message: `row has ${record.length} cells but the header has ${headers.length}` });
    }
    const cells = headers.map((_, column) => record[column] ?? '');
    const productName = cells[columns.name].trim();
    if (productName === '') report({ row: rowNumber, column: columnName(columns.name), message: 'product name is empty' });
    const urls = splitUrls(cells[columns.urls]);
    if (urls.length === 0) report({ row: rowNumber, column: columnName(columns.urls), message: 'no image URL' });
    if (urls.length > limits.maxUrlsPerRow) {
      report({
        row: rowNumber,
        column: columnName(columns.urls),
        message: `${urls.length} URLs, more than the ${limits.maxUrlsPerRow} allowed per row (MAX_URLS_PER_ROW)`,
      });
    }
    for (const url of urls) {
      if (!parseHttpUrl(url)) {
        report({
          row: rowNumber,
          column: columnName(columns.urls),
          message: `not an absolute http(s) URL: ${JSON.stringify(url.slice(0, 200))}`,
        });
      }
    }
    totalImages += urls.length;
    rows.push({ rowNumber, serialNumber: cells[columns.serial].trim(), productName, urls, cells });
  }
  if (problems.length > 0) {
    throw new CsvValidationError(`the file has ${problems.length >= MAX_REPORTED_PROBLEMS ? 'at least ' : ''}${problems.length} problem(s); nothing was stored`, problems);
  }
  if (rows.length === 0) throw new CsvValidationError('the file has a header but no product rows');
  return { headers, rows, totalImages };
}
