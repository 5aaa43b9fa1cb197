import { FixtureServer } from './helpers/fixture-server.js';
import { queryDatabase } from './helpers/database-counts.js';
import { eventually, startTestApp, type TestApp, waitForCompletion } from './helpers/test-app.js';
import { upload } from './helpers/upload.js';
import { productCsv } from './helpers/csv.js';

const csvOf = (urls: string[]) => Buffer.from(productCsv(urls));

/** Claims are fair across requests: a small request does not wait behind a large one's backlog. */
describe('fair scheduling', () => {
  const fixtures = new FixtureServer();
  let service: TestApp;

  beforeAll(async () => {
    await fixtures.start();
    fixtures.imageDelayMs = 20; // each image takes a little while: the large request stays busy
    service = await startTestApp({ CONCURRENCY: '4', DOWNLOAD_RETRIES: '0' });
  });

  afterAll(async () => {
    await service?.close();
    await fixtures.stop();
  });

  it('a 3-image request uploaded after a 600-image one completes while the large one is still running', async () => {
    const uploadOf = (urls: string[]) => upload(service.http, csvOf(urls));
    const large = await uploadOf(
      Array.from({ length: 600 }, (_, index) => fixtures.imageUrl('animated.gif', `large=${index}`)),
    );
    const startedAt = Date.now();
    const small = await uploadOf(
      Array.from({ length: 3 }, (_, index) => fixtures.imageUrl('animated.gif', `small=${index}`)),
    );
    const smallStatus = await waitForCompletion(service.http, small, 30_000);
    const waitedMs = Date.now() - startedAt;
    const { body: largeStatus } = await service.http.get(`/status/${large}`).expect(200);
    console.log(
      `fairness: the 3-image request completed in ${waitedMs} ms, with the 600-image one at ${largeStatus.progress}`,
    );
    expect(smallStatus).toMatchObject({ status: 'completed', processed_images: 3 });
    // First in, first out would have finished all 600 first.
    expect(largeStatus.status).toBe('processing');
    expect(largeStatus.processed_images).toBeLessThan(500);
    await waitForCompletion(service.http, large, 60_000);
    // Open: every request is everyone's to read, and the workers are shared by client address.
    expect(
      queryDatabase(
        service.dataDir,
        'SELECT t.owner, q.owner AS queue_owner FROM tasks t JOIN queue_tasks q ON q.task_id = t.id WHERE t.id = ?',
        small,
      ),
    ).toEqual([{ owner: '', queue_owner: 'address:127.0.0.1' }]);
  });
});

/**
 * Claims are fair between owners first (API keys; client addresses while the service is open): a
 * client that splits its work into many requests gets its share of the workers, not one share per
 * request, and the list says which images wait and which are in flight.
 */
describe('fair scheduling between API keys', () => {
  const A = 'client-a-0123456789abcdefghijk';
  const B = 'client-b-0123456789abcdefghijk';
  const fixtures = new FixtureServer();
  let service: TestApp;

  beforeAll(async () => {
    await fixtures.start();
    fixtures.imageDelayMs = 20;
    service = await startTestApp({
      CONCURRENCY: '4',
      // Claims of CONCURRENCY ahead, and at most 8 images waiting for their recording: a known bound
      // on the images in flight.
      CLAIM_AHEAD_MS: '0',
      RECORD_BATCH_SIZE: '4',
      DOWNLOAD_RETRIES: '0',
      API_KEYS: `a:${A},b:${B}`,
      API_KEY_WEIGHTS: 'b=2',
    });
  });

  afterAll(async () => {
    await service?.close();
    await fixtures.stop();
  });

  const uploadAs = (apiKey: string, urls: string[]) => upload(service.http, csvOf(urls), { apiKey });

  it("a key's one request gets its share beside another key's 8 requests; the list counts queued and in-flight images", async () => {
    const aRequests: string[] = [];
    for (let request = 0; request < 8; request++)
      aRequests.push(
        await uploadAs(
          A,
          Array.from({ length: 25 }, (_, index) => fixtures.imageUrl('animated.gif', `a${request}=${index}`)),
        ),
      );
    // While A's 200 images wait for 4 workers, each is queued, in flight or done: none is lost.
    const { body: listed } = await service.http
      .get('/requests')
      .set('Authorization', `Bearer ${A}`)
      .expect(200);
    const counted = listed.requests.map(
      (request: Record<string, number>) =>
        request.queued_images + request.in_flight_images + request.processed_images,
    );
    expect(counted).toEqual(aRequests.map(() => 25));
    const inFlight = listed.requests.reduce(
      (sum: number, request: Record<string, number>) => sum + request.in_flight_images,
      0,
    );
    // CONCURRENCY in slots, as many leased in the buffer, 2 × RECORD_BATCH_SIZE waiting for their recording.
    expect(inFlight).toBeLessThanOrEqual(4 + 4 + 2 * 4);

    const aProgress = async () => {
      const { body } = await service.http.get('/requests').set('Authorization', `Bearer ${A}`).expect(200);
      return body.requests.reduce(
        (sum: number, request: Record<string, number>) => sum + request.processed_images,
        0,
      ) as number;
    };
    const aBefore = await aProgress();
    const b = await uploadAs(
      B,
      Array.from({ length: 25 }, (_, index) => fixtures.imageUrl('animated.gif', `b=${index}`)),
    );
    await eventually(async () => {
      const { body } = await service.http.get(`/status/${b}`).set('Authorization', `Bearer ${B}`).expect(200);
      return body.status === 'completed' || undefined;
    }, 60_000);
    const aDuring = (await aProgress()) - aBefore;
    console.log(
      `fairness between keys: while B's 25 images were processed, A's progressed by ${aDuring} (of 200)`,
    );
    // B weighs 2: about 12 of A's for B's 25, plus the 8 A had leased already. Fair between requests
    // alone, B would have been one request in 9: A would have finished its 200 first.
    expect(aDuring).toBeLessThan(60);
    expect(queryDatabase(service.dataDir, 'SELECT owner, weight FROM queue_owners ORDER BY owner')).toEqual([
      { owner: 'a', weight: 1 },
      { owner: 'b', weight: 2 },
    ]);
  });
});
