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

/**
 * The uploaded CSV given back with an `Output Image Urls` and an `Errors` column (and one column per
 * rendition, when the request asked for some), streamed row by row.
 */
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
    const specs = task.outputOptions.renditions?.map((rendition) => rendition.spec) ?? [];
    Readable.from(this.rows(requestId, task.csvHeaders, specs)).pipe(csv);
    return csv;
  }

  /** With renditions, an `Output Image Urls <spec>` column for each, in their order, after `Output Image Urls` (the first's). */
  private async *rows(requestId: string, headers: string[], specs: string[]): AsyncGenerator<string[]> {
    // The header row came from the client too: a column named "=HYPERLINK(…)" is neutralised like any cell.
    const renditionHeaders = specs.map((spec) => `${OUTPUT_URLS_HEADER} ${spec}`);
    yield [...headers.map(neutraliseFormula), OUTPUT_URLS_HEADER, ...renditionHeaders, ERRORS_HEADER];
    for await (const { product, images } of this.productPages.walk(requestId)) {
      yield [
        ...this.cellsOf(product.cells, headers.length),
        this.outputUrls(images),
        ...specs.map((spec) => this.renditionUrls(images, spec)),
        this.errors(images),
      ];
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

  private renditionUrls(images: Image[], spec: string): string {
    return images
      .map((image) => {
        const rendition = image.status === 'done' && image.renditions?.find((one) => one.spec === spec);
        return rendition ? this.storage.publicUrl(rendition.key) : '';
      })
      .join(',');
  }

  private errors(images: Image[]): string {
    const failures = images.filter((image) => image.status === 'failed');
    return neutraliseFormula(
      failures.map((image) => `${image.inputUrl}: ${image.errorCode} (${image.errorMessage})`).join(' | '),
    );
  }
}
