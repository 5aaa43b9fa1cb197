import {
  Body,
  CallHandler,
  Controller,
  ExecutionContext,
  Headers,
  HttpCode,
  HttpException,
  Injectable,
  NestInterceptor,
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
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { catchError, Observable, throwError } from 'rxjs';
import { AppConfig } from '../config/app-config.js';
import { formatBytes } from '../http/fetch-error.js';
import { RejectWhileDrainingGuard } from '../lifecycle/reject-while-draining.guard.js';
import { urlProblem } from './csv-parser.js';
import { CsvValidationError } from './csv-validation.error.js';
import { UploadAcceptedDto } from './dto/upload-accepted.dto.js';
import { UploadRequestDto } from './dto/upload-request.dto.js';
import { UploadService } from './upload.service.js';

const CSV_TYPES = ['text/csv', 'application/csv'];
const CSV_TYPES_BY_NAME = ['application/vnd.ms-excel', 'application/octet-stream', 'text/plain'];

/**
 * Gives multer's and busboy's refusals of the multipart form (file over MAX_CSV_BYTES, a file in
 * another field, a malformed form…) the shape of every upload refusal: `{ message, errors }`.
 * Multer stops storing the file at MAX_CSV_BYTES (it reads and discards the rest of the body
 * before answering), so nothing larger is ever buffered.
 */
@Injectable()
export class UploadFormErrorsInterceptor implements NestInterceptor {
  constructor(private readonly config: AppConfig) {}

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(catchError((error: unknown) => throwError(() => this.describe(error))));
  }

  private describe(error: unknown): unknown {
    // Nest turns multer's and busboy's errors into HttpExceptions with the original as the cause.
    if (!(error instanceof HttpException) || !(error.cause instanceof Error)) return error;
    const cause = error.cause as Error & { code?: unknown; field?: unknown };
    const fromBusboy = /^(Multipart: |Unsupported content type)/.test(error.message);
    if (cause.name !== 'MulterError' && !fromBusboy) return error;
    const field = typeof cause.field === 'string' ? cause.field : null;
    switch (cause.code) {
      case 'LIMIT_FILE_SIZE': {
        const limit = `${formatBytes(this.config.maxCsvBytes)} (MAX_CSV_BYTES)`;
        return new CsvValidationError(`the file is larger than ${limit}; nothing was stored`, [
          { row: null, column: 'file', message: `larger than ${limit}` },
        ], 413);
      }
      case 'LIMIT_UNEXPECTED_FILE':
      case 'LIMIT_FILE_COUNT':
        return new CsvValidationError(
          field && field !== 'file'
            ? `unexpected file field "${field}": send the CSV as the multipart field "file"`
            : 'send exactly one file, as the multipart field "file"',
          [{ row: null, column: field ?? 'file', message: field && field !== 'file' ? 'unexpected file field' : 'more than one file' }],
        );
      case 'LIMIT_FIELD_VALUE':
        return new CsvValidationError(`the form field ${field ? `"${field}" ` : ''}is too long`, [
          { row: null, column: field, message: 'value too long' },
        ]);
      default:
        return new CsvValidationError(`the upload is not a usable multipart form: ${cause.message}`, [], error.getStatus());
    }
  }
}

/** The webhook_url form field: absent or empty means none; otherwise the rule of image URLs. */
function webhookUrlOf(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') {
    throw new CsvValidationError('webhook_url must be sent once, as text; nothing was stored', [
      { row: null, column: 'webhook_url', message: 'not a single text value' },
    ]);
  }
  const url = value.trim();
  if (url === '') return null;
  const problem = urlProblem(url);
  if (problem) {
    throw new CsvValidationError(`webhook_url cannot be used: ${problem}; nothing was stored`, [
      { row: null, column: 'webhook_url', message: problem },
    ]);
  }
  return url;
}

@ApiTags('requests')
@Controller()
export class UploadController {
  constructor(private readonly uploads: UploadService) {}

  @Post('upload')
  @HttpCode(202)
  @UseGuards(RejectWhileDrainingGuard)
  @UseInterceptors(UploadFormErrorsInterceptor, FileInterceptor('file'))
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: UploadRequestDto })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Send the same key again to get the original request back' })
  @ApiAcceptedResponse({ type: UploadAcceptedDto, description: 'Stored; images are processed in the background' })
  @ApiBadRequestResponse({
    description: 'The CSV or the webhook_url cannot be used: `{ message, errors: [{ row, column, message }] }`; nothing was stored',
  })
  @ApiPayloadTooLargeResponse({ description: 'Larger than MAX_CSV_BYTES or more than MAX_ROWS rows (same body as 400)' })
  @ApiUnsupportedMediaTypeResponse({ description: 'The file part is not CSV text, by its content type or its bytes (same body as 400)' })
  @ApiServiceUnavailableResponse({ description: 'Shutting down: retry after the Retry-After seconds' })
  @ApiUnprocessableEntityResponse({ description: 'The Idempotency-Key was used with another file' })
  upload(
    @UploadedFile() file: Express.Multer.File | undefined,
    @Body() body: UploadRequestDto,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<UploadAcceptedDto> {
    if (!file) {
      throw new CsvValidationError('no file part: send the CSV as the multipart field "file"', [
        { row: null, column: 'file', message: 'no file part' },
      ]);
    }
    const mimetype = file.mimetype.toLowerCase();
    const byName = file.originalname.toLowerCase().endsWith('.csv') && CSV_TYPES_BY_NAME.includes(mimetype);
    if (!CSV_TYPES.includes(mimetype) && !byName) {
      const message = `the file part has content type ${JSON.stringify(file.mimetype)}: upload a .csv file (text/csv)`;
      throw new CsvValidationError(message, [{ row: null, column: 'file', message: 'not a CSV content type' }], 415);
    }
    const webhookUrl = webhookUrlOf(body.webhook_url);
    return this.uploads.accept({ csv: file.buffer, webhookUrl, idempotencyKey: idempotencyKey?.trim() || null });
  }
}
