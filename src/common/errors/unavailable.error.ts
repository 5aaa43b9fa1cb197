import { DomainError, type DomainErrorOptions } from './domain-error.js';

/** The service cannot do it now (a shared limit is reached, or a store is down): nothing is wrong with the request. */
export class UnavailableError extends DomainError {
  constructor(message: string, options?: DomainErrorOptions) {
    super('unavailable', message, options);
  }
}
