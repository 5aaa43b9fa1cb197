import sharp from 'sharp';
import { Webhook } from 'standardwebhooks';
import { download } from './helpers/download.js';
import { FixtureServer, FIXTURES_DIR } from './helpers/fixture-server.js';
import { startTestApp, TestApp, waitForCompletion } from './helpers/test-app.js';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCsv, productCsv } from './helpers/csv.js';
import { webhookOutboxDrained } from './helpers/webhook-outbox.js';

const SECRET = `whsec_${Buffer.from('pixelmill-e2e-secret-key-0123456').toString('base64')}`;

async function fetchOutput(url: string) {
  const response = await download(url);
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toBe('image/jpeg');
  expect(response.headers['cache-control']).toMatch(/max-age=31536000/);
  return { body: response.body as Buffer, metadata: await sharp(response.body as Buffer).metadata() };
}

describe('CSV in, web-ready images out (embedded default)', () => {
  const fixtures = new FixtureServer();
  let service: TestApp;

  beforeAll(async () => {
    await fixtures.start();
    service = await startTestApp({ WEBHOOK_SECRET: SECRET, JPEG_QUALITY: '50' });
  });

  afterAll(async () => {
    await service?.close();
    await fixtures.stop();
  });

  it('processes every image of a seed-format CSV, reports, exports and notifies once', async () => {
    const rows = [
      ['SKU1', ['photo-2725x2225.jpg', 'exif-orientation-6.jpg', 'exif-orientation-8.jpg']],
      ['SKU2', ['alpha.png', 'cmyk.jpg', 'animated.gif']],
      ['SKU3', ['photo.webp', 'photo.avif', 'photo-3840x2160-gainmap.jpg']],
      ['SKU4', ['not-an-image.jpg', 'missing.jpg']],
    ] as const;
    const csv = productCsv(
      rows.map(([name, files]) => ({ name, urls: files.map((file) => fixtures.imageUrl(file)) })),
    );

    const started = Date.now();
    const upload = await service.http
      .post('/upload')
      .field('webhook_url', `${fixtures.baseUrl}/webhook`)
      .attach('file', Buffer.from(csv), { filename: 'products.csv', contentType: 'text/csv' })
      .expect(202);
    expect(upload.body).toEqual({
      request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: 'processing',
      total_images: 11,
      status_url: `${service.config.server.publicUrl}/status/${upload.body.request_id}`,
      export_url: `${service.config.server.publicUrl}/export-csv/${upload.body.request_id}`,
    });
    const requestId: string = upload.body.request_id;

    const status = await waitForCompletion(service.http, requestId);
    console.log(`e2e: 11 fixture images processed in ${Date.now() - started} ms`);
    expect(status).toMatchObject({
      request_id: requestId,
      file_name: 'products.csv',
      status: 'completed_with_errors',
      progress: '11/11',
      total_images: 11,
      processed_images: 11,
      failed_images: 2,
      completed_at: expect.any(String),
    });

    const { body: page } = await service.http.get(`/requests/${requestId}/images`).expect(200);
    expect(page.images).toHaveLength(11);
    expect(page.images.map((image: any) => image.input_url)).toEqual(
      rows.flatMap(([, files]) => files.map((file) => fixtures.imageUrl(file))),
    );
    const failed = page.images.filter((image: any) => image.status === 'failed');
    expect(failed.map((image: any) => image.error_code).sort()).toEqual(['http_404', 'not_an_image']);
    // Each code comes with plain words, beside the technical message; and the codes present, counted.
    const notFound = expect.stringContaining('there is no image at this address (HTTP 404)');
    const notAnImage = expect.stringContaining('answered with something that is not an image');
    expect(failed.map((image: any) => image.error_explanation)).toEqual([notAnImage, notFound]);
    expect(page.images.find((image: any) => image.status === 'done').error_explanation).toBeNull();
    const { body: codes } = await service.http.get(`/requests/${requestId}/error-codes`).expect(200);
    expect(codes).toEqual({
      request_id: requestId,
      error_codes: [
        { error_code: 'http_404', images: 1, label: 'Not found', explanation: notFound },
        { error_code: 'not_an_image', images: 1, label: 'Not an image', explanation: notAnImage },
      ],
    });
    const photo = page.images.find((image: any) => image.input_url.endsWith('photo-2725x2225.jpg'));
    expect(photo).toMatchObject({
      serial_number: '1',
      product_name: 'SKU1',
      status: 'done',
      input_bytes: 829183,
    });
    expect(photo.output_bytes).toBeLessThan(photo.input_bytes);

    const exported = await service.http.get(`/export-csv/${requestId}`).expect(200);
    expect(exported.headers['content-type']).toMatch(/^text\/csv/);
    expect(exported.headers['content-disposition']).toBe(`attachment; filename="${requestId}.csv"`);
    const table = await parseCsv(exported.text);
    expect(table[0]).toEqual(['S. No.', 'Product Name', 'Input Image Urls', 'Output Image Urls', 'Errors']);
    expect(table.slice(1).map((row) => row[1])).toEqual(['SKU1', 'SKU2', 'SKU3', 'SKU4']);
    for (const [index, row] of table.slice(1).entries()) {
      expect(row[3].split(',')).toHaveLength(rows[index][1].length);
    }
    expect(table[4][3]).toBe(',');
    expect(table[4][4]).toContain(`${fixtures.imageUrl('missing.jpg')}: http_404`);
    expect(table[4][4]).toContain(' | ');

    const outputs = new Map<string, string>(
      page.images
        .filter((image: any) => image.status === 'done')
        .map((image: any) => [image.input_url.split('/').pop(), image.output_url]),
    );
    expect(outputs.size).toBe(9);
    // An output URL names the image alone: whoever sees a product image cannot read the request.
    for (const url of outputs.values()) {
      expect(url).toMatch(
        new RegExp(`^${service.config.server.publicUrl}/files/[0-9a-f]{2}/[0-9a-f-]{36}\\.jpg$`),
      );
      expect(url).not.toContain(requestId);
    }
    // Files stored by earlier versions, under <request id>/<image id>.jpg, are still served there.
    const [oldStyleKey, newStyleUrl] = [`${requestId}/${randomUUID()}.jpg`, [...outputs.values()][0]];
    const newStylePath = join(
      service.config.storage.dir,
      new URL(newStyleUrl).pathname.replace('/files/', ''),
    );
    await mkdir(join(service.config.storage.dir, requestId), { recursive: true });
    await copyFile(newStylePath, join(service.config.storage.dir, oldStyleKey));
    const old = await service.http.get(`/files/${oldStyleKey}`).expect(200);
    expect(old.headers['content-type']).toBe('image/jpeg');
    for (const [file, url] of outputs) {
      const { metadata } = await fetchOutput(url);
      expect(metadata.format, file).toBe('jpeg');
      expect(metadata.space, file).toBe('srgb');
      expect(metadata.channels, file).toBe(3);
      expect(metadata.orientation, file).toBeUndefined();
      expect(metadata.exif, file).toBeUndefined();
    }
    for (const file of ['exif-orientation-6.jpg', 'exif-orientation-8.jpg']) {
      const source = await sharp(join(FIXTURES_DIR, file)).metadata();
      expect([6, 8]).toContain(source.orientation);
      const { metadata } = await fetchOutput(outputs.get(file)!);
      expect({ width: metadata.width, height: metadata.height }).toEqual({
        width: source.height,
        height: source.width,
      });
    }
    const cmykSource = await sharp(join(FIXTURES_DIR, 'cmyk.jpg')).metadata();
    expect(cmykSource.space).toBe('cmyk');

    // Where the PNG is fully transparent, the JPEG is white.
    const alphaSource = await sharp(join(FIXTURES_DIR, 'alpha.png'))
      .raw()
      .toBuffer({ resolveWithObject: true });
    const transparentPixel = alphaSource.data.findIndex((value, index) => index % 4 === 3 && value === 0);
    expect(transparentPixel).toBeGreaterThan(0);
    const pixel = (transparentPixel - 3) / 4;
    const alphaOutput = await fetchOutput(outputs.get('alpha.png')!);
    const rgb = await sharp(alphaOutput.body).raw().toBuffer();
    expect([...rgb.subarray(pixel * 3, pixel * 3 + 3)].every((channel) => channel >= 250)).toBe(true);

    // The first frame only: one frame's size, not a strip of all of them.
    const gif = await sharp(join(FIXTURES_DIR, 'animated.gif')).metadata();
    expect(gif.pages).toBeGreaterThan(1);
    const animated = await fetchOutput(outputs.get('animated.gif')!);
    expect({ width: animated.metadata.width, height: animated.metadata.height }).toEqual({
      width: gif.width,
      height: gif.pageHeight ?? gif.height,
    });

    await webhookOutboxDrained(service.http, [requestId]);
    expect(fixtures.webhooks).toHaveLength(1);
    const [delivery] = fixtures.webhooks;
    const payload = new Webhook(SECRET).verify(delivery.body, delivery.headers as Record<string, string>);
    expect(payload).toMatchObject({
      type: 'request.completed',
      request_id: requestId,
      status: 'completed_with_errors',
      total_images: 11,
      processed_images: 11,
      failed_images: 2,
      status_url: `${service.config.server.publicUrl}/status/${requestId}`,
      export_url: `${service.config.server.publicUrl}/export-csv/${requestId}`,
      images_url: `${service.config.server.publicUrl}/requests/${requestId}/images`,
      timestamp: expect.any(String),
    });
    const { body: finalStatus } = await service.http.get(`/status/${requestId}`).expect(200);
    expect(finalStatus.webhook).toMatchObject({ status: 'delivered', attempts: 1, last_status: 200 });
  });

  it("keeps the CSV's name as sent, made safe to show, in the status and the list", async () => {
    const csv = productCsv([fixtures.imageUrl('photo.webp', 'named')]);
    const { body: accepted } = await service.http
      .post('/upload')
      .attach('file', Buffer.from(csv), {
        filename: 'Catalogue d’été\u202E 2026.csv',
        contentType: 'text/csv',
      })
      .expect(202);
    const { body: status } = await service.http.get(`/status/${accepted.request_id}`).expect(200);
    expect(status.file_name).toBe('Catalogue d’été 2026.csv');
    const { body: list } = await service.http.get('/requests').expect(200);
    expect(list.requests.find((request: any) => request.request_id === accepted.request_id).file_name).toBe(
      'Catalogue d’été 2026.csv',
    );
  });

  it('answers 404 with a JSON message for an unknown request', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    for (const path of [`/status/${unknown}`, `/requests/${unknown}/images`, `/export-csv/${unknown}`]) {
      const response = await service.http.get(path).expect(404);
      expect(response.body.message).toContain(unknown);
    }
  });

  it('serves the OpenAPI document with the upload as a multipart form', async () => {
    const { body } = await service.http.get('/docs-json').expect(200);
    const upload = body.paths['/upload'].post;
    expect(Object.keys(upload.requestBody.content)).toEqual(['multipart/form-data']);
    const schemaRef = upload.requestBody.content['multipart/form-data'].schema.$ref.split('/').pop();
    expect(body.components.schemas[schemaRef].properties.file).toMatchObject({
      type: 'string',
      format: 'binary',
    });
    expect(Object.keys(upload.responses)).toEqual(expect.arrayContaining(['202', '400', '413']));
    await service.http.get('/docs').expect(200);
  });
});
