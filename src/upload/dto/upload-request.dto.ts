import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { MAX_OUTPUT_SIDE, OUTPUT_FORMATS } from '../../config/output-options.js';
import { MAX_URL_LENGTH } from '../csv-parser.js';

/** The multipart form of POST /upload; every field is checked by the controller (see upload-form.ts, output-options-form.ts). */
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

  // The output fields are checked by the controller too (see output-options-form.ts): a bad value is a 400
  // naming the field. Their examples are empty so that Swagger UI sends nothing: the defaults apply.
  @ApiPropertyOptional({
    type: String,
    enum: ['', ...OUTPUT_FORMATS],
    example: '',
    description:
      'Output format of every image: `jpeg`, `webp` or `avif` (AVIF costs about 10 s of CPU per 6 MP image). Absent or empty: OUTPUT_FORMAT (default `jpeg`). The output URL ends with `.jpg`, `.webp` or `.avif` and is served with that Content-Type.',
  })
  @IsOptional()
  format?: unknown;

  @ApiPropertyOptional({
    type: String,
    pattern: '^$|^([1-9][0-9]?|100|auto)$',
    example: '',
    description:
      'Encoder quality, 1–100, or `auto`: per image, the smallest encoding (mozjpeg for JPEG) whose SSIM to the source reaches AUTO_QUALITY_TARGET, found in at most 5 encodes; the chosen quality and its score are listed per image. Absent or empty: OUTPUT_QUALITY (default 50).',
  })
  @IsOptional()
  quality?: unknown;

  @ApiPropertyOptional({
    type: String,
    pattern: '^$|^[0-9]{1,5}$',
    example: '',
    description: `Largest output width in pixels, 1–${MAX_OUTPUT_SIDE}: larger images are scaled down to fit, keeping their aspect ratio; smaller ones are never enlarged. Absent or empty: OUTPUT_MAX_WIDTH (default none).`,
  })
  @IsOptional()
  max_width?: unknown;

  @ApiPropertyOptional({
    type: String,
    pattern: '^$|^[0-9]{1,5}$',
    example: '',
    description: `Largest output height in pixels, 1–${MAX_OUTPUT_SIDE}, as max_width. Absent or empty: OUTPUT_MAX_HEIGHT (default none).`,
  })
  @IsOptional()
  max_height?: unknown;

  @ApiPropertyOptional({
    type: String,
    maxLength: 400,
    example: '',
    description:
      'Several outputs of every image from one download and one decode: a comma-separated list of up to MAX_RENDITIONS (default 8) specs, each a width (`800w`: fitted inside 800 px wide, never enlarged, in the request\u2019s `format` and `quality`) or the name of a preset configured on the server (OUTPUT_PRESETS; shipped: `square-2000`, a 2000×2000 JPEG padded with white, and `thumb-400`, a 400×400 WebP cropped around the salient part). Each image then lists its `renditions` (the first one is its `output_url`) and the export gets an `Output Image Urls <spec>` column per spec. Absent or empty: one output, as the other fields say.',
  })
  @IsOptional()
  renditions?: unknown;

  @ApiPropertyOptional({
    type: String,
    enum: ['true', 'false'],
    example: 'false',
    description:
      'true: every image is downloaded and made again, even where an earlier request of yours with the same output options made it from an unchanged source (by default such an image reuses that output: `reused` in its listing); the new outputs are reused by later requests. Absent or empty: false.',
  })
  @IsOptional()
  refresh?: unknown;
}
