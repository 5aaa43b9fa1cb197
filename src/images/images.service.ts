import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Between, IsNull, MoreThan, Not, Repository } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { bulkInsert, execute, executePrepared, inList } from '../database/sql.js';
import type { Transaction } from '../database/unit-of-work.js';
import { newImageId, randomFolder } from './image-id.js';
import { IMAGE_COLUMNS, PRODUCT_COLUMNS } from './upload-columns.js';
import { Image, type ImageStatus, NEVER } from './image.entity.js';
import { thumbnailKeyOf } from './output-key.js';
import type { ClaimedImage } from './queue/lease-store.js';
import { Product } from './product.entity.js';

export interface NewProduct {
  rowNumber: number;
  serialNumber: string;
  productName: string;
  cells: string[];
  urls: string[];
}

export type ProductWriter = ((tx: Transaction, rows: NewProduct[]) => Promise<void>) & {
  queuedImages(): number;
};

export interface ImageResult {
  outputKey: string;
  inputBytes: number;
  outputBytes: number;
  outputQuality: number;
  /** The measured similarity, for quality=auto; else null. */
  outputScore: number | null;
}

/** A finished image as its UPDATE returns it (PostgreSQL returns its BIGINT byte counts as strings). */
export interface FinishedImage {
  id: string;
  taskId: string;
  status: 'done' | 'failed';
  inputBytes: number | string | null;
  outputBytes: number | string | null;
}

const RETURNING_FINISHED =
  'RETURNING id, task_id AS "taskId", status, input_bytes AS "inputBytes", output_bytes AS "outputBytes"';

export interface ImageFailure {
  code: string;
  message: string;
}

/** Which of a request's images a page lists: all, or those in a state and/or with an error code. */
export interface ImageFilter {
  status?: ImageStatus;
  errorCode?: string;
}

/** The products and images of requests, and the image state machine: queued → processing → done | failed. */
@Injectable()
export class ImagesService {
  constructor(
    @InjectRepository(Image) private readonly images: Repository<Image>,
    @InjectRepository(Product) private readonly products: Repository<Product>,
    private readonly config: AppConfig,
  ) {}

  /**
   * Returns a writer that stores batches of a request's rows and their images (queued), each batch in
   * the transaction it is given. A URL repeated anywhere in the request is processed once: its later
   * occurrences point at the first (duplicate_of) and are never claimed themselves. `queuedImages()`:
   * how many of the images written so far a worker will process (the first of each URL).
   */
  productWriter(requestId: string): ProductWriter {
    const firstImageOfUrl = new Map<string, string>();
    const now = Date.now();
    const write = async (tx: Transaction, rows: NewProduct[]) => {
      await bulkInsert(
        tx.manager,
        'products',
        PRODUCT_COLUMNS,
        rows.map((row) => [
          requestId,
          row.rowNumber,
          row.serialNumber,
          row.productName,
          JSON.stringify(row.cells),
        ]),
      );
      // One output folder for the batch's images (see newImageId): it inserts them at one place of the
      // images primary key, not at 256.
      const folder = randomFolder();
      const images: unknown[][] = [];
      for (const row of rows) {
        for (let position = 0; position < row.urls.length; position++) {
          const url = row.urls[position];
          const id = newImageId(now, folder);
          const duplicateOf = firstImageOfUrl.get(url) ?? null;
          if (!duplicateOf) firstImageOfUrl.set(url, id);
          const availableAt = duplicateOf ? NEVER : now;
          images.push([id, requestId, row.rowNumber, position, url, 'queued', 0, availableAt, duplicateOf]);
        }
      }
      await bulkInsert(tx.manager, 'images', IMAGE_COLUMNS, images);
    };
    return Object.assign(write, { queuedImages: () => firstImageOfUrl.size });
  }

  /**
   * Records leased images' successes in one set-based statement whatever their number. Images whose
   * lease was lost (another worker owns them now) are left alone; returns the images recorded. Their
   * duplicates follow with finishDuplicates.
   */
  async markDone(
    tx: Transaction,
    done: Array<{ image: ClaimedImage; result: ImageResult }>,
  ): Promise<FinishedImage[]> {
    if (done.length === 0) return [];
    // A VALUES list names its columns column1, column2… on SQLite and PostgreSQL alike.
    const { records } = await executePrepared<FinishedImage>(
      tx.manager,
      `UPDATE images SET status = 'done', output_key = v.column2,
          input_bytes = CAST(v.column3 AS INTEGER), output_bytes = CAST(v.column4 AS INTEGER),
          output_quality = CAST(v.column5 AS INTEGER), output_score = CAST(v.column6 AS REAL),
          error_code = NULL, error_message = NULL, lease_until = NULL
        FROM (VALUES ${done.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}) AS v
        WHERE images.id = v.column1 AND images.status = 'processing'
        ${RETURNING_FINISHED}`,
      done.flatMap(({ image, result }) => [
        image.id,
        result.outputKey,
        result.inputBytes,
        result.outputBytes,
        result.outputQuality,
        result.outputScore,
      ]),
    );
    return records;
  }

