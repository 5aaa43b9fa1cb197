import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { csvFile } from './helpers/durability.js';
import { FixtureServer, type ReceivedPost } from './helpers/fixture-server.js';
import { webhookOutboxDrained } from './helpers/webhook-outbox.js';
import { eventually, freePort, startTestApp, TestApp, waitForCompletion } from './helpers/test-app.js';
import { imagesCsv } from './helpers/csv.js';

const SECRET = `whsec_${Buffer.from('pixelmill-webhook-delivery-key!!').toString('base64')}`;
/** Six attempts: at once, then five retries ~200 ms (±20%) apart. */
const DELAYS = [0, 200, 200, 200, 200, 200];
const TIMEOUT_MS = 500;
const MIN_GAP_MS = 200 * 0.8;
/** How late, at most, an attempt may reach the receiver after it was sent, on a busy machine. */
const ARRIVAL_SLACK_MS = 100;

describe('webhook delivery: retries, signatures and state (Standard Webhooks)', () => {
  const origin = new FixtureServer();
  let service: TestApp;
  /** Every request this suite completed (each with one delivery). */
  const requestIds: string[] = [];

  beforeAll(async () => {
    await origin.start();
    service = await startTestApp({
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_RETRY_DELAYS_MS: DELAYS.join(','),
      WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
    });
  });

  afterAll(async () => {
    await service?.close();
    await origin.stop();
  });

  /** Finishes a one-image request that notifies `webhookUrl`; returns its id. */
  async function completeRequest(webhookUrl: string): Promise<string> {
    const { body } = await service.http
      .post('/upload')
      .field('webhook_url', webhookUrl)
      .attach('file', ...csvFile(imagesCsv([origin.imageUrl('animated.gif', randomUUID())])))
      .expect(202);
    const status = await waitForCompletion(service.http, body.request_id);
    expect(status.status).toBe('completed');
    requestIds.push(body.request_id);
    return body.request_id;
  }

  async function webhookState(requestId: string): Promise<Record<string, any>> {
    const { body } = await service.http.get(`/status/${requestId}`).expect(200);
    return body.webhook;
  }

  /** Waits until the delivery is delivered or failed, and returns its state. */
  function settled(requestId: string, timeoutMs = 10_000): Promise<Record<string, any>> {
    return eventually(async () => {
      const state = await webhookState(requestId);
      return state && state.status !== 'pending' && state;
    }, timeoutMs);
  }

  /** Every attempt: the same webhook-id and body, signed afresh with its own timestamp; returns the payload. */
  function expectOneMessage(posts: ReceivedPost[], requestId: string): unknown {
    expect(posts.length).toBeGreaterThan(0);
    const ids = new Set(posts.map((post) => post.headers['webhook-id']));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(new Set(posts.map((post) => post.body)).size).toBe(1);
    const payloads = posts.map((post) => {
      expect(post.headers['content-type']).toMatch(/^application\/json/);
      expect(post.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+={0,2}$/);
      return new Webhook(SECRET).verify(post.body, post.headers as Record<string, string>);
    });
    expect(payloads[0]).toMatchObject({
      type: 'request.completed',
      request_id: requestId,
      status: 'completed',
      total_images: 1,
    });
    return payloads[0];
  }

  const gaps = (posts: ReceivedPost[]) => posts.slice(1).map((post, index) => post.at - posts[index].at);

  it('retries a receiver that fails the first 3 attempts (500) and delivers on the 4th', async () => {
    const path = `/hook/${randomUUID()}`;
    origin.script(path, (attempt) => (attempt <= 3 ? 500 : 200));
    const requestId = await completeRequest(origin.url(path));

    const afterFirst = await eventually(async () => {
      const state = await webhookState(requestId);
      return state?.last_status === 500 && state;
    });
    expect(afterFirst).toMatchObject({ status: 'pending', last_status: 500, last_error: 'HTTP 500' });

    expect(await settled(requestId)).toEqual({
      status: 'delivered',
      attempts: 4,
      last_status: 200,
      last_error: null,
    });
    await webhookOutboxDrained(service.http, requestIds);
    const posts = origin.postsTo(path);
    expect(posts).toHaveLength(4);
    expectOneMessage(posts, requestId);
    for (const gap of gaps(posts)) expect(gap).toBeGreaterThanOrEqual(MIN_GAP_MS);
  });

  it('retries after an attempt that times out (WEBHOOK_TIMEOUT_MS)', async () => {
    const path = `/hook/${randomUUID()}`;
    origin.script(path, (attempt) => (attempt === 1 ? { status: 200, delayMs: TIMEOUT_MS * 4 } : 200));
    const requestId = await completeRequest(origin.url(path));

    const afterFirst = await eventually(async () => {
      const state = await webhookState(requestId);
      return state?.last_error && state;
    });
    expect(afterFirst).toMatchObject({
      status: 'pending',
      last_status: null,
      last_error: expect.stringMatching(/^timeout: /),
    });
    expect(await settled(requestId)).toEqual({
      status: 'delivered',
      attempts: 2,
      last_status: 200,
      last_error: null,
    });
    const posts = origin.postsTo(path);
    expect(posts).toHaveLength(2);
    expectOneMessage(posts, requestId);
    // The first attempt is recorded when it reaches the receiver, some time after it was sent (its
    // connection made, the process busy): up to ARRIVAL_SLACK_MS of the timeout may have passed by then.
    // A retry delay counted from the attempt's start instead of its end would still show (a gap of
    // about TIMEOUT_MS).
    expect(gaps(posts)[0]).toBeGreaterThanOrEqual(TIMEOUT_MS + MIN_GAP_MS - ARRIVAL_SLACK_MS);
  });

  it('keeps trying a receiver that is down (connection refused) and delivers once it is up', async () => {
    const port = await freePort(); // nobody listens here yet
    const receiver = new FixtureServer();
    try {
      const requestId = await completeRequest(`http://127.0.0.1:${port}/hook`);
      const whileDown = await eventually(async () => {
        const state = await webhookState(requestId);
        return state?.attempts >= 2 && state.last_error && state;
      });
      expect(whileDown).toMatchObject({
        status: 'pending',
        last_status: null,
        last_error: expect.stringMatching(/^connection_failed: /),
      });

      await receiver.start(port);
      const state = await settled(requestId);
      expect(state).toMatchObject({ status: 'delivered', last_status: 200, last_error: null });
      expect(state.attempts).toBeGreaterThanOrEqual(3);
      const posts = receiver.postsTo('/hook');
      expect(posts).toHaveLength(1);
      expectOneMessage(posts, requestId);
    } finally {
      await receiver.stop();
    }
  });

  it('counts a redirect (3xx) as a failure and never follows it', async () => {
    const path = `/hook/${randomUUID()}`;
    const target = `${path}/moved`;
    const redirects = [301, 302, 303, 307, 308, 308];
    origin.script(path, (attempt) => ({
      status: redirects[attempt - 1],
      headers: { Location: origin.url(target) },
    }));
    const requestId = await completeRequest(origin.url(path));

    expect(await settled(requestId)).toEqual({
      status: 'failed',
      attempts: DELAYS.length,
      last_status: 308,
      last_error: 'HTTP 308',
    });
    expect(origin.postsTo(path)).toHaveLength(DELAYS.length);
    expect(origin.postsTo(target)).toHaveLength(0);
    expectOneMessage(origin.postsTo(path), requestId);
  });

  it('stops retrying after 410 Gone', async () => {
    const path = `/hook/${randomUUID()}`;
    origin.script(path, () => 410);
    const requestId = await completeRequest(origin.url(path));

    expect(await settled(requestId)).toEqual({
      status: 'failed',
      attempts: 1,
      last_status: 410,
      last_error: 'HTTP 410',
    });
    await webhookOutboxDrained(service.http, requestIds);
    expect(origin.postsTo(path)).toHaveLength(1);
    expect(await webhookState(requestId)).toMatchObject({ status: 'failed', attempts: 1 });
  });

  it('waits at least Retry-After (seconds or HTTP-date) before the next attempt, and signs each attempt afresh', async () => {
    const path = `/hook/${randomUUID()}`;
    origin.script(path, (attempt) => {
      if (attempt === 1) return { status: 429, headers: { 'Retry-After': '1' } };
      if (attempt === 2)
        return { status: 503, headers: { 'Retry-After': new Date(Date.now() + 2_000).toUTCString() } };
      return 200;
    });
    const requestId = await completeRequest(origin.url(path));

    expect(await settled(requestId)).toEqual({
      status: 'delivered',
      attempts: 3,
      last_status: 200,
      last_error: null,
    });
    const posts = origin.postsTo(path);
    expect(posts).toHaveLength(3);
    expectOneMessage(posts, requestId);
    const [first, second] = gaps(posts);
    // Retry-After, not the 200 ms schedule. No upper bound: on a loaded machine the next poll may be late,
    // and the seconds' exact value is parseRetryAfter's unit test.
    expect(first).toBeGreaterThanOrEqual(1_000);
    // The HTTP-date has whole seconds: 1-2 s from when it was written.
    expect(second).toBeGreaterThanOrEqual(1_000);
    // Attempts a second or more apart carry different timestamps, hence different signatures.
    const timestamps = posts.map((post) => Number(post.headers['webhook-timestamp']));
    expect(timestamps[1]).toBeGreaterThan(timestamps[0]);
    expect(timestamps[2]).toBeGreaterThan(timestamps[1]);
    expect(new Set(posts.map((post) => post.headers['webhook-signature'])).size).toBe(3);
  });

  it('gives up when the schedule is exhausted', async () => {
    const path = `/hook/${randomUUID()}`;
    origin.script(path, () => 500);
    const requestId = await completeRequest(origin.url(path));

    expect(await settled(requestId)).toEqual({
      status: 'failed',
      attempts: DELAYS.length,
      last_status: 500,
      last_error: 'HTTP 500',
    });
    await webhookOutboxDrained(service.http, requestIds);
    const posts = origin.postsTo(path);
    expect(posts).toHaveLength(DELAYS.length);
    expectOneMessage(posts, requestId);
    for (const gap of gaps(posts)) expect(gap).toBeGreaterThanOrEqual(MIN_GAP_MS);
  });
});
