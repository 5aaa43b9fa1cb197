import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';

/**
 * `/files/<folder>/<image id>[-<rendition spec>].<jpg|webp|avif>`. The folder is the first two characters of the image id; files
 * stored before that layout live under their request id and are still served.
 */
export class FileParams {
  @ApiProperty({
    pattern: '^([0-9a-f]{2}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$',
    example: '0c',
    description: 'The first two characters of the image id',
  })
  @Matches(/^([0-9a-f]{2}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/, {
    message: 'folder must be the first two characters of an image id',
  })
  folder: string;

  @ApiProperty({
    pattern: '^[0-9a-f-]{36}(-[a-z0-9-]{1,40})?\\.(jpg|webp|avif)$',
    example: '0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f.jpg',
    description:
      '`<image id>.jpg`, `.webp` or `.avif`, as the request\u2019s format; a rendition\u2019s is `<image id>-<spec>.<extension>`',
  })
  @Matches(/^[0-9a-f-]{36}(-[a-z0-9-]{1,40})?\.(jpg|webp|avif)$/, {
    message:
      'fileName must be <image id>.jpg, .webp or .avif, or <image id>-<rendition spec> with one of them',
  })
  fileName: string;
}
