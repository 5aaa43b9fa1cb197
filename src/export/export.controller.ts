import { API_KEY_REQUIRED } from '../access/api-key.guard.js';
import { CallerOwner } from '../access/caller-owner.decorator.js';
import type { Owner } from '../access/owner.js';
import { Controller, Get, Header, Param, StreamableFile } from '@nestjs/common';
import { ApiConflictResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/api-error-responses.decorator.js';
import { REQUEST_ID_NOT_A_UUID, RequestIdParams, UNKNOWN_REQUEST } from '../tasks/dto/request-id-params.js';
import { ExportNotReadyDto } from './dto/export-not-ready.dto.js';
import { ExportService } from './export.service.js';

const NOT_READY = 'request 7b0e4c2a-5d1f-4e8b-9a3c-2f6d8e1b4a70';

const EXAMPLE_EXPORT = [
  'S. No.,Product Name,Input Image Urls,Output Image Urls,Errors',
  '1,SKU1,"https://example.com/a.jpg,https://example.com/b.png","http://localhost:3000/files/7b0e4c2a-5d1f-4e8b-9a3c-2f6d8e1b4a70/0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f.jpg,",https://example.com/b.png: http_404 (HTTP 404 Not Found)',
  '',
].join('\n');

@ApiTags('requests')
@Controller()
export class ExportController {
  constructor(private readonly exports: ExportService) {}

  @Get('export-csv/:request_id')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'exportRequestCsv',
    summary: 'Download the CSV back with output URLs',
    description:
      'The uploaded CSV (same headers, same row order) with `Output Image Urls` (one entry per input URL, empty for a failed image) and `Errors` columns added. Saved as `<request_id>.csv`.',
  })
  @ApiOkResponse({
    description: 'The uploaded CSV with `Output Image Urls` and `Errors` columns added',
    content: { 'text/csv': { schema: { type: 'string' }, example: EXAMPLE_EXPORT } },
  })
  @ApiConflictResponse({
    type: ExportNotReadyDto,
    description: 'Still processing: try again when the status is final',
    example: {
      statusCode: 409,
      message: `${NOT_READY} is still processing (2/3); try again when its status is final`,
      errors: [
        {
          row: null,
          column: null,
          message: `${NOT_READY} is still processing (2/3); try again when its status is final`,
        },
      ],
      progress: '2/3',
    },
  })
  @ApiErrorResponses({ 400: REQUEST_ID_NOT_A_UUID, 401: API_KEY_REQUIRED, 404: UNKNOWN_REQUEST })
  async export(
    @Param() { request_id: requestId }: RequestIdParams,
    @CallerOwner() owner: Owner,
  ): Promise<StreamableFile> {
    const csv = await this.exports.exportCsv(requestId, owner);
    return new StreamableFile(csv, {
      type: 'text/csv; charset=utf-8',
      disposition: `attachment; filename="${requestId}.csv"`,
    });
  }
}
