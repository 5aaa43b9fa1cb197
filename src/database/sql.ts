import type { EntityManager } from 'typeorm';

/** Bound parameters per statement: under SQLite's 32,766 and PostgreSQL's 65,535. */
const MAX_PARAMETERS = 30_000;

const isPostgres = (manager: EntityManager) => manager.connection.options.type === 'postgres';

/** `?` placeholders become `$1, $2…` on PostgreSQL. */
function placeholders(manager: EntityManager, sql: string): string {
  if (!isPostgres(manager)) return sql;
  let index = 0;
  return sql.replace(/\?/g, () => `$${++index}`);
}

/**
 * For one UPDATE of several rows that other transactions also update several at a time (counters): on
 * PostgreSQL, `lock` is a leading CTE that locks the rows in key order (its `count` parameters, the keys
 * in any order, come first) and `locked(column)` the UPDATE's condition that reads it (an unread CTE
 * does not run). Transactions that lock this way, row by row in key order, queue behind each other
 * instead of deadlocking. SQLite runs one transaction at a time: both are empty.
 */
export function keyOrderLock(
  manager: EntityManager,
  table: string,
  key: string,
  count: number,
): { lock: string; locked: (column: string) => string } {
  if (!isPostgres(manager)) return { lock: '', locked: () => '' };
  return {
    lock: `WITH locked AS MATERIALIZED (SELECT ${key} AS key FROM ${table} WHERE ${key} IN (${inList(count)}) ORDER BY ${key} FOR UPDATE)`,
    locked: (column) => `AND ${column} IN (SELECT key FROM locked)`,
  };
}

/** `?, ?, …`: the placeholders of an `IN (…)` list of `count` values. */
export const inList = (count: number) => Array.from({ length: count }, () => '?').join(', ');

export interface SqlResult<T> {
  records: T[];
  affected: number;
}

/**
 * Runs one statement with bound parameters in the manager's transaction. The hot per-image statements
 * go through here rather than the query builder, which writes numbers into the SQL text: every
 * timestamp made a new statement for SQLite to prepare, and flushed its statement cache.
 */
export async function execute<T = Record<string, unknown>>(
  manager: EntityManager,
  sql: string,
  parameters: unknown[] = [],
): Promise<SqlResult<T>> {
  if (!manager.queryRunner) throw new Error('execute() runs inside a transaction');
  const result = await manager.queryRunner.query(placeholders(manager, sql), parameters, true);
  return { records: (result.records ?? []) as T[], affected: result.affected ?? 0 };
}

/**
 * Inserts many rows with multi-row INSERT statements (one per ~30,000 values), skipping the ORM's
 * per-entity work: the upload path stores hundreds of thousands of rows this way. Values must already
 * be in their column form (numbers, strings, null).
 */
export async function bulkInsert(
  manager: EntityManager,
  table: string,
  columns: string[],
  rows: unknown[][],
): Promise<void> {
  const rowsPerStatement = Math.max(1, Math.floor(MAX_PARAMETERS / columns.length));
  const tuple = `(${inList(columns.length)})`;
  for (let start = 0; start < rows.length; start += rowsPerStatement) {
    const chunk = rows.slice(start, start + rowsPerStatement);
    const sql = `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${chunk.map(() => tuple).join(', ')}`;
    await execute(manager, sql, chunk.flat());
  }
}
