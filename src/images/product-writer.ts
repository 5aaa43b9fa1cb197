import { Injectable } from '@nestjs/common';
import { bulkInsert, type BulkValue } from '../database/sql.js';
import type { Transaction } from '../database/unit-of-work.js';
import { imageIdsAt, randomFolder } from './image-id.js';
import { NEVER } from './image.entity.js';
import {
  IMAGE_COLUMNS,
  IMAGE_SHARED_COLUMNS,
  PRODUCT_COLUMNS,
  PRODUCT_SHARED_COLUMNS,
} from './upload-columns.js';

/** One valid row of an uploaded CSV, as its products and images are stored. */
export interface NewProduct {
  rowNumber: number;
  serialNumber: string;
  productName: string;
  cells: string[];
  urls: string[];
}

/** Stores batches of one task's rows, each in the transaction it is given; `queuedImages()`: see ProductWriter. */
export type TaskRowsWriter = ((tx: Transaction, rows: NewProduct[]) => Promise<void>) & {
  queuedImages(): number;
};

/** An upload's rows: its products and their images, queued. */
@Injectable()
export class ProductWriter {
  /**
   * Returns a writer that stores batches of a task's rows and their images (queued), each batch in the
   * transaction it is given. A URL repeated anywhere in the upload is processed once: its later
   * occurrences point at the first (duplicate_of) and are never claimed themselves. `queuedImages()`:
   * how many of the images written so far a worker will process (the first of each URL).
   */
  writerFor(taskId: string): TaskRowsWriter {
    const firstImageOfUrl = new Map<string, string>();
    const now = Date.now();
    const ofProducts = { columns: PRODUCT_SHARED_COLUMNS, values: [taskId] };
    const ofImages = { columns: IMAGE_SHARED_COLUMNS, values: [taskId, 'queued', 0] };
    const write = async (tx: Transaction, rows: NewProduct[]) => {
      await bulkInsert(
        tx.manager,
        'products',
        PRODUCT_COLUMNS,
        rows.map((row) => [row.rowNumber, row.serialNumber, row.productName, JSON.stringify(row.cells)]),
        ofProducts,
      );
      // One output folder for the batch's images (see imageIdsAt): it inserts them at one place of the
      // images primary key, not at 256.
      const newId = imageIdsAt(now, randomFolder());
      const images: BulkValue[][] = [];
      for (const row of rows) {
        for (let position = 0; position < row.urls.length; position++) {
          const url = row.urls[position];
          const id = newId();
          const duplicateOf = firstImageOfUrl.get(url) ?? null;
          if (!duplicateOf) firstImageOfUrl.set(url, id);
          const availableAt = duplicateOf ? NEVER : now;
          images.push([id, row.rowNumber, position, url, availableAt, duplicateOf]);
        }
      }
      await bulkInsert(tx.manager, 'images', IMAGE_COLUMNS, images, ofImages);
    };
    return Object.assign(write, { queuedImages: () => firstImageOfUrl.size });
  }
}
