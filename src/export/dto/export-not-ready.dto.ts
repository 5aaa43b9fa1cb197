import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { ErrorResponseDto } from '../../common/dto/error-response.dto.js';

/** The 409 of GET /export-csv/:request_id: the error body, plus the progress. */
@ApiSchema({ name: 'ExportNotReady' })
export class ExportNotReadyDto extends ErrorResponseDto {
  @ApiProperty({ example: '2/3', description: 'processed/total' })
  progress: string;
}
