import { FixtureServer } from './helpers/fixture-server.js';
import { startTestApp, type TestApp, waitForCompletion } from './helpers/test-app.js';

function csvOf(urls: string[]): Buffer {
  return Buffer.from(
    [
      'S. No.,Product Name,Input Image Urls',
      ...urls.map((url, index) => `${index + 1},P${index + 1},${url}`),
    ].join('\n'),
  );
}

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
    const upload = async (urls: string[]) =>
      (
        await service.http
          .post('/upload')
          .attach('file', csvOf(urls), { filename: 'products.csv', contentType: 'text/csv' })
          .expect(202)
      ).body.request_id as string;
    const large = await upload(
      Array.from({ length: 600 }, (_, index) => fixtures.imageUrl('animated.gif', `large=${index}`)),
    );
    const startedAt = Date.now();
    const small = await upload(
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
  });
});
