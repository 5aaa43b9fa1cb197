import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import { finalize, type Observable } from 'rxjs';
import { CsvValidationError } from './csv-validation.error.js';
import { UploadSlots } from './upload-slots.js';

const RETRY_AFTER_SECONDS = 5;

/**
 * Lets an upload in only while fewer than MAX_CONCURRENT_UPLOADS are being read or handled; the
 * others are answered 503 with Retry-After before their body is read. The slot is held until the
 * handling has settled (stored, refused or failed), not merely until the client hangs up: a client
 * that sends a large file and disconnects must not free a slot while its file is still being parsed.
 * First in the upload's interceptor chain, so its finalize runs after every other one.
 */
@Injectable()
export class UploadSlotsInterceptor implements NestInterceptor {
  constructor(private readonly slots: UploadSlots) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!this.slots.tryAcquire()) {
      context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      const message = `${this.slots.limit} uploads are being read already (MAX_CONCURRENT_UPLOADS); retry after ${RETRY_AFTER_SECONDS} s`;
      throw new CsvValidationError(
        message,
        [{ row: null, column: 'file', message: 'too many uploads at once' }],
        503,
      );
    }
    return next.handle().pipe(finalize(() => this.slots.release()));
  }
}
