import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../access/public.decorator.js';
import { ApiErrorResponses } from '../common/api-error-responses.decorator.js';
import { FILE_NOT_FOUND, sendStoredObject, STORAGE_UNREADABLE } from '../storage/stored-object-response.js';
import { ThumbnailParams } from './dto/thumbnail-params.js';
import { PreviewMaker } from './preview-maker.js';

/** The dashboard's previews at PUBLIC_URL/files/thumbs/<folder>/<image id>.webp, made on first request. */
@ApiTags('files')
@Public()
@Controller('files/thumbs')
export class PreviewsController {
  constructor(private readonly previews: PreviewMaker) {}

  @Get(':folder/:fileName')
  @ApiOperation({
    operationId: 'getThumbnailFile',
    security: [],
    summary: "Download a processed image's preview",
    description:
      'A small WebP of the output (`THUMBNAIL_SIZE` px on its longer side), made from it on the first request and stored; the URLs come from `thumbnail_url`. Cached for a year. Only done images have one.',
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
    404: { description: 'No such image, or it is not done', message: FILE_NOT_FOUND.message },
    503: STORAGE_UNREADABLE,
  })
  async serve(@Param() params: ThumbnailParams, @Res() res: Response): Promise<void> {
    const imageId = params.fileName.slice(0, -'.webp'.length);
    const preview = imageId.startsWith(params.folder) ? await this.previews.open(imageId) : undefined;
    if (!preview) throw new NotFoundException(FILE_NOT_FOUND.message);
    await sendStoredObject(preview, res);
  }
}
