import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';

/** `:request_id` in a path: a UUID (anything else is a 400, before any database sees it). */
export class RequestIdParams {
  @ApiProperty({
    format: 'uuid',
    example: '7b0e4c2a-5d1f-4e8b-9a3c-2f6d8e1b4a70',
    description: 'The `request_id` that POST /upload answered',
  })
  @IsUUID()
  request_id: string;
}

/** The OpenAPI description of the two refusals every operation on a request id can answer. */
export const REQUEST_ID_NOT_A_UUID = {
  description: 'The request id is not a UUID',
  message: 'request_id must be a UUID',
  column: 'request_id',
};
export const UNKNOWN_REQUEST = {
  description: 'Unknown request id',
  message: 'request 7b0e4c2a-5d1f-4e8b-9a3c-2f6d8e1b4a70 not found',
};
