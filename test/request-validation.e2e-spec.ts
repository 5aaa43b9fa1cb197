import { MAX_IMAGE_OFFSET } from '../src/images/dto/image-page-query.js';
import { FixtureServer } from './helpers/fixture-server.js';
import { answersFor, INVALID_REQUEST_IDS, UNKNOWN_REQUEST_ID } from './helpers/request-id-cases.js';
import { startTestApp, type TestApp, waitForCompletion } from './helpers/test-app.js';
import { productCsv } from './helpers/csv.js';

describe('request ids, paging and security headers', () => {
  const fixtures = new FixtureServer();
  let service: TestApp;
  let requestId: string;
  let outputPath: string;

  beforeAll(async () => {
    await fixtures.start();
    service = await startTestApp();
    const csv = productCsv([fixtures.imageUrl('exif-orientation-6.jpg')]);
    const { body } = await service.http
      .post('/upload')
      .attach('file', Buffer.from(csv), 'one.csv')
      .expect(202);
    requestId = body.request_id;
    await waitForCompletion(service.http, requestId);
    const { body: page } = await service.http.get(`/requests/${requestId}/images`).expect(200);
    outputPath = new URL(page.images[0].output_url).pathname;
  });

  afterAll(async () => {
    await service?.close();
    await fixtures.stop();
  });

  it.each(INVALID_REQUEST_IDS)('refuses the request id %j with 400 on every operation', async (id) => {
    for (const answer of await answersFor(service, id)) {
      expect(answer, answer.operation).toMatchObject({
        status: 400,
        body: {
          statusCode: 400,
          message: 'request_id must be a UUID',
          errors: [{ row: null, column: 'request_id', message: 'request_id must be a UUID' }],
        },
      });
    }
  });

  it('answers 404 for a well-formed unknown request id', async () => {
    const answers = await answersFor(service, UNKNOWN_REQUEST_ID);
    expect(answers.map((answer) => answer.status)).toEqual([404, 404, 404, 404, 404, 404]);
  });

  it.each([
    ['offset=-1', 'offset', /must not be less than 0/],
    ['offset=1.5', 'offset', /integer/],
    ['offset=abc', 'offset', /integer/],
    ['offset=1e21', 'offset', /must not be greater than 2147483647/],
    [`offset=${MAX_IMAGE_OFFSET + 1}`, 'offset', /must not be greater than/],
    ['limit=0', 'limit', /must not be less than 1/],
    ['limit=1001', 'limit', /must not be greater than 1000/],
    ['limit=', 'limit', /must not be less than 1/],
    ['offset=1&offset=2', 'offset', /integer/],
  ])('refuses paging %s with 400', async (query, column, message) => {
    const { status, body } = await service.http.get(`/requests/${requestId}/images?${query}`);
    expect(status).toBe(400);
    expect(body.errors).toEqual([{ row: null, column, message: expect.stringMatching(message) }]);
  });

  it('pages within the bounds, up to the largest offset', async () => {
    const { body: first } = await service.http
      .get(`/requests/${requestId}/images?offset=0&limit=1000`)
      .expect(200);
    expect(first).toMatchObject({ total: 1, offset: 0, limit: 1000 });
    expect(first.images).toHaveLength(1);
    const { body: last } = await service.http
      .get(`/requests/${requestId}/images?offset=${MAX_IMAGE_OFFSET}&limit=1`)
      .expect(200);
    expect(last).toMatchObject({ total: 1, offset: MAX_IMAGE_OFFSET, images: [] });
  });

  it('sends helmet headers: no X-Powered-By, nosniff, a CSP that allows nothing on the JSON API', async () => {
    for (const path of [
      `/status/${requestId}`,
      '/status/not-a-uuid',
      `/export-csv/${requestId}`,
      '/docs-json',
    ]) {
      const { headers } = await service.http.get(path);
      expect(headers['x-powered-by'], path).toBeUndefined();
      expect(headers['x-content-type-options'], path).toBe('nosniff');
      expect(headers['content-security-policy'], path).toBe(
        "default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'",
      );
      expect(headers['cross-origin-resource-policy'], path).toBe('same-origin');
    }
  });

  it('lets output images load from any origin, and relaxes the CSP for Swagger UI only', async () => {
    const image = await service.http.get(outputPath).expect(200);
    expect(image.headers['content-type']).toBe('image/jpeg');
    expect(image.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(image.headers['content-security-policy']).toMatch(/^default-src 'none'/);

    const page = await service.http.get('/docs/').expect(200);
    expect(page.headers['x-powered-by']).toBeUndefined();
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(page.headers['content-security-policy']).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline/);
  });
});
