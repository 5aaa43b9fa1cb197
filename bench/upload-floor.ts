/**
 * The floor of phase 4 (`npm run bench`): what storing an upload's rows costs at best, beside what the
 * service takes. The same rows as the service stores (one product per CSV row, its images, ids made as
 * the service makes them), generated before the clock starts, then inserted alone on the service's
 * schema (its migrations) as fast as the drivers allow:
 *   - SQLite, better-sqlite3 directly: multi-row prepared INSERTs (the values every row shares bound once
 *     per statement), each prepared once and reused, in one
 *     transaction; and again in the service's slices (1,000 images a transaction), the WAL checkpointed
 *     beside them by a thread of its own, a checkpoint after each slice committed while none runs
 *   - PostgreSQL, `pg` directly: one transaction, one `COPY … FROM STDIN` per table of all its rows, as
 *     the service sends them (copyRows; skipped without TEST_DATABASE_URL)
 * Parsing alone is the breakdown's parseProductCsv figure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { once } from 'node:events';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../src/config/app-config.js';
import { standaloneDataSourceOptions } from '../src/standalone-data-source.js';
import { loadSqliteDriver, sqliteDriverPath } from '../src/database/sqlite-driver.js';
import { imageIdsAt, randomFolder } from '../src/images/image-id.js';
import { type BulkValue, copyRows } from '../src/database/sql.js';
import {
  IMAGE_COLUMNS,
  IMAGE_SHARED_COLUMNS,
  PRODUCT_COLUMNS,
  PRODUCT_SHARED_COLUMNS,
} from '../src/images/upload-columns.js';
import { PostgresDatabase } from '../test/helpers/postgres-database.js';
import { round } from './measure.js';

export interface UploadFloor {
  rows: number;
  images: number;
  sqliteOneTransactionMs: number;
  sqliteSlicedMs: number;
  postgresMs?: number;
  postgresSkipped?: string;
}

const IMAGES_PER_SLICE = 1_000;
const ROWS_PER_INSERT = 100;

/** Per-row values, and the values every row shares (bound once per statement, as the service does). */
interface Rows {
  products: BulkValue[][];
  images: BulkValue[][];
  sharedByProducts: BulkValue[];
  sharedByImages: BulkValue[];
}

interface Table {
  name: string;
  sharedColumns: readonly string[];
  columns: readonly string[];
}

const PRODUCTS: Table = {
  name: 'products',
  sharedColumns: PRODUCT_SHARED_COLUMNS,
  columns: PRODUCT_COLUMNS,
};
const IMAGES: Table = {
  name: 'images',
  sharedColumns: IMAGE_SHARED_COLUMNS,
  columns: IMAGE_COLUMNS,
};

/** The rows an upload of `urlsOfRow` stores, with the service's ids (one folder per 1,000 images). */
function rowsOf(rowCount: number, urlsOfRow: (row: number) => string[]): Rows {
  const taskId = '11111111-1111-4111-8111-111111111111';
  const now = Date.now();
  const products: BulkValue[][] = [];
  const images: BulkValue[][] = [];
  let newId = imageIdsAt(now, randomFolder());
  for (let row = 1; row <= rowCount; row++) {
    const urls = urlsOfRow(row);
    products.push([row + 1, String(row), `Product ${row}`, JSON.stringify([String(row), urls.join(',')])]);
    urls.forEach((url, position) => {
      if (images.length % IMAGES_PER_SLICE === 0) newId = imageIdsAt(now, randomFolder());
      images.push([newId(), row + 1, position, url, now, null]);
    });
  }
  return { products, images, sharedByProducts: [taskId], sharedByImages: [taskId, 'queued', 0] };
}

async function migrated(env: Record<string, string>): Promise<void> {
  const source = new DataSource(standaloneDataSourceOptions(loadConfig(env)));
  await source.initialize();
  await source.destroy();
}

