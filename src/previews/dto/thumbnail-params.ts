import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';

/** `/files/thumbs/<folder>/<image id>.webp`: the folder is the first two characters of the image id. */
export class ThumbnailParams {
  @ApiProperty({
    pattern: '^[0-9a-f]{2}$',
    example: '0c',
    description: 'The first two characters of the image id',
  })
  @Matches(/^[0-9a-f]{2}$/, { message: 'folder must be the first two characters of an image id' })
  folder: string;

  @ApiProperty({
    pattern: '^[0-9a-f-]{36}\\.webp$',
    example: '0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f.webp',
    description: '`<image id>.webp`',
  })
  @Matches(/^[0-9a-f-]{36}\.webp$/, { message: 'fileName must be <image id>.webp' })
  fileName: string;
}
