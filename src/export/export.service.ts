import type { Owner } from '../access/owner.js';
import { Injectable } from '@nestjs/common';
import { format } from 'fast-csv';
import { ConflictError } from '../common/errors/conflict.error.js';
import { Readable } from 'node:stream';
import { Image } from '../images/image.entity.js';
import { ProductPages } from '../images/product-pages.js';
import { Storage } from '../storage/storage.js';
import { TasksService } from '../tasks/tasks.service.js';
import { neutraliseFormula } from './csv-cell.js';

const OUTPUT_URLS_HEADER = 'Output Image Urls';
const ERRORS_HEADER = 'Errors';

/** The uploaded CSV given back with an `Output Image Urls` and an `Errors` column, streamed row by row. */
@Injectable()
export class ExportService {
  constructor(
    private readonly tasks: TasksService,
    private readonly productPages: ProductPages,
    private readonly storage: Storage,
  ) {}

  async exportCsv(requestId: string, owner: Owner): Promise<Readable> {
    const task = await this.tasks.getOrFail(requestId, owner);
    if (task.status === 'processing') {
      const progress = `${task.processedImages}/${task.totalImages}`;
      throw new ConflictError(
        `request ${requestId} is still processing (${progress}); try again when its status is final`,
        { details: { progress } },
      );
    }
    const csv = format<string[], string[]>({ headers: false, writeBOM: false });
    Readable.from(this.rows(requestId, task.csvHeaders)).pipe(csv);
    return csv;
  }

  private async *rows(requestId: string, headers: string[]): AsyncGenerator<string[]> {
    // The header row came from the client too: a column named "=HYPERLINK(…)" is neutralised like any cell.
    yield [...headers.map(neutraliseFormula), OUTPUT_URLS_HEADER, ERRORS_HEADER];
    for await (const { product, images } of this.productPages.walk(requestId)) {
      yield [...this.cellsOf(product.cells, headers.length), this.outputUrls(images), this.errors(images)];
    }
  }

  /** A row's stored cells (kept without trailing empty ones) padded back to the header's width. */
  private cellsOf(stored: string[], width: number): string[] {
    const cells = stored.map(neutraliseFormula);
    while (cells.length < width) cells.push('');
    return cells;
  }

  private outputUrls(images: Image[]): string {
    return images
      .map((image) =>
        image.status === 'done' && image.outputKey ? this.storage.publicUrl(image.outputKey) : '',
      )
      .join(',');
  }

  private errors(images: Image[]): string {
    const failures = images.filter((image) => image.status === 'failed');
    return neutraliseFormula(
      failures.map((image) => `${image.inputUrl}: ${image.errorCode} (${image.errorMessage})`).join(' | '),
    );
  }
}
