import { ApiProperty } from '@nestjs/swagger';
import { TASK_STATUSES, type TaskStatus } from '../../tasks/task.entity.js';

export class UploadAcceptedDto {
  @ApiProperty({ format: 'uuid' })
  request_id: string;

  @ApiProperty({ enum: TASK_STATUSES, example: 'processing' })
  status: TaskStatus;

  @ApiProperty({ example: 3 })
  total_images: number;

  @ApiProperty({ format: 'uri' })
  status_url: string;

  @ApiProperty({ format: 'uri' })
  export_url: string;
}
