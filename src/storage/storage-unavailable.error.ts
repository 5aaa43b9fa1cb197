/**
 * The store could not be reached or written (S3 down or refusing after the SDK's retries, a full or failing
 * disk): nothing is wrong with the object itself, so the work can be tried again once the store is back.
 */
export class StorageUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageUnavailableError';
  }
}
