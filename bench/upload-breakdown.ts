import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { log, MiB, round } from './measure.js';
import { ROOT } from './lib/options.js';
import { table } from './lib/report.js';
import { makeTempDir } from './lib/temp-dirs.js';
import type { UploadFloor } from './upload-floor.js';
import { uploadCsv } from './lib/upload-csv.js';

export interface UploadBreakdown {
  rows: number;
  csvMiB: number;
  records: number;
  sha256Ms: number;
  decodeMs: number;
  tokenizeMs: number;
  /** parseProductCsv without storing: decode + fast-csv + validation. */
  parseProductCsvMs: number;
  validationMs: number;
  /** parseProductCsv feeding the service's writer inside one transaction (as on PostgreSQL; SQLite commits each batch). */
  storeTotalMs?: number;
  /** Time spent inside the writer (the INSERTs). */
  insertMs?: number;
  commitMs?: number;
  storeApi?: string;
  error?: string;
}

/**
 * The same upload, piece by piece, in this process and without HTTP: the SHA-256 of the file, UTF-8
 * decoding and fast-csv alone, the service's parseProductCsv (parse + validation), and then the
 * parse feeding the service's own row writer inside one transaction on a fresh SQLite file with the
 * service's data-source options (the service commits each batch on SQLite: the same inserts, one
 * COMMIT each). Everything comes from dist/ (just built: what the child runs;
 * TypeORM also needs the decorator metadata tsx does not emit), looked up at run time so that a
 * refactoring of the service degrades this diagnostic instead of breaking the bench or the typecheck.
 */
export async function uploadBreakdown(rows: number, imageBase: string): Promise<UploadBreakdown> {
  const dist = (path: string) => import(pathToFileURL(join(ROOT, 'dist', path)).href);
  const csv = Buffer.from(uploadCsv(rows, imageBase, `x${rows}`));
  const result: UploadBreakdown = {
    rows,
    csvMiB: round(csv.length / MiB, 1),
    records: 0,
    sha256Ms: NaN,
    decodeMs: NaN,
    tokenizeMs: NaN,
    parseProductCsvMs: NaN,
    validationMs: NaN,
  };
  const timed = async <T>(work: () => Promise<T> | T): Promise<[T, number]> => {
    const start = performance.now();
    const value = await work();
    return [value, round(performance.now() - start, 0)];
  };
  let dataSource: { isInitialized: boolean; destroy(): Promise<void> } | undefined;
  try {
    const parser = await dist('upload/csv-parser.js');
    const distConfig = await dist('config/app-config.js');
    const config = distConfig.loadConfig({ ...process.env, DATA_DIR: tmpdir() });
    const { CsvTokenizer } = await dist('upload/csv-tokenizer.js');
    const limits = {
      maxRows: config.limits.maxRows,
      maxUrlsPerRow: config.limits.maxUrlsPerRow,
      maxColumns: config.limits.maxColumns,
      maxCellBytes: config.limits.maxCellBytes,
      maxRecordBytes: config.limits.maxRecordBytes,
    };
    await parser.parseProductCsv(Buffer.from(uploadCsv(500, imageBase, 'warm')), limits); // warm the JIT

    [, result.sha256Ms] = await timed(() => createHash('sha256').update(csv).digest('hex'));
    const [text, decodeMs] = await timed(() => new TextDecoder('utf-8', { fatal: true }).decode(csv));
    result.decodeMs = decodeMs;
    [result.records, result.tokenizeMs] = await timed(() => {
      const tokenizer = new CsvTokenizer(limits);
      let count = 0;
      for (let start = 0; start < text.length; start += 64 * 1024)
        count += tokenizer.push(text.slice(start, start + 64 * 1024)).length;
      return count + tokenizer.end().length;
    });
    [, result.parseProductCsvMs] = await timed(() => parser.parseProductCsv(csv, limits));
    result.validationMs = Math.max(
      0,
      round(result.parseProductCsvMs - result.decodeMs - result.tokenizeMs, 0),
    );

    const [{ DataSource }, { standaloneDataSourceOptions }, { ProductWriter }, { TasksService }, { Task }] =
      await Promise.all([
        import('typeorm'),
        dist('standalone-data-source.js'),
        dist('images/product-writer.js'),
        dist('tasks/tasks.service.js'),
        dist('tasks/task.entity.js'),
      ]);
    const dbConfig = distConfig.loadConfig({
      ...process.env,
      DATA_DIR: makeTempDir('breakdown'),
      DATABASE_URL: undefined,
    });
    const source = new DataSource(standaloneDataSourceOptions(dbConfig));
    dataSource = source;
    await source.initialize();
    const images = new ProductWriter();
    const tasks = new TasksService(source.getRepository(Task));
    const requestId = '11111111-1111-4111-8111-111111111111';
    let insertMs = 0;
    const store = async (manager: unknown) => {
      const tx = { manager, afterCommit: () => undefined };
      const newTask = {
        id: requestId,
        totalImages: rows * 3,
        webhookUrl: null,
        csvHeaders: ['S. No.', 'Product Name', 'Input Image Urls'],
        idempotencyKey: null,
        contentHash: 'bench',
        outputOptions: { format: 'jpeg', quality: 50, maxWidth: null, maxHeight: null },
      };
      const timedWriter = (writer: (batch: unknown[]) => Promise<void>) => async (batch: unknown[]) => {
        const start = performance.now();
        await writer(batch);
        insertMs += performance.now() - start;
      };
      if (typeof images.writerFor === 'function') {
        // current API: rows are stored in batches while the CSV is read; the task row is written last
        result.storeApi = 'parseProductCsv({ onRows: ProductWriter.writerFor }) + TasksService.create';
        const writeRows = images.writerFor(requestId);
        await parser.parseProductCsv(csv, limits, {
          onRows: timedWriter((batch) => writeRows(tx, batch)),
        });
        await tasks.create(tx, newTask);
      } else if (typeof images.addProducts === 'function') {
        result.storeApi = 'parseProductCsv + TasksService.create + ImagesService.addProducts';
        const parsed = await parser.parseProductCsv(csv, limits);
        await tasks.create(tx, newTask);
        await timedWriter((batch) => images.addProducts(tx, requestId, batch))(parsed.rows);
      } else {
        throw new Error(
          'ProductWriter has neither writerFor nor addProducts: update uploadBreakdown in bench/upload-breakdown.ts',
        );
      }
    };
    const start = performance.now();
    let inTransactionMs = 0;
    await source.transaction(async (manager: unknown) => {
      await store(manager);
      inTransactionMs = performance.now() - start;
    });
    result.storeTotalMs = round(performance.now() - start, 0);
    result.insertMs = round(insertMs, 0);
    result.commitMs = round(result.storeTotalMs - inTransactionMs, 0);
  } catch (error) {
    result.error = (error as Error).message.split('\n')[0];
    log(`upload breakdown incomplete: ${result.error}`);
  } finally {
    if (dataSource?.isInitialized) await dataSource.destroy();
  }
  return result;
}

