import { Matches } from 'class-validator';

/**
 * `/files/<folder>/<image id>.jpg`. The folder is the first two characters of the image id; files
 * stored before that layout live under their request id and are still served.
 */
export class FileParams {
  @Matches(/^([0-9a-f]{2}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/, {
    message: 'folder must be the first two characters of an image id',
  })
  folder: string;

  @Matches(/^[0-9a-f-]{36}\.jpg$/, { message: 'fileName must be <image id>.jpg' })
  fileName: string;
}
