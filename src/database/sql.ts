import type { Database, Statement } from 'better-sqlite3';
import { createHash } from 'node:crypto';
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

/**
 * For one UPDATE of several rows that other transactions also update several at a time (counters): on
 * PostgreSQL, `lock` is a leading CTE that locks the rows in key order (its `count` parameters, the keys
 * in any order, come first) and `locked(column)` the UPDATE's condition that reads it (an unread CTE
 * does not run; `= ANY (ARRAY(…))` finds the rows by index whatever the plan). Transactions that lock this way, row by row in key order, queue behind each other
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
    locked: (column) => `AND ${column} = ANY (ARRAY(SELECT key FROM locked))`,
  };
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
/** The driver's connection of a PostgreSQL transaction: node-postgres's client. */
interface PostgresClient {
  query(config: {
    name: string;
    text: string;
    values: unknown[];
  }): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

/** Prepared statements' names by their text (a digest: equal texts share one statement). */
const statementNames = new Map<string, string>();

/**
 * `execute` for the queue's hot statements, each of a few shapes only (its lists no longer than a
 * claim or a batch): on PostgreSQL a named prepared statement, parsed and planned once per
 * connection, where an unnamed one is planned on every call (half the server's time on a claim's
 * statements). A statement of many shapes (a list of any length) must not use it: each shape stays
 * prepared on every connection. SQLite prepares every statement already (the driver's cache).
 */
export async function executePrepared<T = Record<string, unknown>>(
  manager: EntityManager,
  sql: string,
  parameters: unknown[] = [],
): Promise<SqlResult<T>> {
  if (!isPostgres(manager) || !manager.queryRunner) return execute<T>(manager, sql, parameters);
  const text = placeholders(manager, sql);
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `pixelmill_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
    statementNames.set(text, name);
  }
  const client = (manager.queryRunner as unknown as { databaseConnection: PostgresClient })
    .databaseConnection;
  const result = await client.query({ name, text, values: parameters });
  return { records: result.rows as T[], affected: result.rowCount ?? 0 };
}

/** Values that are the same in every row of a bulk insert (an upload's task id…), with their columns. */
export interface SharedValues {
  columns: BulkColumns;
  /** In the order of `columns`. */
  values: unknown[];
}

/**
 * Inserts many rows, skipping the ORM's per-entity work: the upload path stores hundreds of thousands of
 * rows this way. Values must already be in their column form (numbers, strings, null); `shared` values
 * are bound once per statement rather than once per row (a third of an upload's image values were the
 * same in every row: binding them cost ~15% of the INSERTs' CPU). SQLite: multi-row INSERTs of
 * ROWS_PER_INSERT rows, each prepared once and reused (`SELECT ?, column1… FROM (VALUES …)` with shared
 * values). PostgreSQL: one statement whatever the number of rows, one array per column
 * (`INSERT … SELECT * FROM unnest($1::text[], …)`), so the server parses a short statement and the
 * driver sends one parameter per column rather than one per value.
 */
export async function bulkInsert(
  manager: EntityManager,
  table: string,
  columns: BulkColumns,
  rows: unknown[][],
  shared: SharedValues = { columns: {}, values: [] },
): Promise<void> {
  if (rows.length === 0) return;
  const names = Object.keys(columns);
  const sharedNames = Object.keys(shared.columns);
  const target = `INSERT INTO ${table} (${[...sharedNames, ...names].join(', ')})`;
  if (isPostgres(manager)) {
    const arrays = names.map((_, column) => rows.map((row) => row[column]));
    const sharedList = sharedNames.map((name, index) => `$${index + 1}::${shared.columns[name]}`);
    const unnest = names.map((name, column) => `$${sharedNames.length + column + 1}::${columns[name]}[]`);
    await execute(
      manager,
      `${target} SELECT ${[...sharedList, 'u.*'].join(', ')} FROM unnest(${unnest.join(', ')}) AS u`,
      [...shared.values, ...arrays],
    );
    return;
  }
  const rowsPerStatement = Math.min(ROWS_PER_INSERT, Math.floor(MAX_PARAMETERS / names.length));
  const tuple = `(${inList(names.length)})`;
  const rowColumns = names.map((_, index) => `column${index + 1}`);
  const tuples = (count: number) => Array.from({ length: count }, () => tuple).join(', ');
  const statementOf = (count: number) =>
    sharedNames.length === 0
      ? `${target} VALUES ${tuples(count)}`
      : `${target} SELECT ${[inList(sharedNames.length), ...rowColumns].join(', ')} FROM (VALUES ${tuples(count)})`;
  const full = statementOf(rowsPerStatement);
  for (let start = 0; start < rows.length; start += rowsPerStatement) {
    const end = Math.min(rows.length, start + rowsPerStatement);
    const values: unknown[] = [...shared.values];
    for (let row = start; row < end; row++) for (const value of rows[row]) values.push(value);
    await execute(manager, end - start === rowsPerStatement ? full : statementOf(end - start), values);
  }
}
