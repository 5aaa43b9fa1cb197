import { setImmediate as nextTurn } from 'node:timers/promises';
import { excerpt, shortColumnName } from './client-text.js';
import { CsvTokenizer, type RecordLimits } from './csv-tokenizer.js';
import { decodeCsvText } from './csv-text-decoder.js';
import { CsvProblem, CsvValidationError } from './csv-validation.error.js';

export interface CsvLimits extends RecordLimits {
  maxRows: number;
  maxUrlsPerRow: number;
}

interface ParsedRow {
  /** The row number as a spreadsheet counts it (header = 1). */
  rowNumber: number;
  serialNumber: string;
  productName: string;
  urls: string[];
  /** The row's cells as given, in header order, without trailing empty cells (never padded to the header). */
  cells: string[];
}

export interface ParsedCsv {
  headers: string[];
  /** The rows, unless they were handed to `onRows` as they were read. */
  rows: ParsedRow[];
  rowCount: number;
  totalImages: number;
}

const SERIAL_HEADERS = ['s. no.', 'serial number'];
const NAME_HEADER = 'product name';
const URLS_HEADER = 'input image urls';
const EXPECTED_COLUMNS = '"S. No." (or "Serial Number"), "Product Name", "Input Image Urls"';
const MAX_REPORTED_PROBLEMS = 100;

/** Longest URL accepted in a cell or as webhook_url. */
export const MAX_URL_LENGTH = 8192;

/** Text outside ASCII: there Node's `URL.canParse` and `new URL` disagree on some hosts (IDNA). */
const NON_ASCII = /[^\p{ASCII}]/u;

/**
 * Whether `text` is an absolute http(s) URL with a host. WHATWG parsing also takes "http:host/x" and
 * "http:\\host"; a URL as people write it has "//". http and https are special schemes, whose URLs
 * never parse with an empty host, so parsing alone decides the rest: `URL.canParse` builds no URL
 * object (a third of the CPU of `new URL`, which was most of parsing a 300,000-URL upload), except
 * for text outside ASCII, where `new URL` is the reference.
 */
function isHttpUrl(text: string): boolean {
  if (!/^https?:\/\//i.test(text)) return false;
  if (!NON_ASCII.test(text)) return URL.canParse(text);
  try {
    return new URL(text).hostname !== '';
  } catch {
    return false;
  }
}

/**
 * Why `text` (an image URL, or the webhook_url: one rule for both) cannot be used, or undefined
 * when it can: an absolute http(s) URL with a host, at most MAX_URL_LENGTH characters.
 */
export function urlProblem(text: string): string | undefined {
  if (text.length > MAX_URL_LENGTH) return `URL longer than ${MAX_URL_LENGTH} characters: ${excerpt(text)}`;
  if (!isHttpUrl(text)) return `not an absolute http(s) URL: ${excerpt(text, 100)}`;
  return undefined;
}

/** Splits an `Input Image Urls` cell: comma-separated, spaces and newlines around each URL trimmed. */
export function splitUrls(cell: string): string[] {
  return cell
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

/** Size of the pieces a Buffer is read in (a file is read in its stream's chunks). */
const PIECE_BYTES = 64 * 1024;

/** Longest the parser runs before it lets other work (e.g. GET /status) through. */
const SLICE_MS = 10;

function* pieces(bytes: Buffer): Generator<Buffer> {
  for (let start = 0; start < bytes.length; start += PIECE_BYTES)
    yield bytes.subarray(start, start + PIECE_BYTES);
}

/** The records of the text as they complete, one piece of input at a time, yielding to other work every few ms. */
async function* readRecords(
  source: AsyncIterable<Buffer> | Iterable<Buffer>,
  tokenizer: CsvTokenizer,
): AsyncGenerator<string[]> {
  let sliceStart = performance.now();
  for await (const text of decodeCsvText(source)) {
    yield* tokenizer.push(text);
    if (performance.now() - sliceStart > SLICE_MS) {
      await nextTurn();
      sliceStart = performance.now();
    }
  }
  yield* tokenizer.end();
}

const isBlank = (record: string[]) => record.every((cell) => cell.trim() === '');
const normalise = (header: string) => header.trim().toLowerCase().replace(/\s+/g, ' ');

function locateColumns(headers: string[], headerRow: number) {
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
      missing.map((column) => ({
        row: headerRow,
        column: column!.replaceAll('"', ''),
        message: `column missing; expected ${EXPECTED_COLUMNS}`,
      })),
    );
  }
  // One pass with a set: the header may have as many columns as MAX_COLUMNS allows.
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const name of names) {
    if (name === '') continue;
    if (seen.has(name)) duplicates.add(name);
    else seen.add(name);
  }
  if (duplicates.size > 0) {
    const repeated = [...duplicates].slice(0, MAX_REPORTED_PROBLEMS).map((name) => shortColumnName(name));
    throw new CsvValidationError(
      `the header row repeats column(s): ${repeated.slice(0, 10).join(', ')}${duplicates.size > 10 ? ', …' : ''}`,
      repeated.map((column) => ({ row: headerRow, column, message: 'duplicate column' })),
    );
  }
  if (SERIAL_HEADERS.every((header) => seen.has(header))) {
    throw new CsvValidationError('the header row names both "S. No." and "Serial Number": keep one of them', [
      {
        row: headerRow,
        column: shortColumnName(headers[columns.serial]),
        message: 'both "S. No." and "Serial Number"',
      },
    ]);
  }
  return columns;
}