  /** Records a leased image's final failure; undefined when its lease was lost. Its duplicates follow with finishDuplicates. */
  async markFailed(
    tx: Transaction,
    image: ClaimedImage,
    failure: ImageFailure,
    inputBytes: number | null,
  ): Promise<FinishedImage | undefined> {
    const { records } = await executePrepared<FinishedImage>(
      tx.manager,
      `UPDATE images SET status = 'failed', output_key = NULL, input_bytes = ?,
          output_bytes = NULL, output_quality = NULL, output_score = NULL, error_code = ?, error_message = ?,
          lease_until = NULL
        WHERE id = ? AND status = 'processing'
        ${RETURNING_FINISHED}`,
      [inputBytes, failure.code, failure.message, image.id],
    );
    return records[0];
  }

  /**
   * Gives up to `limit` waiting duplicates of the given images their original's outcome, once the
   * original is done or failed; returns them. A URL repeated 20,000 times in a request is 20,000 rows
   * to update when its image finishes (~1.5 s of SQLite work in one statement), so the caller updates
   * them a slice per transaction until fewer than `limit` come back. On PostgreSQL, rows another
   * worker is updating (its own fan-out of the same image, or a sweep's) are skipped, not waited for:
   * two slices never lock the same rows in different orders, and the outer status check counts each
   * duplicate once.
   */
  async finishDuplicates(tx: Transaction, originalIds: string[], limit: number): Promise<FinishedImage[]> {
    if (originalIds.length === 0) return [];
    const { records } = await executePrepared<FinishedImage>(
      tx.manager,
      `UPDATE images SET (status, output_key, input_bytes, output_bytes, output_quality, output_score, error_code, error_message) =
          (SELECT o.status, o.output_key, o.input_bytes, o.output_bytes, o.output_quality, o.output_score, o.error_code, o.error_message
             FROM images o WHERE o.id = images.duplicate_of)
        WHERE id IN (
          SELECT d.id FROM images d ${this.sqliteIndexedBy('idx_images_waiting_duplicates')}
           WHERE d.duplicate_of IN (${inList(originalIds.length)}) AND d.status = 'queued'
             AND EXISTS (SELECT 1 FROM images o WHERE o.id = d.duplicate_of AND o.status IN ('done', 'failed'))
           LIMIT ? ${this.config.database.isPostgres ? 'FOR UPDATE OF d SKIP LOCKED' : ''})
          AND ${this.sqliteSkipsIndex}status = 'queued'
        ${RETURNING_FINISHED}`,
      [...originalIds, limit],
    );
    return records;
  }

  /** Those of the given images that have duplicates still waiting (one index probe each). */
  async withWaitingDuplicates(tx: Transaction, originalIds: string[]): Promise<string[]> {
    if (originalIds.length === 0) return [];
    const { records } = await execute<{ id: string }>(
      tx.manager,
      `SELECT o.id FROM images o
        WHERE o.id IN (${inList(originalIds.length)})
          AND EXISTS (SELECT 1 FROM images d ${this.sqliteIndexedBy('idx_images_waiting_duplicates')}
                       WHERE d.duplicate_of = o.id AND d.status = 'queued')`,
      originalIds,
    );
    return records.map((row) => row.id);
  }

  /**
   * Finished images some of whose duplicates still wait: those a process stopped fanning out (killed
   * between two slices of finishDuplicates). At most `limit` of them.
   */
  async originalsWithWaitingDuplicates(tx: Transaction, limit: number): Promise<string[]> {
    const { records } = await execute<{ id: string }>(
      tx.manager,
      `SELECT DISTINCT d.duplicate_of AS id
         FROM images d ${this.sqliteIndexedBy('idx_images_waiting_duplicates')}
        WHERE d.duplicate_of IS NOT NULL AND d.status = 'queued'
          AND EXISTS (SELECT 1 FROM images o WHERE o.id = d.duplicate_of AND o.status IN ('done', 'failed'))
        LIMIT ?`,
      [limit],
    );
    return records.map((row) => row.id);
  }

  /**
   * SQLite plans without statistics and takes the status index for any `status = ?` term, scanning every
   * queued image: these keep a statement on the index it needs. `+` in front of a column keeps SQLite
   * off its index (for a statement that finds its rows by id); INDEXED BY names the index to use.
   * PostgreSQL plans from its own statistics.
   */
  private get sqliteSkipsIndex(): string {
    return this.config.database.isPostgres ? '' : '+';
  }

  private sqliteIndexedBy(index: string): string {
    return this.config.database.isPostgres ? '' : `INDEXED BY ${index}`;
  }

