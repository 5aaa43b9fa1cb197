import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IMAGE_STATUSES, type ImageStatus } from '../image.entity.js';

export class ImageStatusDto {
  @ApiProperty()
  serial_number: string;

  @ApiProperty()
  product_name: string;

  @ApiProperty({ format: 'uri' })
  input_url: string;

  @ApiPropertyOptional({ type: String, format: 'uri', nullable: true })
  output_url: string | null;

  @ApiProperty({ enum: IMAGE_STATUSES })
  status: ImageStatus;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'http_404: HTTP 404 Not Found',
    description:
      '`<code>: <message>` of a failed image (or of the last transient failure while it waits for a retry)',
  })
  error: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'http_404',
    description: 'stable machine code of the error',
  })
  error_code: string | null;

  @ApiPropertyOptional({ type: Number, nullable: true })
  input_bytes: number | null;

  @ApiPropertyOptional({ type: Number, nullable: true })
  output_bytes: number | null;
}

export class ImagePageDto {
  @ApiProperty({ format: 'uuid' })
  request_id: string;

  @ApiProperty()
  total: number;

  @ApiProperty()
  offset: number;

  @ApiProperty()
  limit: number;

  @ApiProperty({ type: [ImageStatusDto] })
  images: ImageStatusDto[];
}
