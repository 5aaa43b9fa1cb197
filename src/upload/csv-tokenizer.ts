import { EXCERPT_CHARS, excerpt, shortColumnName } from './client-text.js';
import { unescapeQuotes } from './csv-quotes.js';
import { type CsvRefusal, CsvValidationError } from './csv-validation.error.js';

export interface RecordLimits {
  maxColumns: number;
  maxCellBytes: number;
  maxRecordBytes: number;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;

const enum State {
  /** At the start of a cell, or in an unquoted cell (whose text so far may be blanks before a quote). */
  Unquoted,
  /** Inside a quoted cell. */
  Quoted,
  /** A quote inside a quoted cell: either the first of an escaped `""` or the closing quote. */
  QuoteInQuoted,
  /** After the closing quote: only blanks until the delimiter or the end of the line. */
  AfterQuote,
}

/**
 * An RFC 4180 tokenizer (comma, double quote, CRLF, LF or CR line ends) fed text in pieces, which
 * hands back every complete record. Each character is looked at once, whatever the shape of the
 * input (one huge cell, one huge line, a huge header), and the limits are checked while a cell grows:
 * an oversized cell, record or column count is refused once the piece that crosses it is read,
 * not after reading the rest.
 *
 * Lenient where spreadsheets are: blanks before an opening quote and after a closing one are
 * dropped; a quote inside an unquoted cell is text. Refused: a quoted cell that never closes and text
 * after a closing quote.
 */
export class CsvTokenizer {
  private state = State.Unquoted;
  /** Pieces of the current cell read from earlier pieces of input. */
  private parts: string[] = [];
  private partChars = 0;
  /** Escaped quotes ("") in the kept pieces of the current quoted cell. */
  private escapes = 0;
  /** The current unquoted cell holds only blanks so far (a quote may still open it). */
  private blankSoFar = true;
  private cells: string[] = [];
  private recordBytes = 0;
  /** A CR ended the last piece: a LF at the start of the next belongs to it. */
  private skipLf = false;
  /** Records started so far, counting blank ones (the spreadsheet row of the current record). */
  private recordNumber = 1;
  private out: string[][] = [];
  /** The first record that is not blank: names the columns in errors. */
  private header: string[] | undefined;

  constructor(private readonly limits: RecordLimits) {}

  /** Reads the next piece of text; returns the records it completed. */
  push(text: string): string[][] {
    let i = 0;
    const end = text.length;
    if (this.skipLf && end > 0) {
      this.skipLf = false;
      if (text.charCodeAt(0) === LF) i = 1;
    }
    let start = i; // start of the current cell's text within this piece
    while (i < end) {
      switch (this.state) {
        case State.Unquoted: {
          let c = 0;
          while (i < end) {
            c = text.charCodeAt(i);
            if (c === COMMA || c === LF || c === CR) break;
            if (c === QUOTE && this.blankSoFar) break;
            if (c !== SPACE && c !== TAB) this.blankSoFar = false;
            i++;
          }
          if (i === end) break;
          if (c === QUOTE) {
            // Blanks before an opening quote are dropped.
            this.parts = [];
            this.partChars = 0;
            this.escapes = 0;
            this.state = State.Quoted;
            i++;
            start = i;
            break;
          }
          this.endCell(text.slice(start, i));
          if (c === COMMA) {
            this.expectAnotherCell();
            i++;
          } else {
            this.endRecord();
            i++;
            if (c === CR) {
              if (i < end) {
                if (text.charCodeAt(i) === LF) i++;
              } else this.skipLf = true;
            }
          }
          start = i;
          break;
        }
        case State.Quoted: {
          // Escaped quotes ("") are kept as they are and undone once per cell: one slice per piece, not per quote.
          for (;;) {
            const quote = text.indexOf('"', i);
            if (quote < 0) {
              i = end;
              break;
            }
            if (quote + 1 < end && text.charCodeAt(quote + 1) === QUOTE) {
              this.escapes++;
              i = quote + 2;
              continue;
            }
            this.keep(text.slice(start, quote));
            i = quote + 1;
            start = i;
            this.state = State.QuoteInQuoted;
            break;
          }
          break;
        }
        case State.QuoteInQuoted: {
          if (text.charCodeAt(i) === QUOTE) {
            // The second quote of an escaped "" that straddles two pieces.
            this.escapes++;
            this.keep('""');
            this.state = State.Quoted;
            i++;
            start = i;
          } else {
            this.state = State.AfterQuote;
            this.checkCell(this.partChars - this.escapes);
          }
          break;
        }
        case State.AfterQuote: {
          const c = text.charCodeAt(i);
          if (c === SPACE || c === TAB) {
            i++;
          } else if (c === COMMA || c === LF || c === CR) {
            this.endCell('');
            this.state = State.Unquoted;
            i++;
            if (c === COMMA) this.expectAnotherCell();
            else {
              this.endRecord();
              if (c === CR) {
                if (i < end) {
                  if (text.charCodeAt(i) === LF) i++;
                } else this.skipLf = true;
              }
            }
          } else {
            throw this.refuse(
              'invalid',
              `text after the closing quote of a cell: ${excerpt(text.slice(i, i + EXCERPT_CHARS))}`,
            );
          }
          start = i;
          break;
        }
      }
    }
    // Keep what is left of the current cell for the next piece.
    if (this.state === State.Unquoted || this.state === State.Quoted) this.keep(text.slice(start, end));
    const records = this.out;
    this.out = [];
    return records;
  }

