import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { Public } from '../access/public.decorator.js';
import { ApiErrorResponses } from '../common/api-error-responses.decorator.js';
import { FileParams } from './dto/file-params.js';
import { ThumbnailParams } from './dto/thumbnail-params.js';
import { OBJECT_CACHE_CONTROL } from './storage-key.js';
import { Storage } from './storage.js';

const FILE_NOT_FOUND = { description: 'No such file', message: 'file not found' };
const STORAGE_UNREADABLE = {
  description: 'The store cannot be read right now',
  message: 'storage unavailable; try again later',
};

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

  @Get('thumbs/:folder/:fileName')
  @ApiOperation({
    operationId: 'getThumbnailFile',
    security: [],
    summary: "Download a processed image's preview",
    description:
      'A small WebP of the output, made in the same pass; the URLs come from `thumbnail_url`. Cached for a year.',
  })
  @ApiOkResponse({
    description: 'The WebP preview',
    content: { 'image/webp': { schema: { type: 'string', format: 'binary' } } },
  })
  @ApiErrorResponses({
    400: {
      description: 'Not a preview file name',
      message: 'fileName must be <image id>.webp',
      column: 'fileName',
    },
    404: FILE_NOT_FOUND,
    503: STORAGE_UNREADABLE,
  })
  serveThumbnail(@Param() params: ThumbnailParams, @Res() res: Response): Promise<void> {
    return this.send(`thumbs/${params.folder}/${params.fileName}`, res);
  }

  private async send(key: string, res: Response): Promise<void> {
    const file = await this.storage.open(key);
    if (!file) throw new NotFoundException('file not found');
    res.status(200).set({
      'Content-Type': file.contentType,
      'Content-Length': String(file.contentLength),
      'Cache-Control': OBJECT_CACHE_CONTROL,
      'X-Content-Type-Options': 'nosniff',
    });
    if (res.req.method === 'HEAD') {
      file.body.destroy(); // the headers are the answer: do not read the object
      res.end();
      return;
    }
    // A client that goes away, or a store that fails mid-stream, ends both streams (the response is cut short).
    await pipeline(file.body, res).catch(() => undefined);
  }
}
