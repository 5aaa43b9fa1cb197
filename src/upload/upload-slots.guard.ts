import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { CsvValidationError } from './csv-validation.error.js';
import { UploadSlots } from './upload-slots.js';

const RETRY_AFTER_SECONDS = 5;

/**
 * Lets an upload in only while fewer than MAX_CONCURRENT_UPLOADS are being read or handled; the
 * others are answered 503 with Retry-After before their body is read. The slot is freed when the
 * response is done or the connection closes, whichever comes first.
 */
@Injectable()
export class UploadSlotsGuard implements CanActivate {
  constructor(private readonly slots: UploadSlots) {}

  canActivate(context: ExecutionContext): boolean {
    const response = context.switchToHttp().getResponse<Response>();
    if (!this.slots.tryAcquire()) {
      response.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      const message = `${this.slots.limit} uploads are being read already (MAX_CONCURRENT_UPLOADS); retry after ${RETRY_AFTER_SECONDS} s`;
      throw new CsvValidationError(
        message,
        [{ row: null, column: 'file', message: 'too many uploads at once' }],
        503,
      );
    }
    response.once('close', () => this.slots.release());
    return true;
  }
}
