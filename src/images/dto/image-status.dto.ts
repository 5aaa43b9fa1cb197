import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { RenditionDto } from './rendition.dto.js';
import { IMAGE_STATUSES, type ImageReuse, type ImageStatus } from '../image.entity.js';

const IMAGE_REUSES = ['revalidated', 'content_match'] as const satisfies readonly ImageReuse[];

@ApiSchema({ name: 'ImageStatus' })
export class ImageStatusDto {
  @ApiProperty({ example: '1' })
  serial_number: string;

  @ApiProperty({ example: 'SKU1' })
  product_name: string;

  @ApiProperty({ format: 'uri', example: 'https://example.com/a.jpg' })
  input_url: string;

  @ApiProperty({
    type: String,
    format: 'uri',
    nullable: true,
    example: 'http://localhost:3000/files/0c/0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f.jpg',
    description:
      'null unless the image is done; ends with `.jpg`, `.webp` or `.avif`, as the request\u2019s format',
  })
  output_url: string | null;

  @ApiProperty({
    type: String,
    format: 'uri',
    nullable: true,
    example: 'http://localhost:3000/files/thumbs/0c/0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f.webp',
    description:
      'A small WebP preview of the output (THUMBNAIL_SIZE px on its longer side), made on its first request; null unless the image is done',
  })
  thumbnail_url: string | null;

  @ApiProperty({ enum: IMAGE_STATUSES, enumName: 'ImageState', example: 'done' })
  status: ImageStatus;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'http_404: HTTP 404 Not Found',
    description:
      '`<code>: <message>` of a failed image (or of the last transient failure while it waits for a retry)',
  })
  error: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'http_404',
    description: 'stable machine code of the error',
  })
  error_code: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example:
      'The image server says there is no image at this address (HTTP 404): the link is broken or the image was removed. Fix the URL, then retry.',
    description: 'What `error_code` means, in plain words, and what to do about it',
  })
  error_explanation: string | null;

  @ApiProperty({ type: 'integer', nullable: true, example: 482113, description: 'Bytes downloaded' })
  input_bytes: number | null;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: 96544,
    description: 'Bytes of the output image (with renditions: of them all)',
  })
  output_bytes: number | null;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: 62,
    description: 'The quality the output was written at: the chosen one for quality=auto (null unless done)',
  })
  output_quality: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 0.9871,
    description:
      'For quality=auto: the measured SSIM of the output to the source (luma, downscaled to fit 512 px); else null',
  })
  output_score: number | null;

  @ApiProperty({
    example: false,
    description:
      'true when the image is done with an output made for an earlier request of yours (same output options) instead of being made again',
  })
  reused: boolean;

  @ApiProperty({
    type: String,
    enum: IMAGE_REUSES,
    enumName: 'ImageReuse',
    nullable: true,
    example: null,
    description:
      '`revalidated`: its source answered 304 Not Modified to a conditional request (nothing downloaded); `content_match`: its downloaded bytes were those of a source already processed; null when not reused',
  })
  reused_how: ImageReuse | null;

  @ApiPropertyOptional({
    type: [RenditionDto],
    description:
      'On a done image of a request that asked for `renditions`: each of them, in the order asked for (the first is `output_url`); absent otherwise',
  })
  renditions?: RenditionDto[];
}

@ApiSchema({ name: 'ImagePage' })
export class ImagePageDto {
  @ApiProperty({ format: 'uuid', example: '7b0e4c2a-5d1f-4e8b-9a3c-2f6d8e1b4a70' })
  request_id: string;

  @ApiProperty({
    type: 'integer',
    example: 3,
    description: "The request's image count, or the count of images that match the filter",
  })
  total: number;

  @ApiProperty({ type: 'integer', example: 0 })
  offset: number;

  @ApiProperty({ type: 'integer', example: 100 })
  limit: number;

  @ApiProperty({ type: [ImageStatusDto] })
  images: ImageStatusDto[];
}
