import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { OPEN_OWNER, type Owner } from './owner.js';

/** The owner ApiKeyGuard found for this HTTP request (its key's name, or OPEN_OWNER). */
export const CallerOwner = createParamDecorator(
  (_: unknown, context: ExecutionContext): Owner =>
    context.switchToHttp().getRequest<{ owner?: Owner }>().owner ?? OPEN_OWNER,
);
