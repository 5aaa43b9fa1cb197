import { urlProblem } from './csv-parser.js';
import { CsvValidationError } from './csv-validation.error.js';

const CSV_TYPES = ['text/csv', 'application/csv'];
const CSV_TYPES_BY_NAME = ['application/vnd.ms-excel', 'application/octet-stream', 'text/plain'];

/** The CSV file part: present, and declared as CSV (or as a generic type with a .csv name); its bytes are checked by the parser. */
export function csvFileOf(file: Express.Multer.File | undefined): Express.Multer.File {
  if (!file) {
    throw new CsvValidationError('no file part: send the CSV as the multipart field "file"', [
      { row: null, column: 'file', message: 'no file part' },
    ]);
  }
  const mimetype = file.mimetype.toLowerCase();
  const byName = file.originalname.toLowerCase().endsWith('.csv') && CSV_TYPES_BY_NAME.includes(mimetype);
  if (!CSV_TYPES.includes(mimetype) && !byName) {
    const message = `the file part has content type ${JSON.stringify(file.mimetype)}: upload a .csv file (text/csv)`;
    throw new CsvValidationError(
      message,
      [{ row: null, column: 'file', message: 'not a CSV content type' }],
      'unsupported_media',
    );
  }
  return file;
}

/** The webhook_url form field: absent or empty means none; otherwise the rule of image URLs. */
export function webhookUrlOf(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') {
    throw new CsvValidationError('webhook_url must be sent once, as text; nothing was stored', [
      { row: null, column: 'webhook_url', message: 'not a single text value' },
    ]);
  }
  const url = value.trim();
  if (url === '') return null;
  const problem = urlProblem(url);
  if (problem) {
    throw new CsvValidationError(`webhook_url cannot be used: ${problem}; nothing was stored`, [
      { row: null, column: 'webhook_url', message: problem },
    ]);
  }
  return url;
}

/** Longest file name kept with a request, in characters (the `tasks.file_name` column's size). */
export const MAX_FILE_NAME_LENGTH = 255;

/**
 * Control characters, and the invisible marks that reorder or hide text (bidirectional overrides and
 * isolates, zero-width characters, the BOM): a name shown to people must read as what it is.
 */
const HIDDEN_CHARACTERS = /[\p{Cc}\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]/gu;

/**
 * The CSV's name as the client sent it, made safe to store and show: its last path segment, without
 * control or invisible characters, spaces collapsed, cut to MAX_FILE_NAME_LENGTH characters (an
 * ellipsis marks the cut); null when nothing is left.
 */
export function fileNameOf(originalName: string): string | null {
  const lastSegment = originalName.split(/[/\\]/).pop() ?? '';
  const name = lastSegment.replace(/\s+/g, ' ').replace(HIDDEN_CHARACTERS, '').replace(/ {2,}/g, ' ').trim();
  if (!name) return null;
  const characters = Array.from(name); // code points: what the varchar(255) column counts
  if (characters.length <= MAX_FILE_NAME_LENGTH) return name;
  return `${characters.slice(0, MAX_FILE_NAME_LENGTH - 1).join('')}…`;
}

export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** The Idempotency-Key header: absent or blank means none; at most 255 characters. */
export function idempotencyKeyOf(header: string | undefined): string | null {
  const key = header?.trim() ?? '';
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw new CsvValidationError(
      `the Idempotency-Key header is longer than ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`,
      [{ row: null, column: 'Idempotency-Key', message: 'too long' }],
    );
  }
  return key || null;
}
