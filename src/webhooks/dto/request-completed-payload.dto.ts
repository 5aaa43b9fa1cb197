import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { RenditionSpecDto } from '../../tasks/dto/rendition-spec.dto.js';
import { TASK_STATUSES, type TaskStatus } from '../../tasks/task.entity.js';

/** The JSON body of the `request.completed` webhook, as the OpenAPI document describes it to receivers. */
@ApiSchema({
  name: 'RequestCompletedPayload',
  description: 'The body of the `requestCompleted` webhook',
})
export class RequestCompletedPayloadDto {
  @ApiProperty({ enum: ['request.completed'], example: 'request.completed' })
  type: 'request.completed';

  @ApiProperty({ format: 'uuid', example: '7b0e4c2a-5d1f-4e8b-9a3c-2f6d8e1b4a70' })
  request_id: string;

  @ApiProperty({
    enum: TASK_STATUSES,
    enumName: 'RequestState',
    example: 'completed',
    description: 'The final status (never `processing`)',
  })
  status: TaskStatus;

  @ApiProperty({ type: 'integer', example: 3 })
  total_images: number;

  @ApiProperty({ type: 'integer', example: 3 })
  processed_images: number;

  @ApiProperty({ type: 'integer', example: 0 })
  failed_images: number;

  @ApiProperty({
    type: 'integer',
    example: 2,
    description:
      'Done images that reused an output made for an earlier request of yours (their source unchanged) instead of being made again',
  })
  reused_images: number;

  @ApiProperty({
    format: 'uri',
    example: 'http://localhost:3000/status/7b0e4c2a-5d1f-4e8b-9a3c-2f6d8e1b4a70',
  })
  status_url: string;

  @ApiProperty({
    format: 'uri',
    example: 'http://localhost:3000/export-csv/7b0e4c2a-5d1f-4e8b-9a3c-2f6d8e1b4a70',
  })
  export_url: string;

  @ApiProperty({
    format: 'uri',
    example: 'http://localhost:3000/requests/7b0e4c2a-5d1f-4e8b-9a3c-2f6d8e1b4a70/images',
    description:
      'Its images, a page at a time: each one\u2019s output URL (and, when the request asked for renditions, every rendition\u2019s URL, format, size and bytes) or why it failed',
  })
  images_url: string;

  @ApiProperty({
    format: 'date-time',
    example: '2026-11-25T17:00:02.000Z',
    description: 'When the request finished',
  })
  timestamp: string;

  @ApiPropertyOptional({
    type: [RenditionSpecDto],
    description:
      'The renditions the request asked for, in their order (each image\u2019s are listed by `GET /requests/{request_id}/images` and in the export); absent when it asked for none',
  })
  renditions?: RenditionSpecDto[];
}