  /** Queues a request's failed images again; returns how many, and how many of them a worker will process (not duplicates). */
  async requeueFailed(tx: Transaction, requestId: string): Promise<{ requeued: number; claimable: number }> {
    const reset = {
      status: 'queued' as const,
      attempts: 0,
      leaseExpiries: 0,
      errorCode: null,
      errorMessage: null,
      inputBytes: null,
    };
    const originals = await tx.manager.update(
      Image,
      { taskId: requestId, status: 'failed', duplicateOf: IsNull() },
      { ...reset, availableAt: Date.now() },
    );
    const duplicates = await tx.manager.update(
      Image,
      { taskId: requestId, status: 'failed', duplicateOf: Not(IsNull()) },
      { ...reset, availableAt: NEVER },
    );
    const claimable = originals.affected ?? 0;
    return { requeued: claimable + (duplicates.affected ?? 0), claimable };
  }

  /** One page of a request's images, in CSV order, and how many match the filter in all. */
  async listImages(
    requestId: string,
    filter: ImageFilter,
    offset: number,
    limit: number,
  ): Promise<{ images: Array<Image & { product: Product }>; matching?: number }> {
    const filtered = filter.status !== undefined || filter.errorCode !== undefined;
    const where = {
      taskId: requestId,
      ...(filter.status !== undefined && { status: filter.status }),
      ...(filter.errorCode !== undefined && { errorCode: filter.errorCode }),
    };
    const query = this.images
      .createQueryBuilder('image')
      .innerJoinAndMapOne(
        'image.product',
        Product,
        'product',
        'product.task_id = image.task_id AND product.row_number = image.row_number',
      )
      .where(where)
      .orderBy('image.row_number', 'ASC')
      .addOrderBy('image.position', 'ASC')
      .offset(offset)
      .limit(limit);
    const [images, matching] = await Promise.all([
      query.getMany() as Promise<Array<Image & { product: Product }>>,
      filtered ? this.images.countBy(where) : undefined,
    ]);
    return { images, matching };
  }

  /** Walks a request's rows in CSV order, a page at a time, each with its images in cell order. */
  async *productsWithImages(
    requestId: string,
    pageSize = 500,
  ): AsyncGenerator<{ product: Product; images: Image[] }> {
    let afterRow = 0;
    for (;;) {
      const products = await this.products.find({
        where: { taskId: requestId, rowNumber: MoreThan(afterRow) },
        order: { rowNumber: 'ASC' },
        take: pageSize,
      });
      if (products.length === 0) return;
      afterRow = products[products.length - 1].rowNumber;
      const images = await this.images.find({
        where: { taskId: requestId, rowNumber: Between(products[0].rowNumber, afterRow) },
        order: { rowNumber: 'ASC', position: 'ASC' },
      });
      const imagesByRow = new Map<number, Image[]>();
      for (const image of images) {
        const ofRow = imagesByRow.get(image.rowNumber);
        if (ofRow) ofRow.push(image);
        else imagesByRow.set(image.rowNumber, [image]);
      }
      for (const product of products) yield { product, images: imagesByRow.get(product.rowNumber) ?? [] };
    }
  }

  /**
   * Deletes up to `limit` of a request's images, or once none is left up to `limit` of its products, in
   * the caller's transaction; returns how many rows it deleted (0: none is left) and the output and
   * preview keys the deleted images named, each once (a duplicate shares its original's keys, and goes
   * with it or without it). For removals in slices short enough not to hold the event loop.
   */
  async deleteSomeRowsOfTask(
    tx: Transaction,
    requestId: string,
    limit: number,
  ): Promise<{ deleted: number; outputKeys: string[] }> {
    const { records } = await execute<{ id: string; outputKey: string | null }>(
      tx.manager,
      `SELECT id, CASE WHEN duplicate_of IS NULL THEN output_key END AS "outputKey"
         FROM images WHERE task_id = ? LIMIT ?`,
      [requestId, limit],
    );
    if (records.length > 0) {
      await execute(
        tx.manager,
        `DELETE FROM images WHERE id IN (${inList(records.length)})`,
        records.map((image) => image.id),
      );
      // An original with an output may have a preview (made on its first request, under its id).
      const outputKeys = records.flatMap((image) =>
        image.outputKey === null ? [] : [image.outputKey, thumbnailKeyOf(image.id)],
      );
      // The rows selected, not the DELETE's count: a neighbour removing the same request (PostgreSQL)
      // may have deleted some, and the removal goes on until none is selected.
      return { deleted: records.length, outputKeys };
    }
    const products = await execute(
      tx.manager,
      'DELETE FROM products WHERE task_id = ? AND row_number IN (SELECT row_number FROM products WHERE task_id = ? LIMIT ?)',
      [requestId, requestId, limit],
    );
    return { deleted: products.affected, outputKeys: [] };
  }
}
