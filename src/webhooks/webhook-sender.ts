import type { Readable } from 'node:stream';
import { HttpService } from '@nestjs/axios';
import { Injectable } from '@nestjs/common';
import { firstValueFrom } from 'rxjs';
import { AppConfig } from '../config/app-config.js';
import { FetchError, parseRetryAfter } from '../http/fetch-error.js';
import { withDeadline } from '../http/with-deadline.js';
import { WebhookSigner } from './webhook-signer.js';

/** What one attempt came to, as the outbox records it. */
export interface AttemptOutcome {
  status: number | null;
  error: string | null;
  /** For the log only (see FetchError.detail). */
  detail?: string;
  retryAfterMs?: number;
  /** Retrying cannot help: the URL is refused by policy (blocked or invalid address), or the receiver said 410 Gone. */
  permanent?: boolean;
}

/** The message an attempt sends. */
export interface WebhookMessage {
  id: string;
  url: string;
  payload: string;
}

const PERMANENT_FETCH_ERRORS = ['blocked_address', 'invalid_url'];

/**
 * Makes one attempt at a webhook: a POST signed afresh (Standard Webhooks), through @nestjs/axios's
 * HttpService on the guarded agents (GuardedHttpModule), within WEBHOOK_TIMEOUT_MS for connecting and the
 * answer's headers. Only the status and Retry-After matter: the body is never read (its stream, and with
 * it the connection, is destroyed at once), so a receiver cannot make the service buffer anything.
 */
@Injectable()
export class WebhookSender {
  constructor(
    private readonly http: HttpService,
    private readonly signer: WebhookSigner,
    private readonly config: AppConfig,
  ) {}

  /** Sends the message once; a network failure or a refused address is an outcome, not an exception. */
  async attempt(message: WebhookMessage): Promise<AttemptOutcome> {
    try {
      const { status, retryAfterMs } = await this.post(message);
      const ok = status >= 200 && status < 300;
      return { status, error: ok ? null : `HTTP ${status}`, retryAfterMs, permanent: status === 410 };
    } catch (error) {
      if (!(error instanceof FetchError)) throw error;
      return {
        status: null,
        error: `${error.code}: ${error.message}`,
        detail: error.detail,
        retryAfterMs: error.retryAfterMs,
        permanent: PERMANENT_FETCH_ERRORS.includes(error.code),
      };
    }
  }

  private post(message: WebhookMessage): Promise<{ status: number; retryAfterMs?: number }> {
    return withDeadline(this.config.webhooks.timeoutMs, async (signal) => {
      const response = await firstValueFrom(
        this.http.post<Readable>(message.url, Buffer.from(message.payload), {
          headers: {
            ...this.signer.headersFor(message.id, message.payload),
            'Content-Type': 'application/json',
          },
          responseType: 'stream',
          signal,
        }),
      );
      response.data.destroy();
      const retryAfter = response.headers['retry-after'] as string | undefined;
      return {
        status: response.status,
        retryAfterMs: parseRetryAfter(retryAfter, this.config.downloads.maxRetryAfterMs),
      };
    });
  }
}
