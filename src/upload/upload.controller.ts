import { Body, Controller, Headers, HttpCode, Post, UploadedFile, UseGuards, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { RejectWhileDrainingGuard } from '../lifecycle/reject-while-draining.guard.js';
import { CsvValidationError } from './csv-validation.error.js';
import { UploadAcceptedDto } from './dto/upload-accepted.dto.js';
import { UploadRequestDto } from './dto/upload-request.dto.js';
import { UploadService } from './upload.service.js';

const CSV_TYPES = ['text/csv', 'application/csv'];
const CSV_TYPES_BY_NAME = ['application/vnd.ms-excel', 'application/octet-stream', 'text/plain'];

@ApiTags('requests')
@Controller()
export class UploadController {
  constructor(private readonly uploads: UploadService) {}

  @Post('upload')
  @HttpCode(202)
  @UseGuards(RejectWhileDrainingGuard)
  @UseInterceptors(FileInterceptor('file'))
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: UploadRequestDto })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Send the same key again to get the original request back' })
  @ApiAcceptedResponse({ type: UploadAcceptedDto, description: 'Stored; images are processed in the background' })
  @ApiBadRequestResponse({ description: 'The CSV cannot be used: `{ message, errors: [{ row, column, message }] }`; nothing was stored' })
  @ApiPayloadTooLargeResponse({ description: 'Larger than MAX_CSV_BYTES or more than MAX_ROWS rows' })
  @ApiUnsupportedMediaTypeResponse({ description: 'The file part is not a CSV' })
  @ApiServiceUnavailableResponse({ description: 'Shutting down: retry after the Retry-After seconds' })
  @ApiUnprocessableEntityResponse({ description: 'The Idempotency-Key was used with another file' })
  upload(
    @UploadedFile() file: Express.Multer.File | undefined,
    @Body() body: UploadRequestDto,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<UploadAcceptedDto> {
    if (!file) throw new CsvValidationError('no file part: send the CSV as the multipart field "file"');
    const byName = file.originalname.toLowerCase().endsWith('.csv') && CSV_TYPES_BY_NAME.includes(file.mimetype);
    if (!CSV_TYPES.includes(file.mimetype) && !byName) {
      throw new CsvValidationError(`the file part has content type ${file.mimetype}: upload a .csv file (text/csv)`, [], 415);
    }
    return this.uploads.accept({ csv: file.buffer, webhookUrl: body.webhook_url ?? null, idempotencyKey: idempotencyKey?.trim() || null });
  }
}
