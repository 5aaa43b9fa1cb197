import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { finalize, type Observable } from 'rxjs';
import { UnavailableError } from '../common/errors/unavailable.error.js';
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

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!this.slots.tryAcquire()) {
      const message = `${this.slots.limit} uploads are being read already (MAX_CONCURRENT_UPLOADS); retry after ${RETRY_AFTER_SECONDS} s`;
      throw new UnavailableError(message, {
        problems: [{ row: null, column: 'file', message: 'too many uploads at once' }],
        retryAfterSeconds: RETRY_AFTER_SECONDS,
      });
    }
    return next.handle().pipe(finalize(() => this.slots.release()));
  }
}
