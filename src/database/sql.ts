import type { Database, Statement } from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { finished } from 'node:stream/promises';
import type { ClientBase } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { EntityManager, ObjectLiteral, Repository } from 'typeorm';

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

/**
 * `column` among `values` (text) as one statement text whatever their number: SQLite reads the list
 * from a JSON array, PostgreSQL from a text array. A statement per list length (`IN (?, ?…)`) would
 * take a place in the SQLite connection's statement cache for each length asked, and a client choosing
 * its page size could push the hot per-image statements out of it.
 */
export function inTextList(
  manager: EntityManager,
  column: string,
  values: readonly string[],
): { sql: string; parameter: string | readonly string[] } {
  return isPostgres(manager)
    ? { sql: `${column} = ANY (CAST(? AS TEXT[]))`, parameter: values }
    : { sql: `${column} IN (SELECT value FROM json_each(?))`, parameter: JSON.stringify(values) };
}

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

/**
 * Reads rows with one statement outside any transaction of its own (a request's status, its counters),
 * where the query builder or a query runner's layers cost more main-thread CPU than the statement
 * itself. PostgreSQL: a pooled connection. SQLite: the connection's shared prepared statement, run at
 * once, so inside the transaction another caller has open meanwhile, if any, as TypeORM's reads run
 * (fine for what a client polls; reads that must not see a transaction's rows use UnitOfWork.read).
 */
export async function selectRows<T = Record<string, unknown>>(
  manager: EntityManager,
  sql: string,
  parameters: unknown[] = [],
): Promise<T[]> {
  if (isPostgres(manager)) return manager.query(placeholders(manager, sql), parameters);
  return sqliteStatement(manager, sql).all(parameters) as T[];
}

/**
 * Runs one write outside any transaction of its own, as `selectRows` reads (at start, say, before any
 * work): PostgreSQL, a pooled connection; SQLite, the connection's shared prepared statement.
 */
export async function executeAlone(
  manager: EntityManager,
  sql: string,
  parameters: unknown[] = [],
): Promise<void> {
  if (isPostgres(manager)) await manager.query(placeholders(manager, sql), parameters);
  else sqliteStatement(manager, sql).run(parameters);
}

/**
 * The first entity whose row meets `where` (`?` placeholders), read with `selectRows` and hydrated as the
 * query builder hydrates it, from the entity's metadata: every column, its type, JSON and transformer.
 * On the status path: `findOneBy` of a task cost ~0.15-0.26 ms of main-thread CPU, this ~0.03 ms (SQLite).
 */
export async function findOneWhere<T extends ObjectLiteral>(
  repository: Repository<T>,
  where: string,
  parameters: unknown[],
): Promise<T | null> {
  const { metadata, manager } = repository;
  const columns = metadata.columns.map((column) => `"${column.databaseName}"`).join(', ');
  const [row] = await selectRows<Record<string, unknown>>(
    manager,
    `SELECT ${columns} FROM ${metadata.tableName} WHERE ${where} LIMIT 1`,
    parameters,
  );
  if (!row) return null;
  const entity = metadata.create() as T;
  const { driver } = manager.connection;
  for (const column of metadata.columns)
    column.setEntityValue(entity, driver.prepareHydratedValue(row[column.databaseName], column));
  return entity;
}

/** The driver's connection of a PostgreSQL transaction: node-postgres's client. */
const postgresClient = (manager: EntityManager) =>
  (manager.queryRunner as unknown as { databaseConnection: ClientBase }).databaseConnection;

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
  const result = await postgresClient(manager).query({ name, text, values: parameters });
  return { records: result.rows as T[], affected: result.rowCount ?? 0 };
}

/** A value of a bulk insert, in its column form. */
export type BulkValue = string | number | null;

/** Values that are the same in every row of a bulk insert (an upload's task id…), with their columns. */
export interface SharedValues {
  columns: readonly string[];
  /** In the order of `columns`. */
  values: BulkValue[];
}

