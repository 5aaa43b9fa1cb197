import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { RequestSummaryDto } from './request-status.dto.js';

/** `GET /requests?limit&cursor`. */
export class RequestListQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;

  @ApiPropertyOptional({
    description: '`next_cursor` of the previous page; absent for the first (newest) page',
    example: 'MTc2NDA4NjQwMDAwMC43YjBlNGMyYS01ZDFmLTRlOGItOWEzYy0yZjZkOGUxYjRhNzA',
  })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,120}$/, { message: 'cursor must be the next_cursor of a previous page' })
  cursor?: string;
}

@ApiSchema({ name: 'RequestList', description: "The caller's requests, newest first" })
export class RequestListDto {
  @ApiProperty({ type: [RequestSummaryDto] })
  requests: RequestSummaryDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'Pass it as `cursor` for the next page; null on the last page',
  })
  next_cursor: string | null;
}
