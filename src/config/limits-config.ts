import { IsInt, Max, Min } from 'class-validator';
import type { Concern } from './concern.js';
import { asNumber, MAX_TIMER_MS, Variable } from './variable.js';

/** The most an upload, a CSV or an image may be (see docs/security.md#limits for what happens past them). */
export class LimitsConfig {
  @Variable('MAX_CSV_BYTES', {
    read: asNumber,
    default: 50 * 1024 * 1024,
    aside: '50 MiB',
    description: 'Largest CSV upload',
  })
  @IsInt()
  @Min(1)
  readonly maxCsvBytes: number;

  @Variable('MAX_ROWS', { read: asNumber, default: 1_000_000, description: 'Most product rows in a CSV' })
  @IsInt()
  @Min(1)
  readonly maxRows: number;

  @Variable('MAX_URLS_PER_ROW', { read: asNumber, default: 50, description: 'Most image URLs in one row' })
  @IsInt()
  @Min(1)
  readonly maxUrlsPerRow: number;

  @Variable('MAX_COLUMNS', {
    read: asNumber,
    default: 200,
    description: 'Most columns in the header or in any row',
  })
  @IsInt()
  @Min(3)
  readonly maxColumns: number;

  @Variable('MAX_CELL_BYTES', {
    read: asNumber,
    default: 64 * 1024,
    aside: '64 KiB',
    description: 'Largest CSV cell, in UTF-8 bytes',
  })
  @IsInt()
  @Min(1)
  readonly maxCellBytes: number;

  @Variable('MAX_RECORD_BYTES', {
    read: asNumber,
    default: 1024 * 1024,
    aside: '1 MiB',
    description: 'Largest CSV row (its cells and delimiters), in UTF-8 bytes',
  })
  @IsInt()
  @Min(1)
  readonly maxRecordBytes: number;

  @Variable('MAX_CONCURRENT_UPLOADS', {
    read: asNumber,
    default: 4,
    description: 'Uploads received and handled at once (per process); more answer `503` with `Retry-After`',
  })
  @IsInt()
  @Min(1)
  readonly maxConcurrentUploads: number;

  @Variable('UPLOAD_TIMEOUT_MS', {
    read: asNumber,
    default: 120_000,
    description: "Limit on receiving one upload's body, first byte to last",
  })
  @IsInt()
  @Min(1000)
  @Max(MAX_TIMER_MS)
  readonly uploadTimeoutMs: number;

  @Variable('MAX_IMAGE_BYTES', {
    read: asNumber,
    default: 25 * 1024 * 1024,
    aside: '25 MiB',
    description: 'Largest image download',
  })
  @IsInt()
  @Min(1)
  readonly maxImageBytes: number;

  @Variable('MAX_IMAGE_PIXELS', {
    read: asNumber,
    default: 100_000_000,
    description: 'Largest image (width × height) decoded',
  })
  @IsInt()
  @Min(1)
  readonly maxImagePixels: number;
}

export const limits: Concern<LimitsConfig> = { title: 'Limits', schema: LimitsConfig };