/** Where the upload's time goes, its floor, and the 202 on PostgreSQL. */
export function printUploadBreakdown(
  b: UploadBreakdown,
  floor: UploadFloor | undefined,
  postgresUploadMs: number | undefined,
): void {
  console.log(
    `\n   Where a ${b.rows}-row upload's time goes (${b.csvMiB} MiB; the service's code from dist/, in the bench process, no HTTP), ms`,
  );
  console.log(
    table(
      [
        'sha256',
        'decode',
        'tokenizer',
        'validation',
        'parseProductCsv',
        'parse + store in tx',
        'of which INSERTs',
        'commit',
      ],
      [
        [
          b.sha256Ms,
          b.decodeMs,
          b.tokenizeMs,
          b.validationMs,
          b.parseProductCsvMs,
          b.storeTotalMs ?? NaN,
          b.insertMs ?? NaN,
          b.commitMs ?? NaN,
        ],
      ],
    ),
  );
  if (b.storeApi) console.log(`   (stored with ${b.storeApi})`);
  if (floor)
    console.log(
      `   Floor for ${floor.rows} rows (${floor.images} images), ms: parsed alone ${b.parseProductCsvMs}; inserted alone with better-sqlite3 ${floor.sqliteOneTransactionMs} (one transaction), ${floor.sqliteSlicedMs} (the service's 1,000-image slices); with pg (COPY) ${floor.postgresMs ?? `– (${floor.postgresSkipped})`}.${postgresUploadMs !== undefined ? ` The service on PostgreSQL answered 202 after ${postgresUploadMs} ms.` : ''}`,
    );
  if (b.error) console.log(`   breakdown incomplete: ${b.error}`);
}
