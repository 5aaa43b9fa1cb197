import { ApiProperty } from '@nestjs/swagger';
import { TASK_STATUSES, type TaskStatus } from '../../tasks/task.entity.js';

export class RetryAcceptedDto {
  @ApiProperty({ format: 'uuid' })
  request_id: string;

  @ApiProperty({ enum: TASK_STATUSES, example: 'processing' })
  status: TaskStatus;

  @ApiProperty({ description: 'Failed images queued again' })
  requeued_images: number;

  @ApiProperty({ example: '8/10' })
  progress: string;
}
