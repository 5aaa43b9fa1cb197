import type { EntityManager } from 'typeorm';

/** Bound parameters per statement: under SQLite's 32,766 and PostgreSQL's 65,535. */
const MAX_PARAMETERS = 30_000;

/**
 * Inserts many rows with multi-row INSERT statements (one per ~30,000 values), skipping the ORM's
 * per-entity work: the upload path stores hundreds of thousands of rows this way. Values must already
 * be in their column form (numbers, strings, null).
 */
export async function bulkInsert(manager: EntityManager, table: string, columns: string[], rows: unknown[][]): Promise<void> {
  const postgres = manager.connection.options.type === 'postgres';
  const rowsPerStatement = Math.max(1, Math.floor(MAX_PARAMETERS / columns.length));
  const head = `INSERT INTO ${table} (${columns.join(', ')}) VALUES `;
  for (let start = 0; start < rows.length; start += rowsPerStatement) {
    const chunk = rows.slice(start, start + rowsPerStatement);
    let parameter = 0;
    const tuples = chunk.map(() => `(${columns.map(() => (postgres ? `$${++parameter}` : '?')).join(', ')})`);
    await manager.query(head + tuples.join(', '), chunk.flat());
  }
}
