import type { Database, Statement } from 'better-sqlite3';
import type { EntityManager } from 'typeorm';

/** Bound parameters per statement: under SQLite's 32,766 and PostgreSQL's 65,535. */
const MAX_PARAMETERS = 30_000;

/**
 * Rows per multi-row INSERT on SQLite: every full chunk runs one prepared statement, kept for the next
 * chunks and the next calls (with 1,000-image slices, ~10 executions of one statement per slice).
 */
const ROWS_PER_INSERT = 100;

/** Prepared statements kept per SQLite connection, least recently used dropped first. */
const STATEMENTS_KEPT = 256;

const isPostgres = (manager: EntityManager) => manager.connection.options.type === 'postgres';

/** `?` placeholders become `$1, $2…` on PostgreSQL. */
function placeholders(manager: EntityManager, sql: string): string {
  if (!isPostgres(manager)) return sql;
  let index = 0;
  return sql.replace(/\?/g, () => `$${++index}`);
}

/** `?, ?, …`: the placeholders of an `IN (…)` list of `count` values. */
export const inList = (count: number) => Array.from({ length: count }, () => '?').join(', ');

export interface SqlResult<T> {
  records: T[];
  affected: number;
}

/**
 * SQLite's statements, prepared once per connection and reused by every transaction. TypeORM's query
 * runner keeps its cache per query runner, that is per transaction: each transaction prepared its
 * statements again (the upload's 1,000-row INSERTs, the hot per-image batches), and each call also
 * went through its logger, broadcaster and parameter copy. SQLite has one connection in this process,
 * and better-sqlite3 runs each statement to its end synchronously, so sharing them is safe.
 */
const sqliteStatements = new WeakMap<Database, Map<string, Statement>>();

function sqliteStatement(manager: EntityManager, sql: string): Statement {
  const connection = (manager.connection.driver as unknown as { databaseConnection: Database })
    .databaseConnection;
  let statements = sqliteStatements.get(connection);
  if (!statements) sqliteStatements.set(connection, (statements = new Map()));
  let statement = statements.get(sql);
  if (statement) {
    statements.delete(sql); // most recently used last
  } else {
    statement = connection.prepare(sql);
    if (statements.size >= STATEMENTS_KEPT) statements.delete(statements.keys().next().value!);
  }
  statements.set(sql, statement);
  return statement;
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
  if (isPostgres(manager)) {
    const result = await manager.queryRunner.query(placeholders(manager, sql), parameters, true);
    return { records: (result.records ?? []) as T[], affected: result.affected ?? 0 };
  }
  const statement = sqliteStatement(manager, sql);
  if (statement.reader) {
    const records = statement.all(parameters) as T[];
    return { records, affected: records.length };
  }
  return { records: [], affected: statement.run(parameters).changes };
}

/** A column of a bulk insert, with its PostgreSQL type (the type of its `unnest` array). */
export type BulkColumns = Record<string, 'text' | 'integer' | 'bigint'>;

/**
 * Inserts many rows, skipping the ORM's per-entity work: the upload path stores hundreds of thousands of
 * rows this way. Values must already be in their column form (numbers, strings, null). SQLite: multi-row
 * INSERTs of ROWS_PER_INSERT rows, each prepared once and reused. PostgreSQL: one statement whatever the
 * number of rows, one array per column (`INSERT … SELECT * FROM unnest($1::text[], …)`), so the server
 * parses a short statement and the driver sends one parameter per column rather than one per value.
 */
export async function bulkInsert(
  manager: EntityManager,
  table: string,
  columns: BulkColumns,
  rows: unknown[][],
): Promise<void> {
  if (rows.length === 0) return;
  const names = Object.keys(columns);
  if (isPostgres(manager)) {
    const arrays = names.map((_, column) => rows.map((row) => row[column]));
    const unnest = names.map((name, column) => `$${column + 1}::${columns[name]}[]`).join(', ');
    await execute(
      manager,
      `INSERT INTO ${table} (${names.join(', ')}) SELECT * FROM unnest(${unnest})`,
      arrays,
    );
    return;
  }
  const rowsPerStatement = Math.min(ROWS_PER_INSERT, Math.floor(MAX_PARAMETERS / names.length));
  const tuple = `(${inList(names.length)})`;
  for (let start = 0; start < rows.length; start += rowsPerStatement) {
    const end = Math.min(rows.length, start + rowsPerStatement);
    const values: unknown[] = [];
    for (let row = start; row < end; row++) for (const value of rows[row]) values.push(value);
    const sql = `INSERT INTO ${table} (${names.join(', ')}) VALUES ${Array.from({ length: end - start }, () => tuple).join(', ')}`;
    await execute(manager, sql, values);
  }
}
