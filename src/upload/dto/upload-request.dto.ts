import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsUrl, MaxLength } from 'class-validator';

/** The multipart form of POST /upload (the file part is described separately). */
export class UploadRequestDto {
  @ApiProperty({ type: 'string', format: 'binary', description: 'The product CSV: S. No., Product Name, Input Image Urls' })
  file?: unknown;

  @ApiPropertyOptional({ format: 'uri', description: 'Called with a signed POST when the request finishes' })
  @IsOptional()
  @MaxLength(2048)
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false, require_host: true },
    { message: 'webhook_url must be an absolute http(s) URL' },
  )
  webhook_url?: string;
}
