import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** Largest offset accepted: a 32-bit signed integer, which every database takes as an OFFSET. */
export const MAX_IMAGE_OFFSET = 2_147_483_647;

/** `?offset=&limit=` of GET /requests/:request_id/images: bounded integers, 400 beyond. */
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
}
