import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import {
  OUTPUT_FORMATS,
  type OutputFormat,
  type OutputOptions,
  type OutputQuality,
} from '../../config/output-options.js';
import { DELIVERY_STATUSES, type DeliveryState, type DeliveryStatus } from '../delivery-state-reader.js';
import type { TaskQueueState } from '../queue-counters.js';
import { OUTPUT_QUALITY_SCHEMA, RenditionSpecDto } from './rendition-spec.dto.js';
import { TASK_STATUSES, Task, type TaskStatus } from '../task.entity.js';

@ApiSchema({ name: 'WebhookState', description: 'Delivery of the request.completed webhook' })
export class WebhookStateDto {
  @ApiProperty({ enum: DELIVERY_STATUSES, enumName: 'WebhookDeliveryStatus', example: 'delivered' })
  status: DeliveryStatus;

  @ApiProperty({ type: 'integer', example: 1 })
  attempts: number;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: 200,
    description: 'HTTP status of the last attempt (null before the first answer)',
  })
  last_status: number | null;

  @ApiProperty({ type: String, nullable: true, example: null, description: 'Why the last attempt failed' })
  last_error: string | null;
}

@ApiSchema({ name: 'OutputOptions', description: 'How the request\u2019s images are written' })
export class OutputOptionsDto {
  @ApiProperty({ enum: OUTPUT_FORMATS, enumName: 'OutputFormat', example: 'jpeg' })
  format: OutputFormat;

  @ApiProperty({
    ...OUTPUT_QUALITY_SCHEMA,
    example: 50,
    description: '1–100, or `auto` (the chosen quality is listed per image)',
  })
  quality: OutputQuality;

  @ApiProperty({ type: 'integer', nullable: true, example: 800, description: 'null: no bound' })
  max_width: number | null;

  @ApiProperty({ type: 'integer', nullable: true, example: null, description: 'null: no bound' })
  max_height: number | null;

  @ApiPropertyOptional({
    type: [RenditionSpecDto],
    description: 'The renditions asked for, in their order; absent when the request asked for none',
  })
  renditions?: RenditionSpecDto[];

  @ApiPropertyOptional({
    type: Boolean,
    example: true,
    description:
      'true when the upload sent `refresh=true`: every image was made again, none reused; absent otherwise',
  })
  refresh?: boolean;

  static from(options: OutputOptions): OutputOptionsDto {
    return {
      format: options.format,
      quality: options.quality,
      max_width: options.maxWidth,
      max_height: options.maxHeight,
      ...(options.renditions && {
        renditions: options.renditions.map((rendition) => RenditionSpecDto.from(rendition)),
      }),
      ...(options.refresh && { refresh: true }),
    };
  }
}

@ApiSchema({ name: 'RequestSummary', description: 'A request and its counters' })
export class RequestSummaryDto {
  @ApiProperty({ format: 'uuid', example: '7b0e4c2a-5d1f-4e8b-9a3c-2f6d8e1b4a70' })
  request_id: string;

  @ApiProperty({
    type: String,
    nullable: true,
    maxLength: 255,
    example: 'summer-catalogue.csv',
    description:
      'The name the CSV was uploaded as (its last path segment, without control or invisible characters, at most 255 characters); null when the upload gave none',
  })
  file_name: string | null;

  @ApiProperty({ enum: TASK_STATUSES, enumName: 'RequestState', example: 'completed_with_errors' })
  status: TaskStatus;

  @ApiProperty({ example: '3/3', description: 'processed/total' })
  progress: string;

  @ApiProperty({ type: 'integer', example: 3 })
  total_images: number;

  @ApiProperty({ type: 'integer', example: 3, description: 'Finished images, failed ones included' })
  processed_images: number;

  @ApiProperty({ type: 'integer', example: 1 })
  failed_images: number;

  @ApiProperty({
    type: 'integer',
    example: 1,
    description:
      'Done images that reused an output made for an earlier request of yours (same URL unchanged, or the same bytes, with the same output options) instead of being made again',
  })
  reused_images: number;

  @ApiProperty({
    type: 'integer',
    example: 0,
    description:
      'Images waiting for a worker (behind other work: workers are shared fairly between API keys, then between their requests); 0 once finished',
  })
  queued_images: number;

  @ApiProperty({
    type: 'integer',
    example: 0,
    description:
      'Images a worker is processing now. A processing request with none in flight and images queued is waiting its turn, not stuck',
  })
  in_flight_images: number;

  @ApiProperty({ format: 'date-time', example: '2026-11-25T17:00:00.000Z' })
  created_at: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2026-11-25T17:00:02.000Z',
    description: 'null while processing',
  })
  completed_at: string | null;

  @ApiProperty({ type: OutputOptionsDto })
  output: OutputOptionsDto;

  @ApiProperty({ type: 'integer', example: 1446339, description: 'Bytes downloaded for the done images' })
  input_bytes: number;

  @ApiProperty({
    type: 'integer',
    example: 289633,
    description: "Bytes of the done images' outputs (the saving is input_bytes - output_bytes)",
  })
  output_bytes: number;

  /** `queue`: where its images are (none when it finished before the queue's summary was kept). */
  static from(task: Task, queue: TaskQueueState | undefined): RequestSummaryDto {
    return {
      request_id: task.id,
      file_name: task.fileName,
      status: task.status,
      progress: `${task.processedImages}/${task.totalImages}`,
      total_images: task.totalImages,
      processed_images: task.processedImages,
      failed_images: task.failedImages,
      reused_images: task.reusedImages,
      queued_images: queue?.queuedImages ?? 0,
      in_flight_images: queue?.inFlightImages ?? 0,
      input_bytes: task.inputBytes,
      output_bytes: task.outputBytes,
      created_at: new Date(task.createdAt).toISOString(),
      completed_at: task.completedAt === null ? null : new Date(task.completedAt).toISOString(),
      output: OutputOptionsDto.from(task.outputOptions),
    };
  }
}

@ApiSchema({ name: 'RequestStatus', description: 'A request, its counters and its webhook delivery' })
export class RequestStatusDto extends RequestSummaryDto {
  @ApiProperty({
    type: WebhookStateDto,
    nullable: true,
    description: 'null when the request has no webhook_url or is unfinished',
  })
  webhook: WebhookStateDto | null;

  static withWebhook(
    task: Task,
    queue: TaskQueueState | undefined,
    webhook: DeliveryState | null,
  ): RequestStatusDto {
    const status = RequestSummaryDto.from(task, queue) as RequestStatusDto;
    status.webhook = webhook && {
      status: webhook.status,
      attempts: webhook.attempts,
      last_status: webhook.lastStatus,
      last_error: webhook.lastError,
    };
    return status;
  }
}
