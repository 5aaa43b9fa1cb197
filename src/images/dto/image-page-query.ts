import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { IMAGE_STATUSES, type ImageStatus } from '../image.entity.js';

/** Largest offset accepted: a 32-bit signed integer, which every database takes as an OFFSET. */
export const MAX_IMAGE_OFFSET = 2_147_483_647;

/** `?offset=&limit=&status=&error_code=` of GET /requests/:request_id/images: bounded integers, 400 beyond; optional filters. */
export class ImagePageQuery {
  @ApiPropertyOptional({ type: 'integer', default: 0, minimum: 0, maximum: MAX_IMAGE_OFFSET })
  @IsOptional()
  @Type(() => Number)
  @Min(0)
  @Max(MAX_IMAGE_OFFSET)
  @IsInt() // last, so checked first: the one problem reported for "abc" is that it is no integer
  offset = 0;

  @ApiPropertyOptional({ type: 'integer', default: 100, minimum: 1, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @Min(1)
  @Max(1000)
  @IsInt()
  limit = 100;

  @ApiPropertyOptional({
    enum: IMAGE_STATUSES,
    enumName: 'ImageState',
    description: 'Only images in this state',
  })
  @IsOptional()
  @IsIn(IMAGE_STATUSES)
  status?: ImageStatus;

  // No `example`: Swagger UI would send it, so a Try it out with only the required fields would filter.
  @ApiPropertyOptional({ description: 'Only images that failed with this error code, e.g. `http_404`' })
  @IsOptional()
  @Matches(/^[a-z0-9_]{1,64}$/, { message: 'error_code must be an error code such as http_404' })
  error_code?: string;
}
