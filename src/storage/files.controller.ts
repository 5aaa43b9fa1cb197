import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../access/public.decorator.js';
import { ApiErrorResponses } from '../common/api-error-responses.decorator.js';
import { FileParams } from './dto/file-params.js';
import { Storage } from './storage.js';
import { FILE_NOT_FOUND, sendStoredObject, STORAGE_UNREADABLE } from './stored-object-response.js';

/** Streams output images from whichever storage driver is configured, at PUBLIC_URL/files/<key>. */
@ApiTags('files')
@Public()
@Controller('files')
export class FilesController {
  constructor(private readonly storage: Storage) {}

  @Get(':folder/:fileName')
  @ApiOperation({
    operationId: 'getOutputFile',
    security: [], // output URLs are handed to anyone: no key needed
    summary: 'Download a processed image',
    description:
      'The URLs come from `output_url` and the export; cached for a year (a URL never changes content).',
  })
  @ApiOkResponse({
    description: 'The processed image, in its request\u2019s format',
    content: {
      'image/jpeg': { schema: { type: 'string', format: 'binary' } },
      'image/webp': { schema: { type: 'string', format: 'binary' } },
      'image/avif': { schema: { type: 'string', format: 'binary' } },
    },
  })
  @ApiErrorResponses({
    400: {
      description: 'Not an output file name',
      message: 'fileName must be <image id>.jpg, .webp or .avif',
      column: 'fileName',
    },
    404: FILE_NOT_FOUND,
    503: STORAGE_UNREADABLE,
  })
  serve(@Param() params: FileParams, @Res() res: Response): Promise<void> {
    return this.send(`${params.folder}/${params.fileName}`, res);
  }

  private async send(key: string, res: Response): Promise<void> {
    const file = await this.storage.open(key);
    if (!file) throw new NotFoundException(FILE_NOT_FOUND.message);
    await sendStoredObject(file, res);
  }
}