/**
 * Inserts many rows, skipping the ORM's per-entity work: the upload path stores hundreds of thousands of
 * rows this way. Values must already be in their column form (numbers, strings, null); `shared` values
 * are the same in every row. SQLite: multi-row INSERTs of ROWS_PER_INSERT rows, each prepared once and
 * reused, the shared values bound once per statement (`SELECT ?, column1… FROM (VALUES …)`: a third of
 * an upload's image values were the same in every row, and binding them cost ~15% of the INSERTs' CPU).
 * PostgreSQL: `COPY … FROM STDIN` in its text format (copyText), the server's own bulk load: it reads
 * rows as a stream, with no statement to plan and no parameter to decode (a 300,000-image upload cost
 * its server about a third less CPU than as `INSERT … SELECT * FROM unnest($1::text[], …)`, and this
 * process the arrays' encoding).
 */
export async function bulkInsert(
  manager: EntityManager,
  table: string,
  columns: readonly string[],
  rows: BulkValue[][],
  shared: SharedValues = { columns: [], values: [] },
): Promise<void> {
  if (rows.length === 0) return;
  const target = `${table} (${[...shared.columns, ...columns].join(', ')})`;
  if (isPostgres(manager)) {
    if (!manager.queryRunner) throw new Error('bulkInsert() runs inside a transaction');
    return copyRows(postgresClient(manager), target, rows, shared.values);
  }
  const rowsPerStatement = Math.min(ROWS_PER_INSERT, Math.floor(MAX_PARAMETERS / columns.length));
  const tuple = `(${inList(columns.length)})`;
  const rowColumns = columns.map((_, index) => `column${index + 1}`);
  const tuples = (count: number) => Array.from({ length: count }, () => tuple).join(', ');
  const statementOf = (count: number) =>
    shared.columns.length === 0
      ? `INSERT INTO ${target} VALUES ${tuples(count)}`
      : `INSERT INTO ${target} SELECT ${[inList(shared.columns.length), ...rowColumns].join(', ')} FROM (VALUES ${tuples(count)})`;
  const full = statementOf(rowsPerStatement);
  for (let start = 0; start < rows.length; start += rowsPerStatement) {
    const end = Math.min(rows.length, start + rowsPerStatement);
    const values: BulkValue[] = [...shared.values];
    for (let row = start; row < end; row++) for (const value of rows[row]) values.push(value);
    await execute(manager, end - start === rowsPerStatement ? full : statementOf(end - start), values);
  }
}

/**
 * Sends rows to `target` (`table (columns…)`) with `COPY … FROM STDIN` in the text format (copyText);
 * resolves once the server has taken them all.
 */
export async function copyRows(
  client: ClientBase,
  target: string,
  rows: BulkValue[][],
  shared: BulkValue[] = [],
): Promise<void> {
  const copy = client.query(copyFrom(`COPY ${target} FROM STDIN`));
  copy.end(copyText(rows, shared));
  await finished(copy);
}

/** The characters COPY's text format gives a meaning to, and how a value writes them. */
const COPY_SPECIAL = /[\\\n\r\t]/g;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Rows in COPY's text format: values separated by tabs, a row per line, `\N` for null, and in a value
 * the backslash, newline, carriage return and tab written as `\\`, `\n`, `\r`, `\t`, so client text
 * (product names, URLs, cells) comes back as it was sent. A NUL cannot be stored in a PostgreSQL text
 * value in any form (uploads holding one are refused before this). `shared`: values that begin every row.
 */
export function copyText(rows: BulkValue[][], shared: BulkValue[] = []): string {
  const prefix = shared.map((value) => `${copyValue(value)}\t`).join('');
  let text = '';
  for (const row of rows) {
    text += prefix;
    for (let column = 0; column < row.length; column++) {
      if (column > 0) text += '\t';
      text += copyValue(row[column]);
    }
    text += '\n';
  }
  return text;
}

function copyValue(value: BulkValue): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return String(value);
  return value.replace(COPY_SPECIAL, (special) => COPY_ESCAPES[special]);
}
