import { API_KEY_REQUIRED } from '../access/api-key.guard.js';
import { CallerOwner } from '../access/caller-owner.decorator.js';
import { CallerQueueOwner } from '../access/caller-queue-owner.decorator.js';
import type { Owner } from '../access/owner.js';
import { Body, Controller, HttpCode, Post, UploadedFile, UseGuards, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiAcceptedResponse, ApiBody, ApiConsumes, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/api-error-responses.decorator.js';
import { RejectWhileDrainingGuard } from '../lifecycle/reject-while-draining.guard.js';
import { UploadAcceptedDto } from './dto/upload-accepted.dto.js';
import { UploadRequestDto } from './dto/upload-request.dto.js';
import { IdempotencyKey } from './idempotency-key.decorator.js';
import { RemoveUploadedFileInterceptor } from './remove-uploaded-file.interceptor.js';
import { UploadFormErrorsInterceptor } from './upload-form-errors.interceptor.js';
import { StorageWritableGuard } from './storage-writable.guard.js';
import { UploadRateLimitGuard } from './upload-rate-limit.guard.js';
import { UploadSlotsInterceptor } from './upload-slots.interceptor.js';
import { UploadTimeoutInterceptor } from './upload-timeout.interceptor.js';
import {
  csvFileOf,
  fileNameOf,
  idempotencyKeyOf,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  webhookUrlOf,
} from './upload-form.js';
import { UploadService } from './upload.service.js';
import { outputOptionsOf } from './output-options-form.js';
import { AppConfig } from '../config/app-config.js';

@ApiTags('requests')
@Controller()
export class UploadController {
  constructor(
    private readonly uploads: UploadService,
    private readonly config: AppConfig,
  ) {}

  @Post('upload')
  @HttpCode(202)
  @UseGuards(RejectWhileDrainingGuard, StorageWritableGuard, UploadRateLimitGuard)
  @UseInterceptors(
    UploadSlotsInterceptor,
    UploadTimeoutInterceptor,
    UploadFormErrorsInterceptor,
    RemoveUploadedFileInterceptor,
    FileInterceptor('file'),
  )
  @ApiOperation({
    operationId: 'uploadCsv',
    summary: 'Upload a product CSV of image URLs',
    description:
      'Validates the whole CSV while storing its rows (the request exists once all are stored), then answers at once with a `request_id`; the images are fetched and processed in the background. An image whose URL an earlier request of yours (same output options) already processed is revalidated with a conditional request and reuses that output when unchanged (`refresh=true` makes every image again). A CSV that cannot be used is refused whole and nothing is stored.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: UploadRequestDto, required: true })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'Send the same key again with the same file, webhook_url and output fields (refresh included) to get the original request back (422 with another file).',
    schema: { type: 'string', maxLength: MAX_IDEMPOTENCY_KEY_LENGTH },
  })
  @ApiAcceptedResponse({
    type: UploadAcceptedDto,
    description: 'Stored; images are processed in the background',
  })
  @ApiErrorResponses({
    401: API_KEY_REQUIRED,
    400: {
      description:
        'The CSV, the form, the webhook_url or an output field (format, quality, max_width, max_height, renditions, refresh) cannot be used (each problem with its row and column); nothing was stored',
      message: 'the file has 1 problem(s); nothing was stored',
      column: 'Product Name',
    },
    408: {
      description: 'The body was not received within UPLOAD_TIMEOUT_MS',
      message: 'the upload was not received within 120000 ms (UPLOAD_TIMEOUT_MS); nothing was stored',
    },
    413: {
      description:
        'Larger than MAX_CSV_BYTES, more than MAX_ROWS rows or MAX_COLUMNS columns, a cell over MAX_CELL_BYTES or a row over MAX_RECORD_BYTES',
      message: 'the file is larger than 50 MiB (MAX_CSV_BYTES); nothing was stored',
      column: 'file',
    },
    415: {
      description: 'The file part is not CSV text, by its content type or its bytes',
      message: 'the file is not UTF-8 text: save it as "CSV UTF-8" and upload it again',
    },
    422: {
      description: 'The Idempotency-Key was used with another file, webhook_url or output options',
      message: 'this Idempotency-Key was already used with a different file, webhook_url or output options',
      column: 'Idempotency-Key',
    },
    429: {
      description:
        'Over RATE_LIMIT_UPLOADS_PER_MIN, or the upload would put more than MAX_QUEUED_IMAGES_PER_KEY of your images in the queue: retry after the `Retry-After` seconds; nothing was stored',
      message:
        'more than 60 uploads in a minute (RATE_LIMIT_UPLOADS_PER_MIN); nothing was stored: retry after the Retry-After seconds',
    },
    507: {
      description:
        'Storage is full or not writable (the images already queued wait for it): retry after the `Retry-After` seconds; nothing was stored',
      message: 'storage is full or not writable; nothing was stored: retry once space is back',
    },
    503: {
      description:
        'Shutting down, or MAX_CONCURRENT_UPLOADS uploads are being read already: retry after the `Retry-After` seconds',
      message: 'the service is shutting down; retry shortly',
    },
  })
  upload(
    @UploadedFile() file: Express.Multer.File | undefined,
    @Body() body: UploadRequestDto,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @CallerOwner() owner: Owner,
    @CallerQueueOwner() queueOwner: string,
  ): Promise<UploadAcceptedDto> {
    const csv = csvFileOf(file);
    return this.uploads.accept({
      owner,
      queueOwner,
      csvPath: csv.path,
      fileName: fileNameOf(csv.originalname),
      webhookUrl: webhookUrlOf(body.webhook_url),
      outputOptions: outputOptionsOf(body, this.config.output.defaults, this.config.output),
      idempotencyKey: idempotencyKeyOf(idempotencyKey),
    });
  }
}
