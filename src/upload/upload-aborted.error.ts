import { DomainError } from '../common/errors/domain-error.js';

/** The client closed the connection before its upload was received: nobody is left to answer. */
export class UploadAbortedError extends DomainError {
  constructor(reason: string) {
    super('aborted', `upload ended by the client before its body was received (${reason})`);
  }
}
