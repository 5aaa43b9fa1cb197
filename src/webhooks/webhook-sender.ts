import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { FetchError } from '../http/fetch-error.js';
import { SafeHttpClient } from '../http/safe-http-client.js';
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
 * Makes one attempt at a webhook: a POST signed afresh (Standard Webhooks), through SafeHttpClient (the
 * guarded client image downloads use), within WEBHOOK_TIMEOUT_MS for connecting and the answer's headers,
 * no redirect followed. Only the status and Retry-After matter: the body is never read (it is destroyed
 * with its connection at once), so a receiver cannot make the service buffer anything.
 */
@Injectable()
export class WebhookSender {
  constructor(
    private readonly http: SafeHttpClient,
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

  private post(message: WebhookMessage) {
    const headers = {
      ...this.signer.headersFor(message.id, message.payload),
      'Content-Type': 'application/json',
    };
    return this.http.post(message.url, Buffer.from(message.payload), headers, this.config.webhooks.timeoutMs);
  }
}
