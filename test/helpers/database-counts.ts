import { join } from 'node:path';
import { loadSqliteDriver } from '../../src/database/sqlite-driver.js';

const Database = loadSqliteDriver();

/** Reads the service's SQLite file directly (read-only), to check what was and was not stored. */
export function queryDatabase<T = Record<string, unknown>>(
  dataDir: string,
  sql: string,
  ...params: unknown[]
): T[] {
  const db = new Database(join(dataDir, 'pixelmill.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

export function countRows(
  dataDir: string,
  table:
    | 'tasks'
    | 'products'
    | 'images'
    | 'webhook_deliveries'
    | 'staged_tasks'
    | 'outputs'
    | 'sources'
    | 'output_removals',
): number {
  return queryDatabase<{ count: number }>(dataDir, `SELECT COUNT(*) AS count FROM ${table}`)[0].count;
}
