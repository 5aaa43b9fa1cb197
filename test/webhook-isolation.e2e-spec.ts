import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { FixtureServer } from './helpers/fixture-server.js';
import { eventually, startTestApp, type TestApp, waitForCompletion } from './helpers/test-app.js';
import { upload } from './helpers/upload.js';
import { imagesCsv } from './helpers/csv.js';

const ALICE = 'alice-0123456789abcdefghijklmnop';
const BOB = 'bob-0123456789abcdefghijklmnopqrs';
/** Attempts in flight: 12 in all, 3 per receiver, 8 per API key. */
const LIMITS = {
  WEBHOOK_CONCURRENCY: '12',
  WEBHOOK_CONCURRENCY_PER_RECEIVER: '3',
  WEBHOOK_CONCURRENCY_PER_KEY: '8',
};

/** What a hanging receiver had seen when another webhook arrived. */
interface Snapshot {
  received: number;
  holding: number;
}

/**
 * A service with API keys for Alice and Bob, `hangingCount` receivers that never answer and one that
 * answers at once; the receivers stop before the service closes (their held attempts then end).
 */
function scenario(hangingCount: number) {
  const images = new FixtureServer();
  const hanging = Array.from({ length: hangingCount }, () => new FixtureServer());
  const prompt = new FixtureServer();
  const state = { service: undefined as TestApp | undefined };

  beforeAll(async () => {
    await Promise.all([images, prompt, ...hanging].map((server) => server.start()));
    for (const server of hanging) server.script('/hook', () => 'hang');
    state.service = await startTestApp({
      API_KEYS: `alice:${ALICE},bob:${BOB}`,
      WEBHOOK_TIMEOUT_MS: '120000', // longer than the test: a hanging attempt ends only when its receiver stops
      ...LIMITS,
    });
  });

  afterAll(async () => {
    await Promise.all([...hanging, prompt].map((server) => server.stop()));
    await state.service?.close();
    await images.stop();
  });

  /** Uploads a one-image request that notifies `webhookUrl`, as the key's client; returns its id. */
  function uploadAs(key: string, webhookUrl: string): Promise<string> {
    return upload(state.service!.http, imagesCsv([images.imageUrl('animated.gif', randomUUID())]), {
      apiKey: key,
      webhookUrl,
    });
  }

  /** The hanging receivers' POSTs, and how many of them are still open. */
  const hangingState = (): Snapshot => ({
    received: hanging.reduce((sum, server) => sum + server.posts.length, 0),
    holding: hanging.reduce((sum, server) => sum + server.holding, 0),
  });

  /**
   * Uploads a request of `key`'s that notifies the prompt receiver, and resolves, once the webhook has
   * arrived and its request shows it delivered, with what the hanging receivers had seen at its arrival.
   */
  async function promptWebhook(key: string): Promise<Snapshot> {
    let atArrival: Snapshot | undefined;
    prompt.script('/hook', () => {
      atArrival = hangingState();
      return 200;
    });
    const requestId = await uploadAs(key, prompt.url('/hook'));
    const client = request.agent(state.service!.app.getHttpServer()).set('Authorization', `Bearer ${key}`);
    await waitForCompletion(client, requestId);
    const snapshot = await eventually(() => atArrival, 20_000);
    const { body } = await client.get(`/status/${requestId}`).expect(200);
    expect(body.webhook).toMatchObject({ status: 'delivered', attempts: 1, last_status: 200 });
    expect(prompt.postsTo('/hook')).toHaveLength(1);
    return snapshot;
  }

  return { hanging, uploadAs, hangingState, promptWebhook };
}

/**
 * Webhook deliveries do not wait for each other: a receiver that never answers holds its own attempts (up
 * to the per-receiver limit), one API key's receivers at most that key's share, and everybody else's
 * webhooks go out as their requests complete. Every hanging attempt here is still open when the other
 * webhook arrives (an ordering the receivers observe, not a time).
 */
describe("one API key's hanging receivers do not hold another key's webhooks", () => {
  const { hanging, uploadAs, hangingState, promptWebhook } = scenario(4);

  it("delivers Bob's webhook while all of Alice's attempts hang; hers take no more than her key's share", async () => {
    for (let i = 0; i < 30; i++) await uploadAs(ALICE, hanging[i % hanging.length].url('/hook'));
    // Alice's receivers hold 8 attempts (her key's share: 4 receivers could take 3 each); her other 22
    // deliveries wait for her own attempts to end.
    await eventually(() => hangingState().received === 8 || undefined, 30_000);
    expect(hanging.every((server) => server.posts.length <= 3)).toBe(true);

    // When Bob's webhook arrived, every attempt Alice's receivers had seen was still open.
    expect(await promptWebhook(BOB)).toEqual({ received: 8, holding: 8 });
  });
});

describe("a key's hanging receiver does not hold that key's other webhooks", () => {
  const { hanging, uploadAs, hangingState, promptWebhook } = scenario(1);

  it("delivers Bob's webhook to his other receiver while 3 attempts (the receiver's limit) hang", async () => {
    for (let i = 0; i < 10; i++) await uploadAs(BOB, hanging[0].url('/hook'));
    // Bob's key could have 8 in flight, the receiver takes 3: the other 7 wait for its attempts to end.
    await eventually(() => hangingState().received === 3 || undefined, 30_000);

    expect(await promptWebhook(BOB)).toEqual({ received: 3, holding: 3 });
  });
});
