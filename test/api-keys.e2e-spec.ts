import { readEventStream } from './helpers/event-stream.js';
import { storedCounts, startAppWithoutWorker } from './helpers/hostile-app.js';
import { eventually, type TestApp } from './helpers/test-app.js';
import { postUpload } from './helpers/upload.js';
import { productCsv } from './helpers/csv.js';

const ALICE = 'alice-0123456789abcdefghijklmnop';
const BOB = 'bob-0123456789abcdefghijklmnopqrs';
const CAROL = 'carol-0123456789abcdefghijklmnopq';

/** A CSV of `images` rows; the URLs are never fetched (no worker runs here). */
const csvOf = (images: number, tag = '') =>
  Buffer.from(productCsv(Array.from({ length: images }, (_, i) => `http://127.0.0.1:9/${tag}${i}.jpg`)));

describe('API keys: who may call, and whose requests each key sees', () => {
  let service: TestApp;

  beforeAll(async () => {
    service = await startAppWithoutWorker({ API_KEYS: `alice:${ALICE},bob:${BOB}` });
  });

  afterAll(async () => {
    await service?.close();
  });

  it('answers 401 JSON without a key or with a wrong one; health, metrics and docs stay open', async () => {
    for (const call of [
      service.http.get('/requests'),
      service.http.get('/status/7b0e4c2a-5d1f-4e8b-9a3c-2f6d8e1b4a70'),
      service.http.get('/requests').set('Authorization', `Bearer ${ALICE}x`),
      service.http.get('/requests').set('X-API-Key', 'not-a-key'),
      postUpload(service.http, csvOf(1)),
    ]) {
      const { status, body, headers } = await call;
      expect(status).toBe(401);
      expect(headers['www-authenticate']).toBe('Bearer');
      expect(body).toMatchObject({ statusCode: 401, message: expect.stringContaining('API key') });
    }
    expect(storedCounts(service).tasks).toBe(0);
    await service.http.get('/health/live').expect(200);
    await service.http.get('/metrics').expect(200);
    await service.http.get('/docs-json').expect(200);
  });

  it("gives each key its own requests: another key's is 404 everywhere, as an unknown id is", async () => {
    const { body: accepted } = await postUpload(service.http, csvOf(2, 'a'), { apiKey: ALICE }).expect(202);
    const id = accepted.request_id;
    const asAlice = { Authorization: `Bearer ${ALICE}` };
    const asBob = { 'X-API-Key': BOB };
    await service.http.get(`/status/${id}`).set(asAlice).expect(200);
    await service.http.get(`/status/${id}`).set({ 'X-API-Key': ALICE }).expect(200);
    for (const path of [
      `/status/${id}`,
      `/requests/${id}/images`,
      `/requests/${id}/error-codes`,
      `/requests/${id}/events`,
      `/export-csv/${id}`,
    ]) {
      const { body } = await service.http.get(path).set(asBob).expect(404);
      expect(body.message).toBe(`request ${id} not found`);
    }
    await service.http.post(`/requests/${id}/retry`).set(asBob).expect(404);

    const { body: alicesList } = await service.http.get('/requests').set(asAlice).expect(200);
    expect(alicesList.requests.map((request: any) => request.request_id)).toContain(id);
    const { body: bobsList } = await service.http.get('/requests').set(asBob).expect(200);
    expect(bobsList.requests.map((request: any) => request.request_id)).not.toContain(id);
  });

  it('scopes Idempotency-Key to the key: the same value from two clients makes two requests', async () => {
    const first = await postUpload(service.http, csvOf(1, 'i1'), {
      apiKey: ALICE,
      idempotencyKey: 'catalog-2026-11-26',
    }).expect(202);
    const second = await postUpload(service.http, csvOf(1, 'i2'), {
      apiKey: BOB,
      idempotencyKey: 'catalog-2026-11-26',
    }).expect(202);
    expect(second.body.request_id).not.toBe(first.body.request_id);
    const replay = await postUpload(service.http, csvOf(1, 'i1'), {
      apiKey: ALICE,
      idempotencyKey: 'catalog-2026-11-26',
    }).expect(202);
    expect(replay.body.request_id).toBe(first.body.request_id);
  });

  it('lists requests newest first, a page at a time, with a cursor', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push(
        (await postUpload(service.http, csvOf(1, `page${i}`), { apiKey: BOB }).expect(202)).body.request_id,
      );
    const asBob = { Authorization: `Bearer ${BOB}` };
    const all = (await service.http.get('/requests?limit=100').set(asBob).expect(200)).body.requests.map(
      (request: any) => request.request_id,
    );
    expect(all.slice(0, 3)).toEqual([...ids].reverse());
    const first = (await service.http.get('/requests?limit=2').set(asBob).expect(200)).body;
    expect(first.requests).toHaveLength(2);
    expect(first.requests[0]).toMatchObject({ request_id: ids[2], status: 'processing', total_images: 1 });
    const second = (
      await service.http.get(`/requests?limit=2&cursor=${first.next_cursor}`).set(asBob).expect(200)
    ).body;
    expect(second.requests.map((request: any) => request.request_id)).toEqual(all.slice(2, 4));
    await service.http.get('/requests?cursor=bm90LWEtY3Vyc29y').set(asBob).expect(400);
    await service.http.get('/requests?limit=101').set(asBob).expect(400);
  });
});

