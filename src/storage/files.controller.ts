import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { FileParams } from './dto/file-params.js';
import { LocalStorage } from './local-storage.js';

const ONE_YEAR_MS = 365 * 24 * 3600 * 1000;

@ApiTags('files')
@Controller('files')
export class FilesController {
  constructor(private readonly storage: LocalStorage) {}

  @Get(':folder/:fileName')
  @ApiProduces('image/jpeg')
  @ApiOkResponse({ description: 'The processed JPEG; cached for a year (its URL never changes content).' })
  @ApiNotFoundResponse({ description: 'No such file.' })
  serve(@Param() params: FileParams, @Res() res: Response): void {
    const path = this.storage.pathOf(`${params.folder}/${params.fileName}`);
    if (!path) throw new NotFoundException('file not found');
    res.sendFile(
      path,
      { maxAge: ONE_YEAR_MS, immutable: true, headers: { 'Content-Type': 'image/jpeg' } },
      (error) => {
        if (error && !res.headersSent) res.status(404).json({ statusCode: 404, message: 'file not found' });
      },
    );
  }
}
