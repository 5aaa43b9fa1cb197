import type { TestApp } from './test-app.js';
import { eventually } from './test-app.js';

/** Webhook attempts whose outcome the service has recorded (every outcome), from /metrics. */
async function recordedAttempts(http: TestApp['http']): Promise<number> {
  const { text } = await http.get('/metrics').expect(200);
  return text
    .split('\n')
    .filter((line) => line.startsWith('pixelmill_webhook_deliveries_total{'))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/**
 * Waits until the outbox is drained: the deliveries of `requestIds` (every request with a webhook this
 * service made) are final, and /metrics counts as many attempts ended as they made, so none is in flight
 * and none is due: nothing more is sent after.
 */
export function webhookOutboxDrained(http: TestApp['http'], requestIds: string[]): Promise<true> {
  return eventually(async () => {
    let made = 0;
    for (const id of requestIds) {
      const { body } = await http.get(`/status/${id}`).expect(200);
      if (!body.webhook || body.webhook.status === 'pending') return false;
      made += body.webhook.attempts;
    }
    return made === (await recordedAttempts(http));
  });
}
