import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { rm } from 'node:fs/promises';
import { finalize, Observable } from 'rxjs';

/**
 * Removes the uploaded CSV's temporary file once the request is handled, accepted or refused (multer
 * removes it itself when the upload fails while it is being received).
 */
@Injectable()
export class RemoveUploadedFileInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    return next.handle().pipe(
      finalize(() => {
        const path = request.file?.path;
        if (path) rm(path, { force: true }).catch(() => undefined);
      }),
    );
  }
}
