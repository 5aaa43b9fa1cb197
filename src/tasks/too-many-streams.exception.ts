import { HttpException } from '@nestjs/common';

/** 429: the caller already has SSE_MAX_STREAMS_PER_KEY progress streams open; it may close one. */
export class TooManyStreamsException extends HttpException {
  constructor(limit: number) {
    super(
      `more than ${limit} progress streams open for this client (SSE_MAX_STREAMS_PER_KEY); close one and try again`,
      429,
    );
  }
}
