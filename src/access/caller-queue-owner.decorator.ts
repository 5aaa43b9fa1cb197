import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { OPEN_OWNER, type Owner } from './owner.js';

/**
 * Whose share of the workers a caller's requests use (its "queue owner"): its API key's name or, while
 * the service is open (every caller is OPEN_OWNER), its client address, as the upload rate limit
 * counts it. It decides scheduling only: who may read a request is still its owner.
 */
function queueOwnerOf(owner: Owner, address: string | undefined): string {
  return owner !== OPEN_OWNER ? owner : `address:${address ?? 'unknown'}`;
}

/** The queue owner of this HTTP request's caller (see queueOwnerOf). */
export const CallerQueueOwner = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  const request = context.switchToHttp().getRequest<{ owner?: Owner; ip?: string }>();
  return queueOwnerOf(request.owner ?? OPEN_OWNER, request.ip);
});