export interface ParseOptions {
  /** Receives the valid rows in batches, in order, while the file is read; not called once a problem is found. */
  onRows?: (rows: ParsedRow[]) => Promise<void>;
  /** Most rows in a batch (default 2,000). */
  batchSize?: number;
  /** Most image URLs in a batch (default 1,000): storing one batch holds the event loop, so it stays small whatever the rows hold. */
  batchImages?: number;
  /** Most characters of cells in a batch (default 4 Mi): rows of up to MAX_RECORD_BYTES are held, and stored, a few at a time. */
  batchChars?: number;
}

/** Checks one row, reporting its problems; returns the row ready to store. */
function validateRow(
  record: string[],
  rowNumber: number,
  headers: string[],
  columns: ReturnType<typeof locateColumns>,
  limits: CsvLimits,
  report: (problem: CsvProblem) => void,
): ParsedRow {
  if (record.length > headers.length) {
    report({
      row: rowNumber,
      column: null,
      message: `row has ${record.length} cells but the header has ${headers.length}`,
    });
  }
  const cell = (column: number) => record[column] ?? '';
  const productName = cell(columns.name).trim();
  if (productName === '')
    report({
      row: rowNumber,
      column: shortColumnName(headers[columns.name]),
      message: 'product name is empty',
    });
  const urls = splitUrls(cell(columns.urls));
  const urlColumn = shortColumnName(headers[columns.urls]);
  if (urls.length === 0) report({ row: rowNumber, column: urlColumn, message: 'no image URL' });
  if (urls.length > limits.maxUrlsPerRow) {
    report({
      row: rowNumber,
      column: urlColumn,
      message: `${urls.length} URLs, more than the ${limits.maxUrlsPerRow} allowed per row (MAX_URLS_PER_ROW)`,
    });
  }
  for (const url of urls) {
    const problem = urlProblem(url);
    if (problem) report({ row: rowNumber, column: urlColumn, message: problem });
  }
  return {
    rowNumber,
    serialNumber: cell(columns.serial).trim(),
    productName,
    urls,
    cells: withoutTrailingEmpties(record),
  };
}

/** The cells up to the last non-empty one: a row stores what it holds, whatever the header's width. */
function withoutTrailingEmpties(record: string[]): string[] {
  let length = record.length;
  while (length > 0 && record[length - 1] === '') length--;
  return length === record.length ? record : record.slice(0, length);
}

/**
 * Parses and validates a product CSV completely, or throws a CsvValidationError listing
 * (up to 100 of) its problems with row numbers and column names. With `onRows`, valid rows are
 * handed over in batches as they are read (and not kept); the caller undoes them if it throws.
 * The CSV is read piece by piece (a Buffer, or a stream such as the uploaded file's): the work is
 * linear in its bytes, a limit is refused once crossed, and other work runs every few milliseconds.
 */
export async function parseProductCsv(
  source: Buffer | AsyncIterable<Buffer>,
  limits: CsvLimits,
  options: ParseOptions = {},
): Promise<ParsedCsv> {
  const batchSize = options.batchSize ?? 2_000;
  const batchImages = options.batchImages ?? 1_000;
  const batchChars = options.batchChars ?? 4 * 1024 * 1024;
  let imagesInBatch = 0;
  let charsInBatch = 0;
  const problems: CsvProblem[] = [];
  const report = (problem: CsvProblem) => {
    if (problems.length < MAX_REPORTED_PROBLEMS) problems.push(problem);
  };
  let headers: string[] | undefined;
  let columns: ReturnType<typeof locateColumns> | undefined;
  const rows: ParsedRow[] = [];
  let batch: ParsedRow[] = [];
  let rowCount = 0;
  let totalImages = 0;
  let recordNumber = 0;
  const tokenizer = new CsvTokenizer(limits);
  const input = Buffer.isBuffer(source) ? pieces(source) : source;
  for await (const record of readRecords(input, tokenizer)) {
    recordNumber++;
    if (isBlank(record)) continue;
    if (!headers || !columns) {
      headers = record.map((header) => header.trim());
      columns = locateColumns(headers, recordNumber);
      continue;
    }
    if (++rowCount > limits.maxRows) {
      throw new CsvValidationError(
        `the file has more than ${limits.maxRows} rows (MAX_ROWS)`,
        [{ row: recordNumber, column: null, message: `more than ${limits.maxRows} rows` }],
        'too_large',
      );
    }
    const row = validateRow(record, recordNumber, headers, columns, limits, report);
    totalImages += row.urls.length;
    if (problems.length >= MAX_REPORTED_PROBLEMS) break; // enough to show: the rest is not read
    if (problems.length > 0) continue;
    if (!options.onRows) rows.push(row);
    else {
      batch.push(row);
      imagesInBatch += row.urls.length;
      for (const cell of row.cells) charsInBatch += cell.length;
      if (batch.length < batchSize && imagesInBatch < batchImages && charsInBatch < batchChars) continue;
      await options.onRows(batch);
      batch = [];
      imagesInBatch = 0;
      charsInBatch = 0;
      await nextTurn(); // let other requests (e.g. GET /status) through between batches
    }
  }
  if (!headers) throw new CsvValidationError('the file is empty');
  if (problems.length > 0) {
    throw new CsvValidationError(
      `the file has ${problems.length >= MAX_REPORTED_PROBLEMS ? 'at least ' : ''}${problems.length} problem(s); nothing was stored`,
      problems,
    );
  }
  if (rowCount === 0) {
    throw new CsvValidationError('the file has a header but no product rows', [
      { row: null, column: null, message: 'no product rows after the header' },
    ]);
  }
  if (batch.length > 0) await options.onRows?.(batch);
  return { headers, rows, rowCount, totalImages };
}
