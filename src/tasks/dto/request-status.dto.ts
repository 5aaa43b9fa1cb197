import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DELIVERY_STATUSES, type DeliveryState, type DeliveryStatus } from '../delivery-state-reader.js';
import { TASK_STATUSES, Task, type TaskStatus } from '../task.entity.js';

export class WebhookStateDto {
  @ApiProperty({ enum: DELIVERY_STATUSES })
  status: DeliveryStatus;

  @ApiProperty({ example: 1 })
  attempts: number;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    example: 200,
    description: 'HTTP status of the last attempt',
  })
  last_status: number | null;

  @ApiPropertyOptional({ type: String, nullable: true })
  last_error: string | null;
}

export class RequestStatusDto {
  @ApiProperty({ format: 'uuid' })
  request_id: string;

  @ApiProperty({ enum: TASK_STATUSES })
  status: TaskStatus;

  @ApiProperty({ example: '3/10', description: 'processed/total' })
  progress: string;

  @ApiProperty()
  total_images: number;

  @ApiProperty({ description: 'Finished images, failed ones included' })
  processed_images: number;

  @ApiProperty()
  failed_images: number;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  completed_at: string | null;

  @ApiPropertyOptional({
    type: WebhookStateDto,
    nullable: true,
    description: 'null when the request has no webhook_url or is unfinished',
  })
  webhook: WebhookStateDto | null;

  static from(task: Task, webhook: DeliveryState | null): RequestStatusDto {
    return {
      request_id: task.id,
      status: task.status,
      progress: `${task.processedImages}/${task.totalImages}`,
      total_images: task.totalImages,
      processed_images: task.processedImages,
      failed_images: task.failedImages,
      created_at: new Date(task.createdAt).toISOString(),
      completed_at: task.completedAt === null ? null : new Date(task.completedAt).toISOString(),
      webhook: webhook && {
        status: webhook.status,
        attempts: webhook.attempts,
        last_status: webhook.lastStatus,
        last_error: webhook.lastError,
      },
    };
  }
}
