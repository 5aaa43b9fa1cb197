/**
 * What a spreadsheet may skip before it reads a cell's first character: whitespace, control
 * characters, zero-width and bidirectional marks, and a BOM (OWASP CSV injection: leading spaces
 * do not make a formula safe).
 */
const IGNORED_LEAD = /^[\s\p{Cc}\p{Cf}]*/u;

/**
 * Characters that make a spreadsheet treat a cell as a formula: `=`, `+`, `-`, `@`, tab, CR (OWASP)
 * and NUL (ASVS 1.2.10), and their full-width, small and mathematical look-alikes, which some
 * spreadsheets normalise to the ASCII character.
 */
const FORMULA_START =
  /^[=+\-@\t\r\0\uFF1D\uFF0B\uFF0D\uFF20\uFE66\uFE62\uFE63\u2212\u207A\u207B\u208A\u208B]/u;

/** Prefixes a client-supplied cell with `'` when a spreadsheet could run it as a formula. */
export function neutraliseFormula(cell: string): string {
  return FORMULA_START.test(cell.replace(IGNORED_LEAD, '')) || /^[\t\r\0]/.test(cell) ? `'${cell}` : cell;
}
