import { NotFoundError } from '../common/errors/not-found.error.js';

/** The request is unknown, or another owner's (as unknown as a made-up id). */
export class RequestNotFoundError extends NotFoundError {
  constructor(requestId: string) {
    super(`request ${requestId} not found`);
  }
}
