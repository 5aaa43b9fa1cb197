import { Controller, Get, Header, Param, StreamableFile } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { ExportService } from './export.service.js';

@ApiTags('requests')
@Controller()
export class ExportController {
  constructor(private readonly exports: ExportService) {}

  @Get('export-csv/:request_id')
  @ApiProduces('text/csv')
  @Header('Cache-Control', 'no-store')
  @ApiOkResponse({
    description: 'The uploaded CSV with `Output Image Urls` and `Errors` columns added',
    schema: { type: 'string' },
  })
  @ApiConflictResponse({ description: 'Still processing: `{ message, progress }`' })
  @ApiNotFoundResponse({ description: 'Unknown request id' })
  async export(@Param('request_id') requestId: string): Promise<StreamableFile> {
    const csv = await this.exports.exportCsv(requestId);
    return new StreamableFile(csv, {
      type: 'text/csv; charset=utf-8',
      disposition: `attachment; filename="${requestId}.csv"`,
    });
  }
}
