import createClient, { type Client } from 'openapi-fetch';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { components, paths } from './generated/pixelmill-api.js';
import { parseCsv, productCsv } from './helpers/csv.js';
import { FixtureServer } from './helpers/fixture-server.js';
import { OpenApiConformance } from './helpers/openapi-conformance.js';
import { eventually, startTestApp, type TestApp } from './helpers/test-app.js';

/**
 * The contract, proved: this suite talks to the API only through a client generated from the
 * OpenAPI document (`npm test` regenerates test/generated/pixelmill-api.d.ts from the app, then
 * typechecks this file against it), and every JSON answer is checked against its declared schema.
 */
type RequestStatus = components['schemas']['RequestStatus'];
type WebhookPayload = components['schemas']['RequestCompletedPayload'];
type UploadForm = components['schemas']['UploadForm'];
type Rendition = components['schemas']['Rendition'];

const OPENAPI_JSON = resolve(import.meta.dirname, '../openapi.json');

/** The document the client types were generated from (`npm test` writes it first). */
async function readDocument(): Promise<Record<string, any>> {
  const text = await readFile(OPENAPI_JSON, 'utf8').catch(() => {
    throw new Error(`no ${OPENAPI_JSON}: run npm run openapi:client (npm test does) before this suite`);
  });
  return JSON.parse(text);
}

/** The upload's multipart form: the typed `file` field (the CSV text) sent as a text/csv file part, the other fields as text. */
function multipart(body: Omit<UploadForm, 'file'> & { file: string }): FormData {
  const form = new FormData();
  const { file, ...fields } = body;
  form.append('file', new Blob([file], { type: 'text/csv' }), 'products.csv');
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) form.append(name, value);
  return form;
}

