import { DomainError, type DomainErrorOptions } from './domain-error.js';

/** The caller has used up a per-client allowance (queued images, open streams); it may come back later. */
export class TooManyRequestsError extends DomainError {
  constructor(message: string, options?: DomainErrorOptions) {
    super('too_many_requests', message, options);
  }
}
