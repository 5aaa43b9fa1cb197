import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { OUTPUT_FORMATS, type OutputFormat } from '../../config/output-options.js';

@ApiSchema({ name: 'Rendition', description: 'One rendition of a done image' })
export class RenditionDto {
  @ApiProperty({
    example: '800w',
    description: 'As the request\u2019s `renditions` named it: a width or a preset',
  })
  spec: string;

  @ApiProperty({
    format: 'uri',
    example: 'http://localhost:3000/files/0c/0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f-800w.jpg',
    description: 'Where it is served: `<image id>-<spec>` and the extension of its format',
  })
  url: string;

  @ApiProperty({ enum: OUTPUT_FORMATS, enumName: 'OutputFormat', example: 'jpeg' })
  format: OutputFormat;

  @ApiProperty({ type: 'integer', example: 800, description: 'Pixels' })
  width: number;

  @ApiProperty({ type: 'integer', example: 653, description: 'Pixels' })
  height: number;

  @ApiProperty({ type: 'integer', example: 45239, description: 'Bytes of the stored file' })
  bytes: number;
}
