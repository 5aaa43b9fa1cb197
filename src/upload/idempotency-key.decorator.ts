import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/**
 * The raw `Idempotency-Key` header. A custom decorator rather than `@Headers('idempotency-key')`,
 * which @nestjs/swagger would document as a second, required, lowercase header beside the
 * operation's `@ApiHeader` (Swagger UI then refused to send a request without it).
 */
export const IdempotencyKey = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string | undefined =>
    context.switchToHttp().getRequest<Request>().header('idempotency-key'),
);
