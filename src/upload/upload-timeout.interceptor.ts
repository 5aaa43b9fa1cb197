import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { finalize, Observable } from 'rxjs';
import { AppConfig } from '../config/app-config.js';

/**
 * Ends an upload whose body is not received within UPLOAD_TIMEOUT_MS (a client that stalls, or
 * trickles): 408 with the refusal body, and the connection closed. Nest then destroys the request,
 * so multer stops and removes what it stored of the file. Once the body is in, the timer is off:
 * parsing and storing are the service's time, not the client's.
 */
@Injectable()
export class UploadTimeoutInterceptor implements NestInterceptor {
  constructor(private readonly config: AppConfig) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    const response = context.switchToHttp().getResponse<Response>();
    const limitMs = this.config.limits.uploadTimeoutMs;
    const timer = setTimeout(() => {
      if (request.complete || response.headersSent) return;
      const message = `the upload was not received within ${limitMs} ms (UPLOAD_TIMEOUT_MS); nothing was stored`;
      response
        .status(408)
        .setHeader('Connection', 'close')
        .json({
          statusCode: 408,
          message,
          errors: [{ row: null, column: 'file', message: 'upload too slow' }],
        });
    }, limitMs);
    const stop = () => clearTimeout(timer);
    request.once('end', stop);
    response.once('close', stop);
    return next.handle().pipe(finalize(stop));
  }
}
