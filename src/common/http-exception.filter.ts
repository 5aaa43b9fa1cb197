import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { StorageUnavailableError } from '../storage/storage-unavailable.error.js';
import { CsvValidationError } from '../upload/csv-validation.error.js';
import { UploadAbortedError } from '../upload/upload-aborted.error.js';

/**
 * Every error a client sees has one shape, the `ErrorResponse` schema of the OpenAPI document:
 * `{ statusCode, message, errors: [{ row, column, message }] }`, with at least one entry in `errors`
 * (CSV problems name their row and column; other refusals repeat the message with `row: null`).
 * An exception may add fields (the export's 409 adds `progress`).
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (exception instanceof UploadAbortedError) {
      // An everyday event (a closed laptop, a cancelled upload): one line, no stack.
      const request = host.switchToHttp().getRequest<Request>();
      this.logger.warn(`${request.method} ${request.path}: ${exception.message}`);
      return;
    }
    const { status, body } = this.describe(exception);
    // Refusals the client caused (HttpExceptions, unusable CSVs) are its business; anything else is a bug.
    const expected = exception instanceof HttpException || exception instanceof CsvValidationError;
    if (exception instanceof StorageUnavailableError) this.logger.warn(exception.message);
    else if (!expected) this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    if (response.headersSent) return;
    // A refusal that knows when to come back (e.g. QueueFullException) says so.
    if (exception instanceof HttpException && 'retryAfterSeconds' in exception)
      response.setHeader('Retry-After', String(exception.retryAfterSeconds));
    response.status(status).json(body);
  }

  private describe(exception: unknown): { status: number; body: Record<string, unknown> } {
    if (exception instanceof CsvValidationError) {
      return {
        status: exception.statusCode,
        body: { statusCode: exception.statusCode, message: exception.message, errors: exception.problems },
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const answer = exception.getResponse();
      return { status, body: errorBody(status, typeof answer === 'string' ? { message: answer } : answer) };
    }
    if (exception instanceof StorageUnavailableError) {
      return { status: 503, body: errorBody(503, { message: 'storage unavailable; try again later' }) };
    }
    return { status: 500, body: errorBody(500, { message: 'internal server error' }) };
  }
}

/** Nest's own exceptions answer `{ statusCode, message: string | string[], error }`: given the one shape. */
function errorBody(status: number, answer: object): Record<string, unknown> {
  const { message: raw, errors: given, error, ...extra } = answer as Record<string, unknown>;
  // Nest names the status in a string `error`; other bodies (terminus's failing checks) keep theirs.
  const name = typeof error === 'string' ? error : undefined;
  if (error !== undefined && name === undefined) extra.error = error;
  const message = Array.isArray(raw)
    ? raw.join('; ')
    : typeof raw === 'string'
      ? raw
      : typeof name === 'string'
        ? name
        : `HTTP ${status}`;
  const errors = Array.isArray(given) && given.length > 0 ? given : [{ row: null, column: null, message }];
  return { ...extra, statusCode: status, message, errors };
}
