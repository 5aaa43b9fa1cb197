import sharp from 'sharp';
import { readEventStream, type StreamEvent } from './helpers/event-stream.js';
import { FixtureServer } from './helpers/fixture-server.js';
import { storedFiles, storedPreviews } from './helpers/stored-files.js';
import { eventually, startTestApp, type TestApp } from './helpers/test-app.js';
import { upload } from './helpers/upload.js';
import { productCsv } from './helpers/csv.js';

/**
 * What the dashboard reads: a request's progress pushed as Server-Sent Events, each done image's WebP
 * preview (made on its first request), the images filtered by state and error code, and bytes in and out.
 */
describe('live progress, previews and filters', () => {
  const fixtures = new FixtureServer();
  let service: TestApp;

  beforeAll(async () => {
    await fixtures.start();
    service = await startTestApp({
      SSE_POLL_MS: '50',
      SSE_HEARTBEAT_MS: '1000',
      SSE_MAX_STREAMS: '2',
      DOWNLOAD_RETRIES: '0',
    });
  });

  afterAll(async () => {
    await service?.close();
    await fixtures.stop();
  });

  function uploadOf(names: string[]): Promise<string> {
    const csv = productCsv(names.map((name, index) => fixtures.imageUrl(name, `n=${index}`)));
    return upload(service.http, csv, { fileName: 'c.csv' });
  }

  it('streams progress as images finish, then one completed event, and ends', async () => {
    const release = fixtures.holdImages();
    const names = ['exif-orientation-6.jpg', 'photo.webp', 'missing.jpg', 'alpha.png'];
    const requestId = await uploadOf(names);
    const seen: StreamEvent[] = [];
    const stream = readEventStream(`${service.config.server.publicUrl}/requests/${requestId}/events`, {
      onEvent: (event) => seen.push(event),
    });
    // The current state comes at once, before any image has finished.
    await eventually(() => seen.length > 0 || undefined);
    expect(seen[0]).toMatchObject({
      event: 'progress',
      data: { request_id: requestId, processed_images: 0 },
    });
    release();
    const { status, contentType, events } = await stream;
    expect(status).toBe(200);
    expect(contentType).toMatch(/^text\/event-stream/);
    const counts = events.map((event) => event.data.processed_images);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(new Set(counts).size).toBe(counts.length); // an event only when something changed
    expect(events.slice(0, -1).every((event) => event.event === 'progress')).toBe(true);
    expect(events.at(-1)).toMatchObject({
      event: 'completed',
      data: { status: 'completed_with_errors', processed_images: 4, failed_images: 1, total_images: 4 },
    });
    expect(events.at(-1)!.data.input_bytes).toBeGreaterThan(events.at(-1)!.data.output_bytes);

    // A finished request: its state, completed, and the end.
    const again = await readEventStream(`${service.config.server.publicUrl}/requests/${requestId}/events`);
    expect(again.events).toEqual([events.at(-1)]);
  });

  it('refuses streams beyond SSE_MAX_STREAMS, and answers 404 for an unknown request', async () => {
    const release = fixtures.holdImages();
    const requestId = await uploadOf(['exif-orientation-8.jpg']);
    const aborts = [new AbortController(), new AbortController()];
    const streams = aborts.map((abort) =>
      readEventStream(`${service.config.server.publicUrl}/requests/${requestId}/events`, {
        signal: abort.signal,
      }).catch((error: Error) => error.name),
    );
    await eventually(async () => {
      const extra = await readEventStream(`${service.config.server.publicUrl}/requests/${requestId}/events`);
      return extra.status === 503 ? extra : undefined;
    }).then((refused) =>
      expect(refused.body).toMatchObject({
        message: 'too many progress streams open (SSE_MAX_STREAMS); try again later',
      }),
    );
    aborts[0].abort();
    expect(await streams[0]).toBe('AbortError');
    // The closed stream's slot is free again.
    const third = readEventStream(`${service.config.server.publicUrl}/requests/${requestId}/events`);
    release();
    const [second, finished] = await Promise.all([streams[1], third]);
    expect(finished).toMatchObject({ status: 200 });
    expect((second as Awaited<typeof third>).events.at(-1)?.event).toBe('completed');

    const unknown = await readEventStream(
      `${service.config.server.publicUrl}/requests/00000000-0000-4000-8000-000000000000/events`,
    );
    expect(unknown).toMatchObject({ status: 404, body: { message: expect.stringMatching(/not found$/) } });
  });

  it('sends keep-alive comments while nothing changes', async () => {
    const release = fixtures.holdImages();
    const requestId = await uploadOf(['exif-orientation-8.jpg']);
    let comments = 0;
    const stream = readEventStream(`${service.config.server.publicUrl}/requests/${requestId}/events`, {
      onComment: () => comments++,
    });
    await eventually(() => comments > 0 || undefined);
    // The image is held: nothing changed meanwhile, so the comments were all the stream had to send.
    const { body: held } = await service.http.get(`/status/${requestId}`).expect(200);
    expect(held).toMatchObject({ status: 'processing', processed_images: 0 });
    // Its image is claimed, then held in its download: the one image in flight.
    const inFlight = await eventually(async () => {
      const { body } = await service.http.get(`/requests/${requestId}/images?status=processing`).expect(200);
      return body.total === 1 && body;
    });
    expect(inFlight.images).toHaveLength(1);
    const { body: doneWhileHeld } = await service.http
      .get(`/requests/${requestId}/images?status=done`)
      .expect(200);
    expect(doneWhileHeld).toMatchObject({ total: 0, images: [] });
    release();
    const { events } = await stream;
    expect(events.map((event) => event.event)).toEqual(['progress', 'completed']);
    expect(comments).toBeGreaterThan(0);
  });

  it('counts the images in flight apart from those still queued', async () => {
    const release = fixtures.holdImages();
    const url = fixtures.imageUrl('exif-orientation-8.jpg', 'n=twice');
    const requestId = await upload(service.http, productCsv([url, url]), { fileName: 'c.csv' });
    // The first is claimed, then held in its download; the second, its duplicate, waits queued for its outcome.
    const inFlight = await eventually(async () => {
      const { body } = await service.http.get(`/requests/${requestId}/images?status=processing`).expect(200);
      return body.images.length === 1 && body;
    });
    expect(inFlight.total).toBe(1);
    const { body: queued } = await service.http
      .get(`/requests/${requestId}/images?status=queued`)
      .expect(200);
    expect(queued.total).toBe(1);
    release();
    await eventually(async () => {
      const { body } = await service.http.get(`/status/${requestId}`).expect(200);
      return body.status === 'completed';
    });
  });

  it('lists each done image’s WebP preview URL, makes it when asked, filters failures, and deletes both with the request', async () => {
    const requestId = await uploadOf(['photo-2725x2225.jpg', 'missing.jpg', 'cmyk.jpg']);
    await readEventStream(`${service.config.server.publicUrl}/requests/${requestId}/events`);
    const { body: page } = await service.http.get(`/requests/${requestId}/images`).expect(200);
    const [photo, missing, cmyk] = page.images;
    expect(missing).toMatchObject({ status: 'failed', thumbnail_url: null });
    for (const image of [photo, cmyk]) {
      expect(image.thumbnail_url).toMatch(
        new RegExp(`^${service.config.server.publicUrl}/files/thumbs/[0-9a-f]{2}/[0-9a-f-]{36}\\.webp$`),
      );
      const response = await fetch(image.thumbnail_url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/webp');
      const preview = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
      expect(Math.max(preview.width, preview.height)).toBeLessThanOrEqual(320);
    }

    const failed = await service.http.get(`/requests/${requestId}/images?status=failed`).expect(200);
    expect(failed.body).toMatchObject({
      total: 1,
      images: [{ input_url: missing.input_url, error_code: 'http_404' }],
    });
    const done = await service.http.get(`/requests/${requestId}/images?status=done`).expect(200);
    expect(done.body.total).toBe(2);
    expect(done.body.images.map((image: any) => image.input_url)).toEqual([photo.input_url, cmyk.input_url]);
    const processing = await service.http.get(`/requests/${requestId}/images?status=processing`).expect(200);
    expect(processing.body).toMatchObject({ total: 0, images: [] });
    const byCode = await service.http.get(`/requests/${requestId}/images?error_code=http_404`).expect(200);
    expect(byCode.body.images).toHaveLength(1);
    const none = await service.http.get(`/requests/${requestId}/images?error_code=decode_error`).expect(200);
    expect(none.body).toMatchObject({ total: 0, images: [] });
    await service.http.get(`/requests/${requestId}/images?status=lost`).expect(400);

    const { body: listed } = await service.http.get('/requests').expect(200);
    const summary = listed.requests.find((request: any) => request.request_id === requestId);
    expect(summary.input_bytes).toBe(photo.input_bytes + cmyk.input_bytes);
    expect(summary.output_bytes).toBe(photo.output_bytes + cmyk.output_bytes);

    const keyOf = (url: string) => new URL(url).pathname.replace(/^\/files\//, '');
    const stored = async () => [
      ...(await storedFiles(service.config.storage.dir)),
      ...(await storedPreviews(service.config.storage.dir)),
    ];
    const keys = [photo, cmyk].flatMap((image) => [keyOf(image.output_url), keyOf(image.thumbnail_url)]);
    expect(await stored()).toEqual(expect.arrayContaining(keys));
    await service.http.delete(`/requests/${requestId}`).expect(204);
    const left = await stored();
    expect(keys.filter((key) => left.includes(key))).toEqual([]);
    await service.http.get(new URL(photo.thumbnail_url).pathname).expect(404);
    await service.http.get('/files/thumbs/0c/not-an-id.webp').expect(400);
  });
});
