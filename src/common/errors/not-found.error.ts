import { DomainError, type DomainErrorOptions } from './domain-error.js';

/** Something the caller named does not exist, or is not the caller's to see. */
export class NotFoundError extends DomainError {
  constructor(message: string, options?: DomainErrorOptions) {
    super('not_found', message, options);
  }
}
