import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { ImagePipeline } from '../src/images/image-pipeline.js';
import { download } from './helpers/download.js';
import { rowCounts } from './helpers/durability.js';
import { FixtureServer, FIXTURES_DIR } from './helpers/fixture-server.js';
import { startTestApp, type TestApp, waitForCompletion } from './helpers/test-app.js';
import { productCsv } from './helpers/csv.js';

const PHOTOS = ['photo-2725x2225.jpg', 'photo-3840x2160-gainmap.jpg'];
const SEED_OUTPUT = { format: 'jpeg', quality: 50, maxWidth: null, maxHeight: null } as const;

describe('output options: format, quality (auto), bounds', () => {
  const fixtures = new FixtureServer();
  let service: TestApp;

  beforeAll(async () => {
    await fixtures.start();
    service = await startTestApp();
  });

  afterAll(async () => {
    await service?.close();
    await fixtures.stop();
  });

  /** Uploads one row of the images (tagged: distinct URLs) with the fields; the finished status and image list. */
  async function processed(tag: string, images: string[], fields: Record<string, string> = {}) {
    const urls = images.map((name) => fixtures.imageUrl(name, `tag=${tag}`));
    const csv = Buffer.from(productCsv([urls]));
    const upload = service.http.post('/upload');
    for (const [name, value] of Object.entries(fields)) upload.field(name, value);
    const { body } = await upload
      .attach('file', csv, { filename: 'products.csv', contentType: 'text/csv' })
      .expect(202);
    const status = await waitForCompletion(service.http, body.request_id, 120_000);
    expect(status.status).toBe('completed');
    const listing = await service.http.get(`/requests/${body.request_id}/images`).expect(200);
    return { status, images: listing.body.images as Array<Record<string, any>> };
  }

  async function fetched(url: string) {
    const response = await download(url);
    expect(response.status).toBe(200);
    const bytes = response.body as Buffer;
    return { bytes, contentType: response.headers['content-type'], metadata: await sharp(bytes).metadata() };
  }

  it('keeps today’s output without fields: JPEG at quality 50, .jpg, shown in the status', async () => {
    const { status, images } = await processed('defaults', ['cmyk.jpg']);
    expect(status.output).toEqual({ format: 'jpeg', quality: 50, max_width: null, max_height: null });
    expect(images[0]).toMatchObject({ output_quality: 50, output_score: null });
    expect(images[0].output_url).toMatch(/\/[0-9a-f]{2}\/[0-9a-f-]{36}\.jpg$/);
    const output = await fetched(images[0].output_url);
    expect(output.contentType).toBe('image/jpeg');
    expect(output.metadata.format).toBe('jpeg');
  });

  it.each([
    ['jpeg', 'jpg', 'image/jpeg', 'jpeg'],
    ['webp', 'webp', 'image/webp', 'webp'],
    ['avif', 'avif', 'image/avif', 'heif'], // sharp reads AVIF through libheif
  ])(
    'format=%s: a .%s URL served as %s that decodes as that format',
    async (format, extension, type, decodedAs) => {
      const { status, images } = await processed(`format-${format}`, ['cmyk.jpg'], { format, quality: '60' });
      expect(status.output).toMatchObject({ format, quality: 60 });
      expect(images[0]).toMatchObject({ status: 'done', output_quality: 60 });
      expect(images[0].output_url.endsWith(`.${extension}`)).toBe(true);
      const output = await fetched(images[0].output_url);
      expect(output.contentType).toBe(type);
      expect(output.metadata.format).toBe(decodedAs);
      if (format === 'avif') expect(output.metadata.compression).toBe('av1');
      expect(output.bytes.length).toBe(images[0].output_bytes);
    },
  );

  it('max_width=800: 800-px-wide outputs with the aspect ratio kept; smaller images left as they are', async () => {
    const { status, images } = await processed('bounded', ['photo-2725x2225.jpg', 'cmyk.jpg'], {
      max_width: '800',
    });
    expect(status.output).toEqual({ format: 'jpeg', quality: 50, max_width: 800, max_height: null });
    const [photo, small] = await Promise.all(images.map((image) => fetched(image.output_url)));
    expect(photo.metadata.width).toBe(800);
    expect(photo.metadata.height).toBe(Math.round((800 * 2225) / 2725));
    expect({ width: small.metadata.width, height: small.metadata.height }).toEqual({
      width: 500,
      height: 333,
    });
  });

  it('quality=auto on the photos: outputs reach AUTO_QUALITY_TARGET and are smaller than the q50 outputs', async () => {
    const [q50, auto] = [
      await processed('q50', PHOTOS),
      await processed('auto', PHOTOS, { quality: 'auto' }),
    ];
    expect(auto.status.output).toMatchObject({ format: 'jpeg', quality: 'auto' });
    const pipeline = new ImagePipeline(service.config);
    const target = service.config.output.autoQualityTarget;
    for (const [index, name] of PHOTOS.entries()) {
      const chosen = auto.images[index];
      expect(chosen.output_quality).toBeGreaterThanOrEqual(1);
      expect(chosen.output_score).toBeGreaterThanOrEqual(target);
      const output = await fetched(chosen.output_url);
      const source = readFileSync(join(FIXTURES_DIR, name));
      // measured again, from the downloaded bytes: the recorded score is the output's
      expect(await pipeline.score(source, output.bytes, SEED_OUTPUT)).toBeGreaterThanOrEqual(target);
      expect(chosen.output_bytes).toBeLessThan(q50.images[index].output_bytes);
    }
  });

  it.each([
    ['format', 'png', 'format must be one of jpeg, webp, avif'],
    ['quality', '0', 'quality must be an integer from 1 to 100, or auto'],
    ['quality', 'max', 'quality must be an integer from 1 to 100, or auto'],
    ['max_width', '0', 'max_width must be an integer from 1 to 16383 (pixels)'],
    ['max_height', 'tall', 'max_height must be an integer from 1 to 16383 (pixels)'],
  ])('%s=%s: 400 naming the field, nothing stored', async (field, value, message) => {
    const before = rowCounts(service.dataDir);
    const csv = Buffer.from(productCsv([fixtures.imageUrl('cmyk.jpg')]));
    const { body } = await service.http
      .post('/upload')
      .field(field, value)
      .attach('file', csv, { filename: 'products.csv', contentType: 'text/csv' })
      .expect(400);
    expect(body.message).toBe(`${message}; nothing was stored`);
    expect(body.errors).toEqual([{ row: null, column: field, message }]);
    expect(rowCounts(service.dataDir)).toEqual(before);
  });
});
