import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';

/** The multipart form of POST /upload (the file part is described separately). */
export class UploadRequestDto {
  @ApiProperty({
    type: 'string',
    format: 'binary',
    description: 'The product CSV: S. No., Product Name, Input Image Urls',
  })
  file?: unknown;

  /**
   * Checked by the controller with the rule of image URLs (absolute http(s), a host), so that a bad
   * one is refused like a bad CSV cell: `{ message, errors: [{ row: null, column: 'webhook_url', message }] }`.
   */
  @ApiPropertyOptional({
    type: String,
    format: 'uri',
    maxLength: 8192,
    description: 'Called with a signed POST when the request finishes',
  })
  @IsOptional()
  webhook_url?: unknown;
}
