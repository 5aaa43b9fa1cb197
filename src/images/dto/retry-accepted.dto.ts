import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { TASK_STATUSES, type TaskStatus } from '../../tasks/task.entity.js';

@ApiSchema({ name: 'RetryAccepted' })
export class RetryAcceptedDto {
  @ApiProperty({ format: 'uuid', example: '7b0e4c2a-5d1f-4e8b-9a3c-2f6d8e1b4a70' })
  request_id: string;

  @ApiProperty({ enum: TASK_STATUSES, enumName: 'RequestState', example: 'processing' })
  status: TaskStatus;

  @ApiProperty({ type: 'integer', example: 1, description: 'Failed images queued again' })
  requeued_images: number;

  @ApiProperty({ example: '2/3', description: 'processed/total' })
  progress: string;
}
