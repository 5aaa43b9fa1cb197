/** One thing wrong with an uploaded CSV, located as a spreadsheet would show it (header = row 1). */
export interface CsvProblem {
  row: number | null;
  column: string | null;
  message: string;
}

/**
 * The uploaded CSV (or the form around it) cannot be used; nothing was stored. Answered as
 * `{ statusCode, message, errors: [{ row, column, message }] }`; `errors` always lists at least
 * one problem (a problem with the file as a whole has `row: null`).
 */
export class CsvValidationError extends Error {
  readonly problems: CsvProblem[];

  constructor(
    message: string,
    problems: CsvProblem[] = [],
    readonly statusCode = 400,
  ) {
    super(message);
    this.problems = problems.length > 0 ? problems : [{ row: null, column: null, message }];
  }
}
