import { CallHandler, ExecutionContext, HttpException, Injectable, NestInterceptor } from '@nestjs/common';
import { catchError, Observable, throwError } from 'rxjs';
import { AppConfig } from '../config/app-config.js';
import { formatBytes } from '../http/fetch-error.js';
import { CsvValidationError } from './csv-validation.error.js';
import { UploadAbortedError } from './upload-aborted.error.js';

/** What multer rejects with when the request stops before the form ends (client gone, or ended by the upload timeout). */
const CLIENT_GONE = new Set(['Request aborted', 'Request closed']);

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
    if (error instanceof Error && !(error instanceof HttpException) && CLIENT_GONE.has(error.message)) {
      return new UploadAbortedError(error.message);
    }
    // Nest turns multer's and busboy's errors into HttpExceptions with the original as the cause.
    if (!(error instanceof HttpException) || !(error.cause instanceof Error)) return error;
    const cause = error.cause as Error & { code?: unknown; field?: unknown };
    const fromBusboy = /^(Multipart: |Unsupported content type)/.test(error.message);
    if (cause.name !== 'MulterError' && !fromBusboy) return error;
    const field = typeof cause.field === 'string' ? cause.field : null;
    switch (cause.code) {
      case 'LIMIT_FILE_SIZE': {
        const limit = `${formatBytes(this.config.limits.maxCsvBytes)} (MAX_CSV_BYTES)`;
        return new CsvValidationError(
          `the file is larger than ${limit}; nothing was stored`,
          [{ row: null, column: 'file', message: `larger than ${limit}` }],
          'too_large',
        );
      }
      case 'LIMIT_UNEXPECTED_FILE':
      case 'LIMIT_FILE_COUNT':
        return new CsvValidationError(
          field && field !== 'file'
            ? `unexpected file field "${field}": send the CSV as the multipart field "file"`
            : 'send exactly one file, as the multipart field "file"',
          [
            {
              row: null,
              column: field ?? 'file',
              message: field && field !== 'file' ? 'unexpected file field' : 'more than one file',
            },
          ],
        );
      case 'LIMIT_FIELD_VALUE':
        return new CsvValidationError(`the form field ${field ? `"${field}" ` : ''}is too long`, [
          { row: null, column: field, message: 'value too long' },
        ]);
      default:
        return new HttpException(
          { message: `the upload is not a usable multipart form: ${cause.message}` },
          error.getStatus(),
        );
    }
  }
}