describe('quotas: uploads per minute and queued images per key', () => {
  let service: TestApp;

  beforeAll(async () => {
    service = await startAppWithoutWorker({
      API_KEYS: `alice:${ALICE},bob:${BOB}`,
      RATE_LIMIT_UPLOADS_PER_MIN: '3',
      MAX_QUEUED_IMAGES_PER_KEY: '5',
    });
  });

  afterAll(async () => {
    await service?.close();
  });

  it('refuses an upload that would put more than MAX_QUEUED_IMAGES_PER_KEY images in the queue: 429, nothing stored', async () => {
    await postUpload(service.http, csvOf(4, 'q'), { apiKey: ALICE }).expect(202);
    const before = storedCounts(service);
    const refused = await postUpload(service.http, csvOf(2, 'q2'), { apiKey: ALICE }).expect(429);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(refused.body.message).toMatch(/MAX_QUEUED_IMAGES_PER_KEY/);
    expect(storedCounts(service)).toEqual(before);
    // Another key has its own room.
    await postUpload(service.http, csvOf(2, 'b'), { apiKey: BOB }).expect(202);
  });

  it('refuses uploads past RATE_LIMIT_UPLOADS_PER_MIN per key with 429 and Retry-After, before storing anything', async () => {
    // Alice has used two of her three uploads this minute (one accepted, one refused by the queue cap).
    await postUpload(service.http, csvOf(1, 'r'), { apiKey: ALICE }).expect(202);
    const before = storedCounts(service);
    const limited = await postUpload(service.http, csvOf(1, 'r2'), { apiKey: ALICE }).expect(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.body).toMatchObject({
      statusCode: 429,
      message: expect.stringMatching(/RATE_LIMIT_UPLOADS_PER_MIN/),
    });
    expect(storedCounts(service)).toEqual(before);
    // Bob's uploads are counted apart.
    await postUpload(service.http, csvOf(1, 'b2'), { apiKey: BOB }).expect(202);
  });
});

describe('progress streams: SSE_MAX_STREAMS_PER_KEY per key within SSE_MAX_STREAMS', () => {
  let service: TestApp;
  const aborts: AbortController[] = [];

  beforeAll(async () => {
    service = await startAppWithoutWorker({
      API_KEYS: `alice:${ALICE},bob:${BOB},carol:${CAROL}`,
      SSE_MAX_STREAMS: '4',
      SSE_MAX_STREAMS_PER_KEY: '2',
    });
  });

  afterAll(async () => {
    for (const abort of aborts) abort.abort();
    await service?.close();
  });

  /** A request of the key's own, which stays processing (no worker runs here). */
  async function requestOf(key: string): Promise<string> {
    return (await postUpload(service.http, csvOf(1, key.slice(0, 5)), { apiKey: key }).expect(202)).body
      .request_id;
  }

  /**
   * Opens a progress stream as the key: resolves once it is open (its first event came) with the means to
   * close it, or with the refusal's status and body.
   */
  async function openStream(key: string, requestId: string) {
    const abort = new AbortController();
    aborts.push(abort);
    let opened = false;
    const stream = readEventStream(`${service.config.server.publicUrl}/requests/${requestId}/events`, {
      headers: { Authorization: `Bearer ${key}` },
      signal: abort.signal,
      onEvent: () => (opened = true),
    }).catch((error: Error) => ({ status: error.name, body: undefined }));
    const refused = await Promise.race([stream, eventually(() => opened).then(() => undefined)]);
    return { refused, close: () => abort.abort() };
  }

  it("lets no key take another's streams: 429 past a key's share, 503 only when the process is full", async () => {
    const bobs = await requestOf(BOB);
    const [first, second] = [await openStream(BOB, bobs), await openStream(BOB, bobs)];
    expect([first.refused, second.refused]).toEqual([undefined, undefined]);

    // Bob is at his share: his next stream is refused, naming the limit.
    const third = await openStream(BOB, bobs);
    expect(third.refused).toMatchObject({
      status: 429,
      body: {
        statusCode: 429,
        message:
          'more than 2 progress streams open for this client (SSE_MAX_STREAMS_PER_KEY); close one and try again',
      },
    });

    // Alice still opens hers, up to the process's 4.
    const alices = await requestOf(ALICE);
    expect((await openStream(ALICE, alices)).refused).toBeUndefined();
    expect((await openStream(ALICE, alices)).refused).toBeUndefined();
    const carol = await openStream(CAROL, await requestOf(CAROL));
    expect(carol.refused).toMatchObject({
      status: 503,
      body: { message: 'too many progress streams open (SSE_MAX_STREAMS); try again later' },
    });

    // A stream Bob closes is his to open again.
    first.close();
    await eventually(async () => (await openStream(BOB, bobs)).refused === undefined);
  });
});
