import { ApiProperty, ApiSchema } from '@nestjs/swagger';

/** One thing wrong with what the client sent: a CSV cell, a form field, a header or a parameter. */
@ApiSchema({ name: 'ErrorDetail' })
export class ErrorDetailDto {
  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: 3,
    description: 'CSV row as a spreadsheet counts it (header = 1); null for anything but a CSV row',
  })
  row: number | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'Product Name',
    description:
      'The CSV column, form field (`file`, `webhook_url`), header (`Idempotency-Key`) or parameter (`request_id`, `offset`…) at fault; null for the request as a whole',
  })
  column: string | null;

  @ApiProperty({ example: 'product name is empty' })
  message: string;
}

/** The body of every error answer (4xx and 5xx). */
@ApiSchema({ name: 'ErrorResponse' })
export class ErrorResponseDto {
  @ApiProperty({ type: 'integer', example: 400, description: 'The HTTP status, repeated' })
  statusCode: number;

  @ApiProperty({ example: 'the file has 1 problem(s); nothing was stored' })
  message: string;

  @ApiProperty({
    type: [ErrorDetailDto],
    minItems: 1,
    maxItems: 100,
    description: 'At least one and at most 100 problems',
  })
  errors: ErrorDetailDto[];
}
