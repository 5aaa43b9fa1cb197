import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { OPEN_OWNER, type Owner } from './owner.js';

/**
 * Who a caller is for a per-client limit: `key:<name>` for an API key, or, while the service is open (no
 * API_KEYS: every caller has OPEN_OWNER), `ip:<address>`, so one client still cannot take another's share.
 */
export function callerIdentity(request: { owner?: Owner; ip?: string }): string {
  return request.owner && request.owner !== OPEN_OWNER
    ? `key:${request.owner}`
    : `ip:${request.ip ?? 'unknown'}`;
}

/** The callerIdentity of this HTTP request (after ApiKeyGuard set its owner). */
export const CallerIdentity = createParamDecorator((_: unknown, context: ExecutionContext): string =>
  callerIdentity(context.switchToHttp().getRequest<{ owner?: Owner; ip?: string }>()),
);
