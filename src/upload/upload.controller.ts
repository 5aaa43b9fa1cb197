import {
  Body,
  Controller,
  Headers,
  HttpCode,
  Post,
  UploadedFile,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiPayloadTooLargeResponse,
  ApiRequestTimeoutResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { RejectWhileDrainingGuard } from '../lifecycle/reject-while-draining.guard.js';
import { UploadAcceptedDto } from './dto/upload-accepted.dto.js';
import { UploadRequestDto } from './dto/upload-request.dto.js';
import { RemoveUploadedFileInterceptor } from './remove-uploaded-file.interceptor.js';
import { UploadFormErrorsInterceptor } from './upload-form-errors.interceptor.js';
import { UploadSlotsGuard } from './upload-slots.guard.js';
import { UploadTimeoutInterceptor } from './upload-timeout.interceptor.js';
import { csvFileOf, idempotencyKeyOf, webhookUrlOf } from './upload-form.js';
import { UploadService } from './upload.service.js';

@ApiTags('requests')
@Controller()
export class UploadController {
  constructor(private readonly uploads: UploadService) {}

  @Post('upload')
  @HttpCode(202)
  @UseGuards(RejectWhileDrainingGuard, UploadSlotsGuard)
  @UseInterceptors(
    UploadTimeoutInterceptor,
    UploadFormErrorsInterceptor,
    RemoveUploadedFileInterceptor,
    FileInterceptor('file'),
  )
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: UploadRequestDto })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Send the same key again to get the original request back',
  })
  @ApiAcceptedResponse({
    type: UploadAcceptedDto,
    description: 'Stored; images are processed in the background',
  })
  @ApiBadRequestResponse({
    description:
      'The CSV or the webhook_url cannot be used: `{ message, errors: [{ row, column, message }] }`; nothing was stored',
  })
  @ApiPayloadTooLargeResponse({
    description:
      'Larger than MAX_CSV_BYTES, more than MAX_ROWS rows or MAX_COLUMNS columns, a cell over MAX_CELL_BYTES or a row over MAX_RECORD_BYTES (same body as 400)',
  })
  @ApiUnsupportedMediaTypeResponse({
    description: 'The file part is not CSV text, by its content type or its bytes (same body as 400)',
  })
  @ApiServiceUnavailableResponse({
    description:
      'Shutting down, or MAX_CONCURRENT_UPLOADS uploads are being read already: retry after the Retry-After seconds',
  })
  @ApiRequestTimeoutResponse({ description: 'The body was not received within UPLOAD_TIMEOUT_MS' })
  @ApiUnprocessableEntityResponse({ description: 'The Idempotency-Key was used with another file' })
  upload(
    @UploadedFile() file: Express.Multer.File | undefined,
    @Body() body: UploadRequestDto,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<UploadAcceptedDto> {
    return this.uploads.accept({
      csvPath: csvFileOf(file).path,
      webhookUrl: webhookUrlOf(body.webhook_url),
      idempotencyKey: idempotencyKeyOf(idempotencyKey),
    });
  }
}
