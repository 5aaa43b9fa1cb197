import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError, type DomainErrorKind } from './errors/domain-error.js';

/** The one place a domain error becomes an HTTP status. */
const STATUS_OF: Record<Exclude<DomainErrorKind, 'aborted'>, number> = {
  invalid: 400,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media: 415,
  unprocessable: 422,
  too_many_requests: 429,
  unavailable: 503,
};

/**
 * Every error a client sees has one shape, the `ErrorResponse` schema of the OpenAPI document:
 * `{ statusCode, message, errors: [{ row, column, message }] }`, with at least one entry in `errors`
 * (CSV problems name their row and column; other refusals repeat the message with `row: null`).
 * A domain error may add fields (the export's 409 adds `progress`). Domain errors (what services
 * throw) are mapped here by their kind; Nest's HTTP exceptions (guards, pipes, controllers) by their status.
 */
@Catch()
export class DomainErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (exception instanceof DomainError && exception.kind === 'aborted') {
      // An everyday event (a closed laptop, a cancelled upload): one line, no stack.
      const request = host.switchToHttp().getRequest<Request>();
      this.logger.warn(`${request.method} ${request.path}: ${exception.message}`);
      return;
    }
    const { status, body } = this.describe(exception);
    // Refusals (domain errors, HTTP exceptions) are the client's business, but one whose reason the client
    // is not told (a store down) is logged; anything else is a bug.
    if (exception instanceof DomainError) {
      if (exception.publicMessage !== undefined) this.logger.warn(exception.message);
    } else if (!(exception instanceof HttpException))
      this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    if (response.headersSent) return;
    // A refusal that knows when to come back (e.g. the queue quota) says so.
    if (exception instanceof DomainError && exception.retryAfterSeconds !== undefined)
      response.setHeader('Retry-After', String(exception.retryAfterSeconds));
    response.status(status).json(body);
  }

  private describe(exception: unknown): { status: number; body: Record<string, unknown> } {
    if (exception instanceof DomainError) {
      const status = STATUS_OF[exception.kind as keyof typeof STATUS_OF];
      const message = exception.publicMessage ?? exception.message;
      return {
        status,
        body: { ...exception.details, statusCode: status, message, errors: exception.problems },
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const answer = exception.getResponse();
      return { status, body: errorBody(status, typeof answer === 'string' ? { message: answer } : answer) };
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
