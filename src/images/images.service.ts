import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { Between, In, LessThan, MoreThan, Repository } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import type { Transaction } from '../database/unit-of-work.js';
import { Image } from './image.entity.js';
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
  inputBytes: number;
  outputBytes: number;
}

export interface ImageFailure {
  code: string;
  message: string;
}

/** Rows per INSERT statement: far below SQLite's 32,766 bound parameters. */
const INSERT_CHUNK = 500;

/** The products and images of requests, and the image state machine: queued → processing → done | failed. */
@Injectable()
export class ImagesService {
  constructor(
    @InjectRepository(Image) private readonly images: Repository<Image>,
    @InjectRepository(Product) private readonly products: Repository<Product>,
    private readonly config: AppConfig,
  ) {}

  /** Stores a request's rows and their images (queued), in the caller's transaction. */
  async addProducts(tx: Transaction, requestId: string, rows: NewProduct[]): Promise<void> {
    const now = Date.now();
    for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
      const chunk = rows.slice(start, start + INSERT_CHUNK);
      await tx.manager.insert(
        Product,
        chunk.map(({ rowNumber, serialNumber, productName, cells }) => ({ taskId: requestId, rowNumber, serialNumber, productName, cells })),
      );
      const images = chunk.flatMap((row) =>
        row.urls.map((inputUrl, position) => ({
          id: randomUUID(),
          taskId: requestId,
          rowNumber: row.rowNumber,
          position,
          inputUrl,
          status: 'queued' as const,
          attempts: 0,
          availableAt: now,
        })),
      );
      for (let offset = 0; offset < images.length; offset += INSERT_CHUNK) {
        await tx.manager.insert(Image, images.slice(offset, offset + INSERT_CHUNK));
      }
    }
  }

  /** Leases up to `limit` queued images whose time has come to the caller. */
  async claim(tx: Transaction, limit: number): Promise<Image[]> {
    const now = Date.now();
    const query = tx.manager
      .createQueryBuilder(Image, 'image')
      .where("image.status = 'queued' AND image.available_at <= :now", { now })
      .orderBy('image.available_at', 'ASC')
      .limit(limit);
    if (this.config.isPostgres) query.setLock('pessimistic_write').setOnLocked('skip_locked');
    const images = await query.getMany();
    if (images.length === 0) return [];
    const leaseUntil = now + this.config.leaseMs;
    await tx.manager.update(Image, { id: In(images.map((image) => image.id)) }, { status: 'processing', leaseUntil, attempts: () => 'attempts + 1' });
    return images.map((image) => Object.assign(image, { status: 'processing', leaseUntil, attempts: image.attempts + 1 }));
  }

  /** Extends the leases of images a worker is still processing. */
  async renewLeases(tx: Transaction, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await tx.manager.update(Image, { id: In(ids), status: 'processing' }, { leaseUntil: Date.now() + this.config.leaseMs });
  }

  /** Puts images whose lease ran out (their worker died) back in the queue. */
  async requeueExpired(tx: Transaction): Promise<number> {
    const result = await tx.manager.update(Image, { status: 'processing', leaseUntil: LessThan(Date.now()) }, { status: 'queued', leaseUntil: null });
    return result.affected ?? 0;
  }

  /** Puts the given (or, when none are given, every) processing images back in the queue. */
  async release(tx: Transaction, ids?: string[]): Promise<number> {
    const where = ids ? { id: In(ids), status: 'processing' as const } : { status: 'processing' as const };
    if (ids?.length === 0) return 0;
    const result = await tx.manager.update(Image, where, { status: 'queued', leaseUntil: null });
    return result.affected ?? 0;
  }

  /** Queues a leased image again after a transient failure. */
  async retryLater(tx: Transaction, id: string, delayMs: number, failure: ImageFailure): Promise<void> {
    await tx.manager.update(Image, { id, status: 'processing' }, {
      status: 'queued',
      leaseUntil: null,
      availableAt: Date.now() + delayMs,
      errorCode: failure.code,
      errorMessage: failure.message,
    });
  }

  /** Records a leased image's success; false when the lease was lost (another worker owns it now). */
  async markDone(tx: Transaction, id: string, result: ImageResult): Promise<boolean> {
    const update = await tx.manager.update(Image, { id, status: 'processing' }, {
      ...result,
      status: 'done',
      leaseUntil: null,
      errorCode: null,
      errorMessage: null,
    });
    return update.affected === 1;
  }

  /** Records a leased image's final failure; false when the lease was lost. */
  async markFailed(tx: Transaction, id: string, failure: ImageFailure, inputBytes: number | null): Promise<boolean> {
    const update = await tx.manager.update(Image, { id, status: 'processing' }, {
      status: 'failed',
      leaseUntil: null,
      errorCode: failure.code,
      errorMessage: failure.message,
      inputBytes,
    });
    return update.affected === 1;
  }

  /** Queues a request's failed images again; returns how many. */
  async requeueFailed(tx: Transaction, requestId: string): Promise<number> {
    const result = await tx.manager.update(Image, { taskId: requestId, status: 'failed' }, {
      status: 'queued',
      attempts: 0,
      availableAt: Date.now(),
      errorCode: null,
      errorMessage: null,
      inputBytes: null,
    });
    return result.affected ?? 0;
  }

  /** One page of a request's images, in CSV order. */
  listImages(requestId: string, offset: number, limit: number): Promise<Array<Image & { product: Product }>> {
    return this.images
      .createQueryBuilder('image')
      .innerJoinAndMapOne('image.product', Product, 'product', 'product.task_id = image.task_id AND product.row_number = image.row_number')
      .where('image.task_id = :requestId', { requestId })
      .orderBy('image.row_number', 'ASC')
      .addOrderBy('image.position', 'ASC')
      .offset(offset)
      .limit(limit)
      .getMany() as Promise<Array<Image & { product: Product }>>;
  }

  /** Walks a request's rows in CSV order, a page at a time, each with its images in cell order. */
  async *productsWithImages(requestId: string, pageSize = 500): AsyncGenerator<{ product: Product; images: Image[] }> {
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
      for (const image of images) imagesByRow.set(image.rowNumber, [...(imagesByRow.get(image.rowNumber) ?? []), image]);
      for (const product of products) yield { product, images: imagesByRow.get(product.rowNumber) ?? [] };
    }
  }
}
