import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { MAX_URL_LENGTH } from '../csv-parser.js';

/** The multipart form of POST /upload; both fields are checked by the controller (see upload-form.ts). */
@ApiSchema({ name: 'UploadForm' })
export class UploadRequestDto {
  @ApiProperty({
    type: 'string',
    format: 'binary',
    description:
      'The product CSV, UTF-8: a header row naming `S. No.` (or `Serial Number`), `Product Name` and `Input Image Urls` (any case, any order, other columns kept), then one row per product; `Input Image Urls` holds one to MAX_URLS_PER_ROW (default 50) absolute http(s) URLs separated by commas. At most MAX_CSV_BYTES (default 50 MiB, else 413) and MAX_ROWS rows (default 1,000,000, else 413). Content type `text/csv` or `application/csv` (or `application/vnd.ms-excel`, `application/octet-stream`, `text/plain` with a `.csv` name), else 415.',
  })
  file?: unknown;

  /**
   * Checked by the controller with the rule of image URLs (absolute http(s), a host), so that a bad
   * one is refused like a bad CSV cell: `{ message, errors: [{ row: null, column: 'webhook_url', message }] }`.
   * The example is empty on purpose: Swagger UI sends a form field's example (or, without one,
   * a sample such as "https://example.com/" for a URI), and an empty value means no webhook.
   */
  @ApiPropertyOptional({
    type: String,
    maxLength: MAX_URL_LENGTH,
    pattern: '^$|^[Hh][Tt][Tt][Pp][Ss]?://',
    example: '',
    description:
      'Called with a signed POST (the `requestCompleted` webhook) when the request finishes. An absolute http(s) URL; empty or absent means none.',
  })
  @IsOptional()
  webhook_url?: unknown;
}
