import { CanActivate, ExecutionContext, HttpException, HttpStatus, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { StorageHealth } from '../storage/storage-health.js';

const RETRY_AFTER_SECONDS = 60;

/**
 * Refuses uploads with 507 while storage was last found not writable (a full disk, a store that refuses
 * writes), before the body is read: the images already queued wait for space, and a new request would only
 * add to them. Consults what the processor and readiness probe last saw; it never probes on each upload.
 */
@Injectable()
export class StorageWritableGuard implements CanActivate {
  constructor(private readonly storageHealth: StorageHealth) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    // The reason (a path, a bucket, an internal host) is the operator's: the log has it, the client does not.
    if ((await this.storageHealth.unwritableReason()) === undefined) return true;
    context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    const message = 'storage is full or not writable; nothing was stored: retry once space is back';
    throw new HttpException(
      {
        message,
        errors: [{ row: null, column: null, message: 'storage is not writable' }],
      },
      HttpStatus.INSUFFICIENT_STORAGE,
    );
  }
}
