import { TooManyRequestsError } from '../common/errors/too-many-requests.error.js';

/** The caller already has SSE_MAX_STREAMS_PER_KEY progress streams open; it may close one. */
export class TooManyStreamsError extends TooManyRequestsError {
  constructor(limit: number) {
    super(
      `more than ${limit} progress streams open for this client (SSE_MAX_STREAMS_PER_KEY); close one and try again`,
    );
  }
}
