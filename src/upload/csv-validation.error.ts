import { DomainError, type Problem } from '../common/errors/domain-error.js';

/** One thing wrong with an uploaded CSV, located as a spreadsheet would show it (header = row 1). */
export type CsvProblem = Problem;

/** Why the CSV is refused: its content (`invalid`), its size (`too_large`), or not being CSV text at all. */
export type CsvRefusal = 'invalid' | 'too_large' | 'unsupported_media';

/**
 * The uploaded CSV (or the form around it) cannot be used; nothing was stored. Answered as
 * `{ statusCode, message, errors: [{ row, column, message }] }`; `errors` always lists at least
 * one problem (a problem with the file as a whole has `row: null`).
 */
export class CsvValidationError extends DomainError {
  constructor(message: string, problems: CsvProblem[] = [], kind: CsvRefusal = 'invalid') {
    super(kind, message, { problems });
  }
}
