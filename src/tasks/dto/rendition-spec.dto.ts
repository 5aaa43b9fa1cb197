import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { OUTPUT_FORMATS, type OutputFormat, type OutputQuality } from '../../config/output-options.js';
import { RENDITION_FITS, type Rendition, type RenditionFit } from '../../config/output-presets.js';

/** A quality as the API shows it: 1–100, or `auto`. */
export const OUTPUT_QUALITY_SCHEMA = {
  oneOf: [
    { type: 'integer' as const, minimum: 1, maximum: 100 },
    { type: 'string' as const, enum: ['auto'] },
  ],
};

@ApiSchema({
  name: 'RenditionSpec',
  description: 'One of the renditions a request asked for, as it was resolved when it was uploaded',
})
export class RenditionSpecDto {
  @ApiProperty({ example: 'thumb-400', description: 'A width (`800w`) or a preset\u2019s name' })
  spec: string;

  @ApiProperty({ enum: OUTPUT_FORMATS, enumName: 'OutputFormat', example: 'webp' })
  format: OutputFormat;

  @ApiProperty({ ...OUTPUT_QUALITY_SCHEMA, example: 80 })
  quality: OutputQuality;

  @ApiProperty({ type: 'integer', nullable: true, example: 400, description: 'Bound in pixels; null: none' })
  width: number | null;

  @ApiProperty({ type: 'integer', nullable: true, example: 400, description: 'Bound in pixels; null: none' })
  height: number | null;

  @ApiProperty({
    enum: RENDITION_FITS,
    enumName: 'RenditionFit',
    example: 'cover',
    description:
      '`inside`: fitted inside the bounds, never enlarged; `pad`: exactly the bounds, centred on white; `cover`: exactly the bounds, cropped around the most salient part',
  })
  fit: RenditionFit;

  static from({ spec, format, quality, width, height, fit }: Rendition): RenditionSpecDto {
    return { spec, format, quality, width, height, fit };
  }
}
