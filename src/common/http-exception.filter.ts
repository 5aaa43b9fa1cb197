import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CsvValidationError } from '../upload/csv-validation.error.js';
import { UploadAbortedError } from '../upload/upload-aborted.error.js';

/** Every error a client sees is JSON with a message; CSV problems also list `errors: [{ row, column, message }]`. */
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
    if (!expected) this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    if (!response.headersSent) response.status(status).json(body);
  }

  private describe(exception: unknown): { status: number; body: Record<string, unknown> } {
    if (exception instanceof CsvValidationError) {
      return {
        status: exception.statusCode,
        body: { statusCode: exception.statusCode, message: exception.message, errors: exception.problems },
      };
    }
    if (exception instanceof HttpException) {
      const answer = exception.getResponse();
      const body =
        typeof answer === 'string'
          ? { statusCode: exception.getStatus(), message: answer }
          : (answer as Record<string, unknown>);
      return { status: exception.getStatus(), body };
    }
    return { status: 500, body: { statusCode: 500, message: 'internal server error' } };
  }
}
