import { DomainError, type DomainErrorOptions } from './domain-error.js';

/** The thing exists, but its state does not allow what was asked (yet). */
export class ConflictError extends DomainError {
  constructor(message: string, options?: DomainErrorOptions) {
    super('conflict', message, options);
  }
}