  /** Ends the input; returns the last record, if the text did not end with a line end. */
  end(): string[][] {
    if (this.state === State.Quoted) {
      const opened = this.parts.length > 0 ? this.parts[0] : '';
      throw this.refuse(
        'invalid',
        `unbalanced quote: a quoted cell never ends (it starts ${excerpt(opened)})`,
      );
    }
    if (this.state === State.QuoteInQuoted || this.state === State.AfterQuote) {
      this.endCell('');
      this.endRecord();
    } else if (this.partChars > 0 || this.cells.length > 0) {
      this.endCell('');
      this.endRecord();
    }
    this.state = State.Unquoted;
    const records = this.out;
    this.out = [];
    return records;
  }

  private keep(piece: string): void {
    if (piece.length === 0) return;
    this.partChars += piece.length;
    this.checkCell(this.partChars - this.escapes);
    // Escaped quotes are undone piece by piece (a "" never straddles two kept pieces), so the work
    // done at once on a huge cell is a join, not a pass of JavaScript over all of it.
    this.parts.push(this.state === State.Unquoted || !piece.includes('""') ? piece : unescapeQuotes(piece));
  }

  /** Refuses a cell or record already too long by its characters (each is at least one byte). */
  private checkCell(chars: number): void {
    if (chars > this.limits.maxCellBytes) this.cellTooLarge();
    if (this.recordBytes + chars > this.limits.maxRecordBytes) this.recordTooLarge();
  }

  private endCell(tail: string): void {
    let cell = tail;
    if (this.parts.length > 0) {
      if (tail.length > 0) this.parts.push(tail);
      cell = this.parts.length === 1 ? this.parts[0] : this.parts.join('');
      this.parts = [];
    }
    this.escapes = 0;
    this.partChars = 0;
    this.blankSoFar = true;
    // A character is 1 to 3 UTF-8 bytes (a surrogate pair, 4 for 2): count exactly only when it matters.
    const bytes = cell.length * 3 > this.limits.maxCellBytes ? Buffer.byteLength(cell) : cell.length;
    if (bytes > this.limits.maxCellBytes) this.cellTooLarge();
    this.recordBytes += bytes + 1;
    if (this.recordBytes - 1 > this.limits.maxRecordBytes) this.recordTooLarge();
    this.cells.push(cell);
  }

  /** A delimiter was read: refuses the record at once when one more cell is more than MAX_COLUMNS. */
  private expectAnotherCell(): void {
    if (this.cells.length < this.limits.maxColumns) return;
    throw this.refuse(
      'too_large',
      `row ${this.recordNumber} has more than ${this.limits.maxColumns} columns (MAX_COLUMNS)`,
      `more than ${this.limits.maxColumns} columns`,
    );
  }

  private endRecord(): void {
    if (!this.header && this.cells.some((cell) => cell.trim() !== '')) this.header = this.cells;
    this.out.push(this.cells);
    this.cells = [];
    this.recordBytes = 0;
    this.recordNumber++;
  }

  private cellTooLarge(): never {
    const limit = this.limits.maxCellBytes;
    throw this.refuse(
      'too_large',
      `a cell in row ${this.recordNumber} is larger than ${limit} bytes (MAX_CELL_BYTES)`,
      `cell larger than ${limit} bytes`,
      this.columnName(this.cells.length),
    );
  }

  private columnName(index: number): string | null {
    const name = this.header?.[index]?.trim();
    return name ? shortColumnName(name) : null;
  }

  private recordTooLarge(): never {
    const limit = this.limits.maxRecordBytes;
    throw this.refuse(
      'too_large',
      `row ${this.recordNumber} is larger than ${limit} bytes (MAX_RECORD_BYTES)`,
      `row larger than ${limit} bytes`,
    );
  }

  private refuse(
    kind: CsvRefusal,
    message: string,
    problem?: string,
    column: string | null = null,
  ): CsvValidationError {
    const whole =
      kind === 'invalid' ? `the file is not valid CSV: ${message}` : `${message}; nothing was stored`;
    return new CsvValidationError(
      whole,
      [{ row: this.recordNumber, column, message: problem ?? whole }],
      kind,
    );
  }
}
