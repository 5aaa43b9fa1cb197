import { metricTotal } from './metrics.js';
import type { TestApp } from './test-app.js';
import { eventually } from './test-app.js';

type Http = TestApp['http'];

/** Webhook attempts whose outcome one process has recorded (every outcome), from its /metrics. */
const recordedAttempts = (http: Http) => metricTotal(http, 'pixelmill_webhook_deliveries_total');

export interface DrainedOptions {
  /** The processes that dispatch webhooks (each counts its own attempts in /metrics); default the API's. */
  dispatchers?: Http[];
  /** Attempts of these deliveries made by processes no longer running. */
  earlierAttempts?: number;
}

/**
 * Waits until the outbox is drained: the deliveries of `requestIds` (every request with a webhook these
 * processes served), read through the API at `http`, are final, and the dispatchers' /metrics count as
 * many attempts ended as they made: none is in flight and none is due, so nothing more is sent after.
 */
export function webhookOutboxDrained(
  http: Http,
  requestIds: string[],
  { dispatchers = [http], earlierAttempts = 0 }: DrainedOptions = {},
): Promise<true> {
  return eventually(async () => {
    let made = 0;
    for (const id of requestIds) {
      const { body } = await http.get(`/status/${id}`).expect(200);
      if (!body.webhook || body.webhook.status === 'pending') return false;
      made += body.webhook.attempts;
    }
    const recorded = await Promise.all(dispatchers.map(recordedAttempts));
    return made - earlierAttempts === recorded.reduce((sum, count) => sum + count, 0);
  }, 20_000);
}
