import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiErrorResponses } from '../common/api-error-responses.decorator.js';
import { FileParams } from './dto/file-params.js';
import { LocalStorage } from './local-storage.js';

const ONE_YEAR_MS = 365 * 24 * 3600 * 1000;

@ApiTags('files')
@Controller('files')
export class FilesController {
  constructor(private readonly storage: LocalStorage) {}

  @Get(':requestId/:fileName')
  @ApiOperation({
    operationId: 'getOutputFile',
    summary: 'Download a processed image',
    description:
      'The URLs come from `output_url` and the export; cached for a year (a URL never changes content).',
  })
  @ApiOkResponse({
    description: 'The processed JPEG',
    content: { 'image/jpeg': { schema: { type: 'string', format: 'binary' } } },
  })
  @ApiErrorResponses({
    400: {
      description: 'Not an output file name',
      message: 'fileName must be <image id>.jpg',
      column: 'fileName',
    },
    404: { description: 'No such file', message: 'file not found' },
  })
  serve(@Param() params: FileParams, @Res() res: Response): void {
    const path = this.storage.pathOf(`${params.requestId}/${params.fileName}`);
    if (!path) throw new NotFoundException('file not found');
    res.sendFile(
      path,
      { maxAge: ONE_YEAR_MS, immutable: true, headers: { 'Content-Type': 'image/jpeg' } },
      (error) => {
        if (error && !res.headersSent) {
          const message = 'file not found';
          res.status(404).json({ statusCode: 404, message, errors: [{ row: null, column: null, message }] });
        }
      },
    );
  }
}
