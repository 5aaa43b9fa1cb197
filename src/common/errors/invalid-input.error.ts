import { DomainError, type DomainErrorOptions } from './domain-error.js';

/** What the client sent cannot be used as it is. */
export class InvalidInputError extends DomainError {
  constructor(message: string, options?: DomainErrorOptions) {
    super('invalid', message, options);
  }
}
