import sharp from 'sharp';
import { parseCsv, productCsv } from './helpers/csv.js';
import { download } from './helpers/download.js';
import { rowCounts } from './helpers/durability.js';
import { FixtureServer } from './helpers/fixture-server.js';
import { everyStoredFile, storedFiles } from './helpers/stored-files.js';
import { eventually, startTestApp, type TestApp, waitForCompletion } from './helpers/test-app.js';

interface Rendition {
  spec: string;
  url: string;
  format: string;
  width: number;
  height: number;
  bytes: number;
}

/** The photo fixture's size, and the width-fitted size of a side at a width (as the pipeline rounds). */
const PHOTO = { width: 2725, height: 2225 };
const fitted = (width: number) => ({ width, height: Math.round((PHOTO.height * width) / PHOTO.width) });

describe('renditions: several sizes and formats of every image from one download', () => {
  const fixtures = new FixtureServer();
  let service: TestApp;

  beforeAll(async () => {
    await fixtures.start();
    service = await startTestApp({ DOWNLOAD_RETRIES: '0' });
  });

  afterAll(async () => {
    await service?.close();
    await fixtures.stop();
  });

  /** Uploads one row per list of images (tagged: distinct URLs) with the fields; the request id. */
  async function uploaded(tag: string, rows: string[][], fields: Record<string, string>): Promise<string> {
    const csv = productCsv(rows.map((images) => images.map((name) => fixtures.imageUrl(name, `tag=${tag}`))));
    const upload = service.http.post('/upload');
    for (const [name, value] of Object.entries(fields)) void upload.field(name, value);
    const { body } = await upload
      .attach('file', Buffer.from(csv), { filename: 'products.csv', contentType: 'text/csv' })
      .expect(202);
    return body.request_id as string;
  }

  async function imagesOf(requestId: string): Promise<Array<Record<string, any>>> {
    const { body } = await service.http.get(`/requests/${requestId}/images`).expect(200);
    return body.images;
  }

  /** The stored file behind a URL, decoded: its metadata and raw RGB pixels. */
  async function decoded(url: string) {
    const response = await download(url);
    expect(response.status, url).toBe(200);
    const bytes = response.body as Buffer;
    const image = sharp(bytes);
    const { data, info } = await image.clone().removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const pixel = (x: number, y: number) => [
      ...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3),
    ];
    return { bytes, contentType: response.headers['content-type'], metadata: await image.metadata(), pixel };
  }

  it('three widths: outputs of those widths (never enlarged) in the request’s format, each its own object', async () => {
    const requestId = await uploaded('widths', [['photo-2725x2225.jpg', 'cmyk.jpg']], {
      renditions: '1600w,800w,400w',
      format: 'webp',
      quality: '70',
    });
    const status = await waitForCompletion(service.http, requestId, 120_000);
    expect(status.status).toBe('completed');
    expect(status.output.renditions).toEqual(
      [1600, 800, 400].map((width) => ({
        spec: `${width}w`,
        format: 'webp',
        quality: 70,
        width,
        height: null,
        fit: 'inside',
      })),
    );
    const [photo, small] = await imagesOf(requestId);
    const expected = {
      photo: [fitted(1600), fitted(800), fitted(400)],
      small: [
        { width: 500, height: 333 },
        { width: 500, height: 333 },
        { width: 400, height: 266 },
      ],
    };
    for (const [image, sizes] of [
      [photo, expected.photo],
      [small, expected.small],
    ] as const) {
      const renditions = image.renditions as Rendition[];
      expect(renditions.map((rendition) => rendition.spec)).toEqual(['1600w', '800w', '400w']);
      expect(image.output_url).toBe(renditions[0].url);
      expect(image.output_bytes).toBe(renditions.reduce((sum, rendition) => sum + rendition.bytes, 0));
      for (const [index, rendition] of renditions.entries()) {
        expect(rendition.url).not.toContain(requestId);
        expect(rendition.url).toMatch(new RegExp(`/[0-9a-f]{2}/[0-9a-f-]{36}-${rendition.spec}\\.webp$`));
        const output = await decoded(rendition.url);
        expect(output.contentType).toBe('image/webp');
        expect(output.metadata.format).toBe('webp');
        expect({ width: output.metadata.width, height: output.metadata.height }).toEqual(sizes[index]);
        expect(rendition).toMatchObject({ format: 'webp', ...sizes[index], bytes: output.bytes.length });
      }
    }
    const keys = [photo, small].flatMap((image) =>
      (image.renditions as Rendition[]).map((rendition) =>
        new URL(rendition.url).pathname.replace('/files/', ''),
      ),
    );
    expect(new Set(keys).size).toBe(6);
    expect(await storedFiles(service.config.storage.dir)).toEqual(expect.arrayContaining(keys));
  });

  it('presets: square-2000 is exactly 2000×2000 with the photo centred on white; thumb-400 exactly 400×400', async () => {
    const requestId = await uploaded('presets', [['photo-2725x2225.jpg', 'exif-orientation-6.jpg']], {
      renditions: 'square-2000, thumb-400',
    });
    expect((await waitForCompletion(service.http, requestId, 120_000)).status).toBe('completed');
    for (const image of await imagesOf(requestId)) {
      const [square, thumb] = image.renditions as Rendition[];
      expect(square).toMatchObject({ spec: 'square-2000', format: 'jpeg', width: 2000, height: 2000 });
      expect(thumb).toMatchObject({ spec: 'thumb-400', format: 'webp', width: 400, height: 400 });
      const padded = await decoded(square.url);
      expect(padded.metadata).toMatchObject({ format: 'jpeg', width: 2000, height: 2000 });
      const cropped = await decoded(thumb.url);
      expect(cropped.metadata).toMatchObject({ format: 'webp', width: 400, height: 400 });
      // Not a square: two opposite sides of the canvas are white bands; the centre is the photo.
      for (const [x, y] of [
        [0, 0],
        [1999, 0],
        [0, 1999],
        [1999, 1999],
      ])
        for (const channel of padded.pixel(x, y)) expect(channel).toBeGreaterThanOrEqual(250);
      expect(Math.min(...padded.pixel(1000, 1000))).toBeLessThan(250);
    }
  });

  it('the export keeps Output Image Urls (the first rendition’s) and adds a column per rendition, in order', async () => {
    const requestId = await uploaded('export', [['cmyk.jpg', 'not-an-image.jpg'], ['alpha.png']], {
      renditions: '300w,thumb-400',
    });
    expect((await waitForCompletion(service.http, requestId, 60_000)).status).toBe('completed_with_errors');
    const images = await imagesOf(requestId);
    const { text } = await service.http.get(`/export-csv/${requestId}`).expect(200);
    const [header, ...rows] = await parseCsv(text);
    expect(header).toEqual([
      'S. No.',
      'Product Name',
      'Input Image Urls',
      'Output Image Urls',
      'Output Image Urls 300w',
      'Output Image Urls thumb-400',
      'Errors',
    ]);
    const urlOf = (image: Record<string, any>, spec: string) =>
      (image.renditions as Rendition[] | undefined)?.find((rendition) => rendition.spec === spec)?.url ?? '';
    const [cmyk, broken, alpha] = images;
    expect(broken.renditions).toBeUndefined();
    expect(rows[0].slice(3, 6)).toEqual([
      `${cmyk.output_url},`,
      `${urlOf(cmyk, '300w')},`,
      `${urlOf(cmyk, 'thumb-400')},`,
    ]);
    expect(rows[0][3]).toBe(`${urlOf(cmyk, '300w')},`);
    expect(rows[1].slice(3, 6)).toEqual([alpha.output_url, urlOf(alpha, '300w'), urlOf(alpha, 'thumb-400')]);
    expect(rows[0][6]).toContain('not_an_image');
  });

  it('the webhook names the renditions asked for, and its images_url leads to each image\u2019s', async () => {
    const requestId = await uploaded('webhook', [['cmyk.jpg']], {
      renditions: '200w',
      webhook_url: `${fixtures.baseUrl}/webhook`,
    });
    const webhook = await eventually(
      () =>
        fixtures.webhooks
          .map((received) => JSON.parse(received.body))
          .find((body) => body.request_id === requestId),
      30_000,
    );
    expect(webhook.renditions).toEqual([
      { spec: '200w', format: 'jpeg', quality: 50, width: 200, height: null, fit: 'inside' },
    ]);
    const { body: page } = await service.http.get(new URL(webhook.images_url as string).pathname).expect(200);
    expect(page.images[0].renditions).toEqual([
      expect.objectContaining({ spec: '200w', format: 'jpeg', width: 200, bytes: expect.any(Number) }),
    ]);
  });

  it.each([
    [
      'unknown-preset',
      '"unknown-preset" is not a configured preset (OUTPUT_PRESETS: square-2000, thumb-400)',
    ],
    ['0w', '"0w": a width must be from 1w to 16383w'],
    ['16384w', '"16384w": a width must be from 1w to 16383w'],
    ['1w,2w,3w,4w,5w,6w,7w,8w,9w', 'lists 9 specs; at most 8 (MAX_RENDITIONS)'],
    ['800w,thumb-400,800w', 'lists "800w" twice'],
    ['800w;400w', '"800w;400w" is neither a width (such as 800w) nor a preset name'],
    ['800w,,400w', 'has an empty spec at position 2'],
  ])('renditions=%s: 400 naming the field, nothing stored', async (value, problem) => {
    const before = rowCounts(service.dataDir);
    const files = await everyStoredFile(service.config.storage.dir);
    const csv = productCsv([[fixtures.imageUrl('cmyk.jpg', 'tag=refused')]]);
    const { body } = await service.http
      .post('/upload')
      .field('renditions', value)
      .attach('file', Buffer.from(csv), { filename: 'products.csv', contentType: 'text/csv' })
      .expect(400);
    const message = `renditions ${problem}`;
    expect(body.message).toBe(`${message}; nothing was stored`);
    expect(body.errors).toEqual([{ row: null, column: 'renditions', message }]);
    expect(rowCounts(service.dataDir)).toEqual(before);
    expect(await everyStoredFile(service.config.storage.dir)).toEqual(files);
  });

  it('an Idempotency-Key names the renditions too: the same list replays, another is a 422', async () => {
    const csv = productCsv([[fixtures.imageUrl('cmyk.jpg', 'tag=idempotent')]]);
    const post = (renditions: string) =>
      service.http
        .post('/upload')
        .set('Idempotency-Key', 'renditions-key')
        .field('renditions', renditions)
        .attach('file', Buffer.from(csv), { filename: 'products.csv', contentType: 'text/csv' });
    const first = await post('100w').expect(202);
    expect((await post(' 100w ').expect(202)).body.request_id).toBe(first.body.request_id);
    const refused = await post('100w,200w').expect(422);
    expect(refused.body.errors).toEqual([expect.objectContaining({ column: 'Idempotency-Key' })]);
    await waitForCompletion(service.http, first.body.request_id);
  });

  it('deleting the request removes every rendition, and the preview of the first', async () => {
    const requestId = await uploaded('deleted', [['cmyk.jpg', 'cmyk.jpg'], ['alpha.png']], {
      renditions: '100w,thumb-400',
    });
    expect((await waitForCompletion(service.http, requestId, 60_000)).status).toBe('completed');
    const images = await imagesOf(requestId);
    const keyOf = (url: string) => new URL(url).pathname.replace('/files/', '');
    const keys = images.flatMap((image) =>
      (image.renditions as Rendition[]).map((rendition) => keyOf(rendition.url)),
    );
    expect(new Set(keys).size).toBe(4); // the repeated URL shares its original's renditions
    await service.http.get(new URL(images[0].thumbnail_url).pathname).expect(200);
    const preview = keyOf(images[0].thumbnail_url);
    expect(await everyStoredFile(service.config.storage.dir)).toEqual(
      expect.arrayContaining([...keys, preview]),
    );

    await service.http.delete(`/requests/${requestId}`).expect(204);
    const left = await everyStoredFile(service.config.storage.dir);
    for (const key of [...keys, preview]) expect(left).not.toContain(key);
    for (const image of images) await service.http.get(new URL(image.renditions[1].url).pathname).expect(404);
  });
});
