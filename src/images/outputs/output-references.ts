import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { execute, inList } from '../../database/sql.js';
import type { Transaction } from '../../database/unit-of-work.js';

/**
 * The references to stored outputs (the `outputs` table): an output made for one image may be reused
 * by its owner's later requests, so it belongs to every image that names it, and goes only with the
 * last. Reuse adds a reference in the transaction that records the reusing image; `release` takes them
 * off in the transaction that deletes images.
 */
@Injectable()
export class OutputReferences {
  constructor(private readonly config: AppConfig) {}

  /**
   * Takes one reference off each output key (a key named twice loses two), deletes the outputs left
   * with none and the sources that named them, and returns the keys whose storage objects are to go:
   * those, and keys no `outputs` row knows (an output made before outputs were shared had one image
   * only). On PostgreSQL the rows are locked in key order first, as reuse does (ReuseLedger), so a
   * deletion and a reuse of the same output queue behind each other: either the reuse counts first and the output
   * stays, or the deletion removes the row first and the reuse finds it gone.
   */
  async release(tx: Transaction, outputKeys: string[]): Promise<Set<string>> {
    const counts = new Map<string, number>();
    for (const key of outputKeys) counts.set(key, (counts.get(key) ?? 0) + 1);
    if (counts.size === 0) return new Set();
    const keys = [...counts.keys()].sort();
    if (this.config.database.isPostgres)
      await execute(
        tx.manager,
        `SELECT output_key FROM outputs WHERE output_key IN (${inList(keys.length)}) ORDER BY output_key FOR UPDATE`,
        keys,
      );
    const { records } = await execute<{ key: string; refs: number }>(
      tx.manager,
      `UPDATE outputs SET refs = refs - CAST(v.column2 AS INTEGER)
        FROM (VALUES ${keys.map(() => '(?, ?)').join(', ')}) AS v
        WHERE outputs.output_key = v.column1
        RETURNING outputs.output_key AS key, outputs.refs AS refs`,
      keys.flatMap((key) => [key, counts.get(key)]),
    );
    const known = new Set(records.map((record) => record.key));
    const unreferenced = records.filter((record) => record.refs <= 0).map((record) => record.key);
    if (unreferenced.length > 0) {
      const list = inList(unreferenced.length);
      await execute(tx.manager, `DELETE FROM sources WHERE output_key IN (${list})`, unreferenced);
      await execute(tx.manager, `DELETE FROM outputs WHERE output_key IN (${list})`, unreferenced);
    }
    return new Set([...unreferenced, ...keys.filter((key) => !known.has(key))]);
  }
}
