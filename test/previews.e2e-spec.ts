import sharp from 'sharp';
import { outputKeyOf, thumbnailKeyOf } from '../src/images/output-key.js';
import { queryDatabase } from './helpers/database-counts.js';
import { FixtureServer } from './helpers/fixture-server.js';
import { everyStoredFile } from './helpers/stored-files.js';
import { startTestApp, type TestApp, waitForCompletion } from './helpers/test-app.js';
import { upload } from './helpers/upload.js';
import { productCsv } from './helpers/csv.js';

/**
 * Previews off the hot path: processing an image stores its output and nothing else; the preview is made
 * from the stored output on its first request, stored, and served from storage afterwards. Made-once is
 * read from the service's own counter (pixelmill_previews_made_total), not from timing.
 */
describe('previews made on first request', () => {
  const fixtures = new FixtureServer();
  let service: TestApp;

  beforeAll(async () => {
    await fixtures.start();
    service = await startTestApp({ DOWNLOAD_RETRIES: '0', PREVIEW_CONCURRENCY: '1' });
  });

  afterAll(async () => {
    await service?.close();
    await fixtures.stop();
  });

  function uploadOf(urls: string[]): Promise<string> {
    return upload(service.http, productCsv(urls), { fileName: 'c.csv' });
  }

  const imageIds = (requestId: string, status: string) =>
    queryDatabase<{ id: string }>(
      service.dataDir,
      'SELECT id FROM images WHERE task_id = ? AND status = ? AND duplicate_of IS NULL ORDER BY row_number',
      requestId,
      status,
    ).map((row) => row.id);

  async function previewsMade(): Promise<number> {
    const { text } = await service.http.get('/metrics').expect(200);
    return Number(/^pixelmill_previews_made_total (\d+)$/m.exec(text)![1]);
  }

  const previewPath = (imageId: string) => `/files/${thumbnailKeyOf(imageId)}`;

  it('stores only the output while processing, makes the preview on the first GET, serves the stored one after', async () => {
    const photo = fixtures.imageUrl('photo-2725x2225.jpg', 'previews=1');
    const requestId = await uploadOf([
      photo,
      fixtures.imageUrl('exif-orientation-6.jpg', 'previews=1'),
      photo,
    ]);
    expect(await waitForCompletion(service.http, requestId)).toMatchObject({ status: 'completed' });
    const done = imageIds(requestId, 'done');
    expect(done).toHaveLength(2);
    // One object per processed image: its output.
    expect(await everyStoredFile(service.config.storage.dir)).toEqual(
      done.map((id) => outputKeyOf(id)).sort(),
    );

    const { body: page } = await service.http.get(`/requests/${requestId}/images`).expect(200);
    expect(page.images.map((image: any) => image.thumbnail_url)).toEqual([
      `${service.config.server.publicUrl}${previewPath(done[0])}`,
      `${service.config.server.publicUrl}${previewPath(done[1])}`,
      // The repeated URL is a duplicate: it shares its original's output, and so its preview.
      `${service.config.server.publicUrl}${previewPath(done[0])}`,
    ]);

    const before = await previewsMade();
    const first = await service.http.get(previewPath(done[0])).expect(200);
    expect(first.headers).toMatchObject({
      'content-type': 'image/webp',
      'cache-control': 'public, max-age=31536000, immutable',
    });
    expect(await sharp(first.body).metadata()).toMatchObject({ format: 'webp', width: 320, height: 261 });
    expect(await previewsMade()).toBe(before + 1);
    expect(await everyStoredFile(service.config.storage.dir)).toEqual(
      [...done.map((id) => outputKeyOf(id)), thumbnailKeyOf(done[0])].sort(),
    );

    const second = await service.http.get(previewPath(done[0])).expect(200);
    expect(second.body.equals(first.body)).toBe(true);
    await service.http.head(previewPath(done[0])).expect(200);
    expect(await previewsMade()).toBe(before + 1);
  });

  it('makes a preview once for many requests at the same time', async () => {
    const requestId = await uploadOf([fixtures.imageUrl('exif-orientation-8.jpg', 'previews=2')]);
    await waitForCompletion(service.http, requestId);
    const [id] = imageIds(requestId, 'done');
    const before = await previewsMade();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => fetch(`${service.config.server.publicUrl}${previewPath(id)}`)),
    );
    const bodies = await Promise.all(answers.map(async (answer) => Buffer.from(await answer.arrayBuffer())));
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200));
    expect(bodies.every((body) => body.equals(bodies[0]))).toBe(true);
    expect(await previewsMade()).toBe(before + 1);
  });

  it('answers 404 for a failed image, one not done yet, an unknown one, and an id under another folder', async () => {
    const release = fixtures.holdImages();
    const requestId = await uploadOf([
      fixtures.imageUrl('missing.jpg', 'previews=3'),
      fixtures.imageUrl('cmyk.jpg', 'previews=3'),
    ]);
    const [failed, pending] = imageIds(requestId, 'queued').concat(imageIds(requestId, 'processing'));
    const before = await previewsMade();
    for (const id of [failed, pending]) {
      const { body } = await service.http.get(previewPath(id)).expect(404);
      expect(body).toMatchObject({ statusCode: 404, message: 'file not found' });
    }
    release();
    await waitForCompletion(service.http, requestId);
    const [done] = imageIds(requestId, 'done');
    expect(imageIds(requestId, 'failed')).toHaveLength(1);
    await service.http.get(previewPath(imageIds(requestId, 'failed')[0])).expect(404);
    await service.http.get('/files/thumbs/0c/0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f.webp').expect(404);
    const otherFolder = done.startsWith('00') ? '01' : '00';
    await service.http.get(`/files/thumbs/${otherFolder}/${done}.webp`).expect(404);
    await service.http.get('/files/thumbs/0c/not-an-id.webp').expect(400);
    expect(await previewsMade()).toBe(before);
    expect(
      (await everyStoredFile(service.config.storage.dir)).filter((key) => key.startsWith('thumbs/')),
    ).not.toContain(thumbnailKeyOf(done));
  });

  it('deletes the preview with its request, and a deleted request\u2019s preview is a 404', async () => {
    const requestId = await uploadOf([fixtures.imageUrl('alpha.png', 'previews=4')]);
    await waitForCompletion(service.http, requestId);
    const [id] = imageIds(requestId, 'done');
    await service.http.get(previewPath(id)).expect(200);
    expect(await everyStoredFile(service.config.storage.dir)).toEqual(
      expect.arrayContaining([outputKeyOf(id), thumbnailKeyOf(id)]),
    );
    await service.http.delete(`/requests/${requestId}`).expect(204);
    const left = await everyStoredFile(service.config.storage.dir);
    expect(left.filter((key) => key.includes(id))).toEqual([]);
    const before = await previewsMade();
    await service.http.get(previewPath(id)).expect(404);
    expect(await previewsMade()).toBe(before);
  });
});
