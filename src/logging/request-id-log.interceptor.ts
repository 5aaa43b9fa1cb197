import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { Observable } from 'rxjs';
import { LogContext } from './log-context.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A route about one request (`/status/:request_id`, `/requests/:request_id/…`): its log lines carry `request_id`. */
@Injectable()
export class RequestIdLogInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const requestId = context.switchToHttp().getRequest<Request>().params?.request_id;
    if (typeof requestId === 'string' && UUID.test(requestId)) LogContext.assign({ request_id: requestId });
    return next.handle();
  }
}