describe('the API through the client generated from its OpenAPI document', () => {
  const fixtures = new FixtureServer();
  let service: TestApp;
  let client: Client<paths>;
  let conformance: OpenApiConformance;

  beforeAll(async () => {
    await fixtures.start();
    service = await startTestApp({ DOWNLOAD_RETRIES: '0' });
    const document = await readDocument();
    conformance = new OpenApiConformance(document);
    client = createClient<paths>({ baseUrl: service.config.server.publicUrl });
    client.use(conformance.middleware());
  });

  afterAll(async () => {
    await service?.close();
    await fixtures.stop();
  });

  async function finalStatus(requestId: string): Promise<RequestStatus> {
    return eventually(async () => {
      const { data } = await client.GET('/status/{request_id}', {
        params: { path: { request_id: requestId } },
      });
      return data && data.status !== 'processing' ? data : undefined;
    }, 60_000);
  }

  it('was generated from the document this app serves', async () => {
    const served = await (await fetch(`${service.config.server.publicUrl}/docs-json`)).json();
    expect(served).toEqual(await readDocument());
  });

  it('uploads, follows, lists, exports, retries and deletes a request', async () => {
    let supplierFixed = false;
    fixtures.imageStatus = (request) =>
      request.startsWith('/images/photo.webp') && !supplierFixed ? 404 : undefined;
    const good = fixtures.imageUrl('exif-orientation-6.jpg', 'client');
    const broken = fixtures.imageUrl('photo.webp', 'client');
    const csv = productCsv([[good, broken]]);

    const upload = await client.POST('/upload', {
      body: { file: csv, webhook_url: `${fixtures.baseUrl}/webhook` },
      bodySerializer: multipart,
      params: { header: { 'Idempotency-Key': 'generated-client-1' } },
    });
    expect(upload.response.status).toBe(202);
    const accepted = upload.data!;
    expect(accepted).toMatchObject({ status: 'processing', total_images: 2 });
    const path = { request_id: accepted.request_id };

    const first = await finalStatus(accepted.request_id);
    expect(first).toMatchObject({ status: 'completed_with_errors', processed_images: 2, failed_images: 1 });

    const pageOne = await client.GET('/requests/{request_id}/images', {
      params: { path, query: { offset: 0, limit: 1 } },
    });
    const pageTwo = await client.GET('/requests/{request_id}/images', {
      params: { path, query: { offset: 1, limit: 1 } },
    });
    expect(pageOne.data!).toMatchObject({ total: 2, offset: 0, limit: 1 });
    const [done] = pageOne.data!.images;
    const [failed] = pageTwo.data!.images;
    expect(done).toMatchObject({ input_url: good, status: 'done', error_code: null });
    expect(done.output_url).toMatch(/\.jpg$/);
    expect(failed).toMatchObject({
      input_url: broken,
      status: 'failed',
      error_code: 'http_404',
      output_url: null,
    });

    const exported = await client.GET('/export-csv/{request_id}', { params: { path }, parseAs: 'text' });
    expect(exported.response.headers.get('content-type')).toMatch(/^text\/csv/);
    const rows = await parseCsv(exported.data!);
    expect(rows[0]).toEqual(['S. No.', 'Product Name', 'Input Image Urls', 'Output Image Urls', 'Errors']);
    expect(rows[1][3]).toBe(`${done.output_url},`);
    expect(rows[1][4]).toContain(`${broken}: http_404`);

    supplierFixed = true;
    const release = fixtures.holdImages();
    const retry = await client.POST('/requests/{request_id}/retry', { params: { path } });
    expect(retry.response.status).toBe(202);
    expect(retry.data!).toEqual({
      request_id: accepted.request_id,
      status: 'processing',
      requeued_images: 1,
      progress: '1/2',
    });
    const notReady = await client.GET('/export-csv/{request_id}', { params: { path }, parseAs: 'text' });
    expect(notReady.response.status).toBe(409);
    expect(notReady.error!).toMatchObject({
      statusCode: 409,
      progress: '1/2',
    });
    const busy = await client.DELETE('/requests/{request_id}', { params: { path } });
    expect(busy.response.status).toBe(409);
    release();

    const second = await finalStatus(accepted.request_id);
    expect(second).toMatchObject({ status: 'completed', processed_images: 2, failed_images: 0 });
    const again = await client.POST('/requests/{request_id}/retry', { params: { path } });
    expect(again.response.status).toBe(409);
    expect(again.error!.errors).toHaveLength(1);

    const replay = await client.POST('/upload', {
      body: { file: csv, webhook_url: `${fixtures.baseUrl}/webhook` },
      bodySerializer: multipart,
      params: { header: { 'Idempotency-Key': 'generated-client-1' } },
    });
    expect(replay.data!.request_id).toBe(accepted.request_id);

    await eventually(() => fixtures.webhooks.length === 2);
    for (const { headers, body } of fixtures.webhooks) {
      expect(headers['webhook-id']).toEqual(expect.any(String));
      expect(headers['webhook-timestamp']).toMatch(/^[0-9]+$/);
      const payload: WebhookPayload = JSON.parse(body);
      expect(conformance.problems({ $ref: '#/components/schemas/RequestCompletedPayload' }, payload)).toEqual(
        [],
      );
      expect(payload.request_id).toBe(accepted.request_id);
    }

    const deleted = await client.DELETE('/requests/{request_id}', { params: { path } });
    expect(deleted.response.status).toBe(204);
    const gone = await client.GET('/status/{request_id}', { params: { path } });
    expect(gone.response.status).toBe(404);
  });

  it('asks for renditions and reads them back: the status, each image, the export and the webhook', async () => {
    const url = fixtures.imageUrl('exif-orientation-6.jpg', 'renditions');
    const upload = await client.POST('/upload', {
      body: {
        file: productCsv([[url]]),
        webhook_url: `${fixtures.baseUrl}/webhook`,
        format: 'webp',
        renditions: '300w,square-2000',
      },
      bodySerializer: multipart,
    });
    expect(upload.response.status).toBe(202);
    const path = { request_id: upload.data!.request_id };
    const status = await finalStatus(path.request_id);
    expect(status.output.renditions).toEqual([
      { spec: '300w', format: 'webp', quality: 50, width: 300, height: null, fit: 'inside' },
      { spec: 'square-2000', format: 'jpeg', quality: 85, width: 2000, height: 2000, fit: 'pad' },
    ]);

    const { data } = await client.GET('/requests/{request_id}/images', { params: { path } });
    const [image] = data!.images;
    const renditions: Rendition[] = image.renditions!;
    expect(renditions).toMatchObject([
      { spec: '300w', format: 'webp', width: 300 },
      { spec: 'square-2000', format: 'jpeg', width: 2000, height: 2000 },
    ]);
    expect(image.output_url).toBe(renditions[0].url);

    const exported = await client.GET('/export-csv/{request_id}', { params: { path }, parseAs: 'text' });
    const [header, row] = await parseCsv(exported.data!);
    expect(header.slice(3)).toEqual([
      'Output Image Urls',
      'Output Image Urls 300w',
      'Output Image Urls square-2000',
      'Errors',
    ]);
    expect(row.slice(3, 6)).toEqual([renditions[0].url, renditions[0].url, renditions[1].url]);

    const webhook = await eventually(() =>
      fixtures.webhooks
        .map(({ body }) => JSON.parse(body) as WebhookPayload)
        .find((payload) => payload.request_id === path.request_id),
    );
    expect(conformance.problems({ $ref: '#/components/schemas/RequestCompletedPayload' }, webhook)).toEqual(
      [],
    );
    expect(webhook.renditions).toEqual(status.output.renditions);
  });

  it('re-imports: the reused image says so in its listing, the status, the list and the webhook; refresh makes it again', async () => {
    const file = productCsv([[fixtures.imageUrl('cmyk.jpg', 'reimport')]]);
    const imported = async (refresh?: 'true') => {
      const upload = await client.POST('/upload', {
        body: { file, webhook_url: `${fixtures.baseUrl}/webhook`, ...(refresh && { refresh }) },
        bodySerializer: multipart,
      });
      const path = { request_id: upload.data!.request_id };
      const status = await finalStatus(path.request_id);
      const { data } = await client.GET('/requests/{request_id}/images', { params: { path } });
      const webhook = await eventually(() =>
        fixtures.webhooks
          .map(({ body }) => JSON.parse(body) as WebhookPayload)
          .find((payload) => payload.request_id === path.request_id),
      );
      expect(conformance.problems({ $ref: '#/components/schemas/RequestCompletedPayload' }, webhook)).toEqual(
        [],
      );
      return { status, image: data!.images[0], webhook };
    };

    const first = await imported();
    expect([first.status.reused_images, first.webhook.reused_images]).toEqual([0, 0]);
    expect(first.image).toMatchObject({ reused: false, reused_how: null });

    const second = await imported();
    expect([second.status.reused_images, second.webhook.reused_images]).toEqual([1, 1]);
    expect(second.image).toMatchObject({
      reused: true,
      reused_how: 'revalidated',
      output_url: first.image.output_url,
    });
    const { data: list } = await client.GET('/requests', { params: { query: { limit: 1 } } });
    expect(list!.requests[0]).toMatchObject({ request_id: second.status.request_id, reused_images: 1 });

    const refreshed = await imported('true');
    expect(refreshed.status.output.refresh).toBe(true);
    expect(refreshed.status.reused_images).toBe(0);
    expect(refreshed.image).toMatchObject({ reused: false, reused_how: null });
    expect(refreshed.image.output_url).not.toBe(first.image.output_url);
  });

  it('answers the declared error body for every refusal', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    const notFound = await client.GET('/status/{request_id}', { params: { path: { request_id: unknown } } });
    expect(notFound.response.status).toBe(404);
    expect(notFound.error!).toEqual({
      statusCode: 404,
      message: `request ${unknown} not found`,
      errors: [{ row: null, column: null, message: `request ${unknown} not found` }],
    });

    const notUuid = await client.GET('/requests/{request_id}/images', {
      params: { path: { request_id: 'not-a-uuid' } },
    });
    expect(notUuid.response.status).toBe(400);
    expect(notUuid.error!.errors).toEqual([
      { row: null, column: 'request_id', message: 'request_id must be a UUID' },
    ]);
    const offsetTooLarge = await client.GET('/requests/{request_id}/images', {
      params: { path: { request_id: unknown }, query: { offset: 1e21 } },
    });
    expect(offsetTooLarge.response.status).toBe(400);
    expect(offsetTooLarge.error!.errors).toEqual([
      { row: null, column: 'offset', message: expect.stringMatching(/offset must not be greater than/) },
    ]);

    const badCsv = await client.POST('/upload', {
      body: { file: 'S. No.,Product Name,Input Image Urls\n1,,https://example.com/a.jpg\n', webhook_url: '' },
      bodySerializer: multipart,
    });
    expect(badCsv.response.status).toBe(400);
    expect(badCsv.error!.errors).toEqual([
      { row: 2, column: 'Product Name', message: 'product name is empty' },
    ]);
  });
});
