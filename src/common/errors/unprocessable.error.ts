import { DomainError, type DomainErrorOptions } from './domain-error.js';

/** Well-formed, but contradicts what was sent before (an Idempotency-Key reused for another upload). */
export class UnprocessableError extends DomainError {
  constructor(message: string, options?: DomainErrorOptions) {
    super('unprocessable', message, options);
  }
}
