/** One thing wrong with an uploaded CSV, located as a spreadsheet would show it (header = row 1). */
export interface CsvProblem {
  row: number | null;
  column: string | null;
  message: string;
}

/** The uploaded CSV cannot be used; nothing was stored. */
export class CsvValidationError extends Error {
  constructor(
    message: string,
    readonly problems: CsvProblem[] = [],
    readonly statusCode = 400,
  ) {
    super(message);
  }
}
