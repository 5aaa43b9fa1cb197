import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { Between, IsNull, MoreThan, Not, Repository } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { bulkInsert, execute } from '../database/sql.js';
import type { Transaction } from '../database/unit-of-work.js';
import { Image, type ImageStatus, NEVER } from './image.entity.js';
import type { ClaimedImage } from './queue/lease-store.js';
import { Product } from './product.entity.js';

export interface NewProduct {
  rowNumber: number;
  serialNumber: string;
  productName: string;
  cells: string[];
  urls: string[];
}

export interface ImageResult {
  outputKey: string;
  thumbnailKey: string;
  inputBytes: number;
  outputBytes: number;
}

export interface ImageFailure {
  code: string;
  message: string;
}

/** What finishing an image writes, on it and on its duplicates. */
type Outcome = Pick<Image, 'status' | 'errorCode' | 'errorMessage'> &
  Partial<Pick<Image, 'outputKey' | 'thumbnailKey' | 'inputBytes' | 'outputBytes'>>;

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
   * Returns a writer that stores batches of a request's rows and their images (queued) in the caller's
   * transaction. A URL repeated anywhere in the request is processed once: its later occurrences point
   * at the first (duplicate_of) and are never claimed themselves.
   */
  productWriter(tx: Transaction, requestId: string): (rows: NewProduct[]) => Promise<void> {
    const firstImageOfUrl = new Map<string, string>();
    const now = Date.now();
    return async (rows) => {
      await bulkInsert(
        tx.manager,
        'products',
        ['task_id', 'row_number', 'serial_number', 'product_name', 'cells'],
        rows.map((row) => [
          requestId,
          row.rowNumber,
          row.serialNumber,
          row.productName,
          JSON.stringify(row.cells),
        ]),
      );
      const images = rows.flatMap((row) =>
        row.urls.map((url, position) => {
          const id = randomUUID();
          const duplicateOf = firstImageOfUrl.get(url) ?? null;
          if (!duplicateOf) firstImageOfUrl.set(url, id);
          return [
            id,
            requestId,
            row.rowNumber,
            position,
            url,
            'queued',
            0,
            duplicateOf ? NEVER : now,
            duplicateOf,
          ];
        }),
      );
      await bulkInsert(
        tx.manager,
        'images',
        [
          'id',
          'task_id',
          'row_number',
          'position',
          'input_url',
          'status',
          'attempts',
          'available_at',
          'duplicate_of',
        ],
        images,
      );
    };
  }

  /**
   * Records a leased image's success, and the same outcome for its duplicates; returns how many
   * images finished (0 when the lease was lost: another worker owns it now).
   */
  async markDone(tx: Transaction, image: ClaimedImage, result: ImageResult): Promise<number> {
    return this.finish(tx, image, { ...result, status: 'done', errorCode: null, errorMessage: null });
  }

  /** Records a leased image's final failure, and its duplicates'; returns how many images finished. */
  async markFailed(
    tx: Transaction,
    image: ClaimedImage,
    failure: ImageFailure,
    inputBytes: number | null,
  ): Promise<number> {
    return this.finish(tx, image, {
      status: 'failed',
      errorCode: failure.code,
      errorMessage: failure.message,
      inputBytes,
    });
  }

  private async finish(tx: Transaction, image: ClaimedImage, outcome: Outcome): Promise<number> {
    const values = [
      outcome.status,
      outcome.outputKey ?? null,
      outcome.thumbnailKey ?? null,
      outcome.inputBytes ?? null,
      outcome.outputBytes ?? null,
      outcome.errorCode,
      outcome.errorMessage,
    ];
    const set =
      'status = ?, output_key = ?, thumbnail_key = ?, input_bytes = ?, output_bytes = ?, error_code = ?, error_message = ?';
    const own = await execute(
      tx.manager,
      `UPDATE images SET ${set}, lease_until = NULL WHERE id = ? AND status = 'processing'`,
      [...values, image.id],
    );
    if (own.affected !== 1) return 0;
    const duplicates = await execute(
      tx.manager,
      `UPDATE images SET ${set} WHERE duplicate_of = ? AND status = 'queued'`,
      [...values, image.id],
    );
    return 1 + duplicates.affected;
  }

  /** Queues a request's failed images again; returns how many. */
  async requeueFailed(tx: Transaction, requestId: string): Promise<number> {
    const reset = {
      status: 'queued' as const,
      attempts: 0,
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
    return (originals.affected ?? 0) + (duplicates.affected ?? 0);
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
   * Deletes a request's products and images in the caller's transaction; returns the output and
   * thumbnail keys they named, each once (a duplicate shares its original's keys).
   */
  async deleteForTask(tx: Transaction, requestId: string): Promise<string[]> {
    const { records } = await execute<{ output_key: string }>(
      tx.manager,
      `SELECT output_key FROM images WHERE task_id = ? AND output_key IS NOT NULL
       UNION SELECT thumbnail_key FROM images WHERE task_id = ? AND thumbnail_key IS NOT NULL`,
      [requestId, requestId],
    );
    await execute(tx.manager, 'DELETE FROM images WHERE task_id = ?', [requestId]);
    await execute(tx.manager, 'DELETE FROM products WHERE task_id = ?', [requestId]);
    return records.map((record) => record.output_key);
  }
}
