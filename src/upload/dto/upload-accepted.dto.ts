import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { TASK_STATUSES, type TaskStatus } from '../../tasks/task.entity.js';

@ApiSchema({ name: 'UploadAccepted' })
export class UploadAcceptedDto {
  @ApiProperty({ format: 'uuid', example: '7b0e4c2a-5d1f-4e8b-9a3c-2f6d8e1b4a70' })
  request_id: string;

  @ApiProperty({ enum: TASK_STATUSES, enumName: 'RequestState', example: 'processing' })
  status: TaskStatus;

  @ApiProperty({ type: 'integer', example: 3 })
  total_images: number;

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
}
