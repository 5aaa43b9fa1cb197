import { ApiProperty } from '@nestjs/swagger';
import { IsUUID, Matches } from 'class-validator';

export class FileParams {
  @ApiProperty({ format: 'uuid', example: '7b0e4c2a-5d1f-4e8b-9a3c-2f6d8e1b4a70' })
  @IsUUID()
  requestId: string;

  @ApiProperty({
    pattern: '^[0-9a-f-]{36}\\.jpg$',
    example: '0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f.jpg',
    description: '`<image id>.jpg`',
  })
  @Matches(/^[0-9a-f-]{36}\.jpg$/, { message: 'fileName must be <image id>.jpg' })
  fileName: string;
}
