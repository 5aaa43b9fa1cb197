import { Injectable } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import type { ExecutionContext } from '@nestjs/common';
import { callerIdentity } from '../access/caller-identity.js';
import type { Owner } from '../access/owner.js';

/**
 * RATE_LIMIT_UPLOADS_PER_MIN per API key (per client address while the service is open), counted in
 * this process: with several API instances behind a load balancer, each allows that many. Past it,
 * 429 with Retry-After (seconds) before the body is read.
 */
@Injectable()
export class UploadRateLimitGuard extends ThrottlerGuard {
  protected override async getTracker(request: { owner?: Owner; ip?: string }): Promise<string> {
    return callerIdentity(request);
  }

  protected override async getErrorMessage(
    _: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<string> {
    return `more than ${detail.limit} uploads in a minute (RATE_LIMIT_UPLOADS_PER_MIN); nothing was stored: retry after the Retry-After seconds`;
  }

  protected override async shouldSkip(): Promise<boolean> {
    return this.throttlers.every((throttler) => throttler.limit === 0);
  }
}
