import type BetterSqlite3 from 'better-sqlite3';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * better-sqlite3 for the running Node.js. Version 13 (Node-API) on Node 22 and newer: 12 wraps its
 * objects with Node's own ObjectWrap, whose cleanup hook aborts the process on Node 24.19+ (`Assertion
 * failed: (env) != nullptr` when a database or statement is garbage-collected at exit). Version 12
 * (installed as `better-sqlite3-node20`) on Node 20, which 13 no longer supports: 13 is an optional
 * dependency, which npm skips on Node 20 (its engines say >=22) instead of building it for nothing.
 */
export function loadSqliteDriver(): typeof BetterSqlite3 {
  return require(sqliteDriverPath()) as typeof BetterSqlite3;
}

/** Where the running Node's better-sqlite3 is (for a worker thread to load the same one). */
export function sqliteDriverPath(): string {
  const major = Number(process.versions.node.split('.')[0]);
  return require.resolve(major >= 22 ? 'better-sqlite3' : 'better-sqlite3-node20');
}