/** On a fresh database file with the service's schema. */
async function sqliteFloor(rows: Rows, sliced: boolean): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pixelmill-bench-floor-'));
  try {
    await migrated({ DATA_DIR: dataDir });
    return await sqliteInsert(dataDir, rows, sliced);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The service's checkpointer, as its slices use it: a thread of its own, on its own connection, that
 * checkpoints the WAL (PASSIVE) whenever a slice was committed since its last checkpoint. `committed()`
 * after each slice; `stop()` once they are all written.
 */
function checkpointerBeside(file: string): { committed: () => void; stop: () => Promise<void> } {
  // [slices committed, stop]
  const shared = new Int32Array(new SharedArrayBuffer(8));
  const worker = new Worker(
    `const { workerData: { driver, file, shared } } = require('node:worker_threads');
    const db = new (require(driver))(file, { timeout: 10000 });
    let copied = 0;
    for (;;) {
      Atomics.wait(shared, 0, copied);
      if (Atomics.load(shared, 1) === 1) break;
      copied = Atomics.load(shared, 0);
      db.pragma('wal_checkpoint(PASSIVE)');
    }
    db.close();`,
    { eval: true, workerData: { driver: sqliteDriverPath(), file, shared } },
  );
  return {
    committed: () => {
      Atomics.add(shared, 0, 1);
      Atomics.notify(shared, 0);
    },
    stop: async () => {
      Atomics.store(shared, 1, 1);
      Atomics.add(shared, 0, 1);
      Atomics.notify(shared, 0);
      await once(worker, 'exit');
    },
  };
}

async function sqliteInsert(dataDir: string, rows: Rows, sliced: boolean): Promise<number> {
  const Database = loadSqliteDriver();
  const file = join(dataDir, 'pixelmill.sqlite');
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('wal_autocheckpoint = 0');
    const statements = new Map<string, ReturnType<typeof db.prepare>>();
    const insert = (table: Table, shared: BulkValue[], values: BulkValue[][]) => {
      const { name, sharedColumns, columns } = table;
      for (let start = 0; start < values.length; start += ROWS_PER_INSERT) {
        const chunk = values.slice(start, start + ROWS_PER_INSERT);
        const key = `${name} ${chunk.length}`;
        let statement = statements.get(key);
        if (!statement) {
          const tuple = `(${columns.map(() => '?').join(', ')})`;
          const select = [...sharedColumns.map(() => '?'), ...columns.map((_, i) => `column${i + 1}`)];
          statement = db.prepare(
            `INSERT INTO ${name} (${[...sharedColumns, ...columns].join(', ')}) SELECT ${select.join(', ')} FROM (VALUES ${chunk.map(() => tuple).join(', ')})`,
          );
          statements.set(key, statement);
        }
        statement.run([...shared, ...chunk.flat()]);
      }
    };
    const start = performance.now();
    if (!sliced) {
      db.transaction(() => {
        insert(PRODUCTS, rows.sharedByProducts, rows.products);
        insert(IMAGES, rows.sharedByImages, rows.images);
      })();
    } else {
      // As the service slices: ~1,000 images and their products a transaction, checkpointed beside.
      const checkpointer = checkpointerBeside(file);
      const productsPerSlice = Math.ceil((rows.products.length * IMAGES_PER_SLICE) / rows.images.length);
      for (let slice = 0; slice * IMAGES_PER_SLICE < rows.images.length; slice++) {
        db.transaction(() => {
          insert(
            PRODUCTS,
            rows.sharedByProducts,
            rows.products.slice(slice * productsPerSlice, (slice + 1) * productsPerSlice),
          );
          insert(
            IMAGES,
            rows.sharedByImages,
            rows.images.slice(slice * IMAGES_PER_SLICE, (slice + 1) * IMAGES_PER_SLICE),
          );
        })();
        checkpointer.committed();
      }
      const elapsed = performance.now() - start;
      await checkpointer.stop();
      return elapsed;
    }
    return performance.now() - start;
  } finally {
    db.close();
  }
}

async function postgresFloor(rows: Rows): Promise<number> {
  const database = await PostgresDatabase.create();
  try {
    await migrated({ DATA_DIR: tmpdir(), DATABASE_URL: database.url });
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const insert = ({ name, sharedColumns, columns }: Table, shared: BulkValue[], values: BulkValue[][]) =>
        copyRows(client, `${name} (${[...sharedColumns, ...columns].join(', ')})`, values, shared);
      const start = performance.now();
      await client.query('BEGIN');
      await insert(PRODUCTS, rows.sharedByProducts, rows.products);
      await insert(IMAGES, rows.sharedByImages, rows.images);
      await client.query('COMMIT');
      return performance.now() - start;
    } finally {
      await client.end();
    }
  } finally {
    await database.drop();
  }
}

/** The floors for `rowCount` rows of `urlsOfRow`'s URLs; PostgreSQL only when `postgresSkipped` is undefined. */
export async function uploadFloor(
  rowCount: number,
  urlsOfRow: (row: number) => string[],
  postgresSkipped: string | undefined,
): Promise<UploadFloor> {
  const rows = rowsOf(rowCount, urlsOfRow);
  return {
    rows: rowCount,
    images: rows.images.length,
    sqliteOneTransactionMs: round(await sqliteFloor(rows, false), 0),
    sqliteSlicedMs: round(await sqliteFloor(rows, true), 0),
    postgresMs: postgresSkipped ? undefined : round(await postgresFloor(rows), 0),
    postgresSkipped,
  };
}
