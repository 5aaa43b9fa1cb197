/**
 * SQLite plans without statistics and may walk a partial index of a status, or a request's every image,
 * where a statement needs another index: these keep a statement on the index it needs. `INDEXED BY`
 * names the index a walk must use (a partial one only where the statement's WHERE holds its very
 * condition, literally: SQLite refuses to prepare it otherwise); `+` in front of a column keeps SQLite
 * off that column's indexes (for a statement that finds its rows by id). PostgreSQL plans from its own
 * statistics: both are empty there.
 */
export class SqlitePlanHints {
  constructor(private readonly isPostgres: boolean) {}

  indexedBy(index: string): string {
    return this.isPostgres ? '' : `INDEXED BY ${index}`;
  }

  /** Prefix a column with it: `${hints.noIndex}status = 'queued'`. */
  get noIndex(): string {
    return this.isPostgres ? '' : '+';
  }
}
