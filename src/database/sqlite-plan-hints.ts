/**
 * SQLite plans without statistics and takes the status index for any `status = ?` term, scanning every
 * queued image: these keep a statement on the index it needs. `INDEXED BY` names the index a walk must
 * use; `+` in front of a column keeps SQLite off that column's index (for a statement that finds its
 * rows by id). PostgreSQL plans from its own statistics: both are empty there.
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
