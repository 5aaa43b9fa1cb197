import { UnavailableError } from '../common/errors/unavailable.error.js';

/**
 * The store could not be reached or written (S3 down or refusing after the SDK's retries, a full or failing
 * disk): nothing is wrong with the object itself, so the work can be tried again once the store is back.
 * The message says why, for the log; a client is told only that storage is unavailable.
 */
export class StorageUnavailableError extends UnavailableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, publicMessage: 'storage unavailable; try again later' });
  }
}
