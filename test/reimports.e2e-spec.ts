import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSqliteDriver } from '../src/database/sqlite-driver.js';
import { OutcomeRecorder } from '../src/images/outcomes/outcome-recorder.js';
import { download } from './helpers/download.js';
import { FIXTURES_DIR, FixtureServer } from './helpers/fixture-server.js';
import { closeServer, listenOnLoopback } from './helpers/loopback-server.js';
import { encodes, type Import, Importer, metricSample } from './helpers/reimports.js';
import { storedFiles } from './helpers/stored-files.js';
import { eventually, startTestApp, type TestApp } from './helpers/test-app.js';

const ALICE = 'alice-key-0123456789abcdef';
const BOB = 'bob-key-0123456789abcdef01';

describe('re-imports: what did not change is reused, per owner', () => {
  const fixtures = new FixtureServer();
  let service: TestApp;
  let imports: Importer;

  beforeAll(async () => {
    await fixtures.start();
    service = await startTestApp({ API_KEYS: `alice:${ALICE},bob:${BOB}`, DOWNLOAD_RETRIES: '0' });
    imports = new Importer(service.http, `${fixtures.baseUrl}/webhook`);
  });

  afterAll(async () => {
    await service?.close();
    await fixtures.stop();
  });

  const urlsOf = (tag: string, names: string[]) => names.map((name) => fixtures.imageUrl(name, `tag=${tag}`));
  const bytesAt = async (url: string) => {
    const response = await download(url);
    expect(response.status, url).toBe(200);
    return response.body as Buffer;
  };
  const reusedBy = (how: string) =>
    metricSample(service.http, 'pixelmill_images_reused_total', `how="${how}"`);
  const webhookOf = async (requestId: string) =>
    JSON.parse(
      (await eventually(() => fixtures.webhooks.find((post) => post.body.includes(requestId)))).body,
    );

  /** Every image of `made` was downloaded with a plain GET and encoded: no reuse of `earlier`'s outputs. */
  async function expectMadeAgain(made: Import, earlier: Import, urls: string[], encodedBefore: number) {
    expect(made.status).toMatchObject({ status: 'completed', reused_images: 0 });
    expect(made.images.map((image) => image.reused)).toEqual(urls.map(() => false));
    for (const url of urls) expect(fixtures.counts(url)).toMatchObject({ requests: 1, conditional: 0 });
    expect(await encodes(service.http)).toBe(encodedBefore + urls.length);
    for (const [index, image] of made.images.entries())
      expect(image.output_url).not.toBe(earlier.images[index].output_url);
  }

  it('a second import of the same CSV revalidates every image: 304s, no body, no encode, the same outputs', async () => {
    const urls = urlsOf('same', ['photo-2725x2225.jpg', 'cmyk.jpg', 'photo.webp']);
    const first = await imports.run(ALICE, urls);
    expect(first.status).toMatchObject({ status: 'completed', reused_images: 0 });
    expect(first.images.map((image) => [image.reused, image.reused_how])).toEqual(
      urls.map(() => [false, null]),
    );
    expect((await webhookOf(first.id)).reused_images).toBe(0);
    const before = await Promise.all(first.images.map((image) => bytesAt(image.output_url)));

    fixtures.resetCounts();
    const [encoded, revalidated] = [await encodes(service.http), await reusedBy('revalidated')];
    const second = await imports.run(ALICE, urls);

    expect(second.status).toMatchObject({ status: 'completed', processed_images: 3, reused_images: 3 });
    expect(second.images.map((image) => [image.status, image.reused, image.reused_how])).toEqual(
      urls.map(() => ['done', true, 'revalidated']),
    );
    for (const url of urls)
      expect(fixtures.counts(url)).toEqual({ requests: 1, conditional: 1, notModified: 1, bodyBytes: 0 });
    expect(await encodes(service.http)).toBe(encoded);
    expect(await reusedBy('revalidated')).toBe(revalidated + 3);
    expect(second.images.map((image) => image.output_url)).toEqual(
      first.images.map((image) => image.output_url),
    );
    for (const [index, image] of second.images.entries()) {
      expect(image.output_bytes).toBe(first.images[index].output_bytes);
      expect(image.input_bytes).toBe(0); // nothing was downloaded
      expect((await bytesAt(image.output_url)).equals(before[index])).toBe(true);
    }
    expect((await webhookOf(second.id)).reused_images).toBe(3);
    const { body: list } = await service.http
      .get('/requests')
      .set('Authorization', `Bearer ${ALICE}`)
      .expect(200);
    expect(
      list.requests.find((request: { request_id: string }) => request.request_id === second.id),
    ).toMatchObject({
      reused_images: 3,
    });
  });

  it('a changed source (new ETag, new bytes) is made again and its new output served; the others are reused', async () => {
    const [changed, kept] = urlsOf('changed', ['photo-2725x2225.jpg', 'cmyk.jpg']);
    const first = await imports.run(ALICE, [changed, kept]);
    const oldBytes = await bytesAt(first.images[0].output_url);

    fixtures.replaceImage(changed, 'exif-orientation-6.jpg');
    fixtures.resetCounts();
    const encoded = await encodes(service.http);
    const second = await imports.run(ALICE, [changed, kept]);

    expect(second.status.reused_images).toBe(1);
    expect(second.images.map((image) => [image.reused, image.reused_how])).toEqual([
      [false, null],
      [true, 'revalidated'],
    ]);
    const changedCounts = fixtures.counts(changed);
    expect(changedCounts).toMatchObject({ requests: 1, conditional: 1, notModified: 0 });
    expect(changedCounts.bodyBytes).toBeGreaterThan(0);
    expect(await encodes(service.http)).toBe(encoded + 1);
    expect(second.images[0].output_url).not.toBe(first.images[0].output_url);
    const newBytes = await bytesAt(second.images[0].output_url);
    expect(newBytes.equals(oldBytes)).toBe(false);
    // The old output stays the first request's.
    expect((await bytesAt(first.images[0].output_url)).equals(oldBytes)).toBe(true);

    // The next import revalidates against the new version, and reuses the new output.
    const third = await imports.run(ALICE, [changed]);
    expect(third.images[0]).toMatchObject({
      reused_how: 'revalidated',
      output_url: second.images[0].output_url,
    });
  });

  it('a source without validators is downloaded again and matched by its bytes: content_match, no encode', async () => {
    const [url] = urlsOf('no-validators', ['photo.webp']);
    fixtures.withoutValidators(url);
    const first = await imports.run(ALICE, [url]);
    fixtures.resetCounts();
    const [encoded, matched] = [await encodes(service.http), await reusedBy('content_match')];

    const second = await imports.run(ALICE, [url]);

    expect(second.status.reused_images).toBe(1);
    expect(second.images[0]).toMatchObject({
      reused: true,
      reused_how: 'content_match',
      output_url: first.images[0].output_url,
      input_bytes: first.images[0].input_bytes,
    });
    const counts = fixtures.counts(url);
    expect(counts).toMatchObject({ requests: 1, conditional: 0, notModified: 0 });
    expect(counts.bodyBytes).toBe(first.images[0].input_bytes);
    expect(await encodes(service.http)).toBe(encoded);
    expect(await reusedBy('content_match')).toBe(matched + 1);
  });

  it('never across owners: another key’s import of the same URLs is made for it, with no conditional request', async () => {
    const urls = urlsOf('owners', ['photo-2725x2225.jpg', 'cmyk.jpg']);
    const alices = await imports.run(ALICE, urls);
    fixtures.resetCounts();
    const encoded = await encodes(service.http);

    const bobs = await imports.run(BOB, urls);

    await expectMadeAgain(bobs, alices, urls, encoded);
    // Bob's second import reuses Bob's outputs.
    const again = await imports.run(BOB, urls);
    expect(again.images.map((image) => image.output_url)).toEqual(
      bobs.images.map((image) => image.output_url),
    );
  });

  it('refresh=true makes every image again (no conditional request); later imports reuse the new outputs', async () => {
    const urls = urlsOf('refresh', ['photo-2725x2225.jpg', 'cmyk.jpg']);
    const first = await imports.run(ALICE, urls);
    fixtures.resetCounts();
    const encoded = await encodes(service.http);

    const refreshed = await imports.run(ALICE, urls, { refresh: 'true' });

    expect(refreshed.status.output.refresh).toBe(true);
    await expectMadeAgain(refreshed, first, urls, encoded);

    const after = await imports.run(ALICE, urls);
    expect(after.images.map((image) => [image.reused_how, image.output_url])).toEqual(
      refreshed.images.map((image) => ['revalidated', image.output_url]),
    );
  });

  it('renditions are reused too, and only under the same output options', async () => {
    const [url] = urlsOf('renditions', ['photo-2725x2225.jpg']);
    const fields = { renditions: '800w,thumb-400', format: 'webp' };
    const first = await imports.run(ALICE, [url], fields);
    const firstBytes = await Promise.all(
      first.images[0].renditions.map((r: { url: string }) => bytesAt(r.url)),
    );
    const encoded = await encodes(service.http);

    const second = await imports.run(ALICE, [url], fields);

    expect(second.images[0]).toMatchObject({ reused: true, reused_how: 'revalidated' });
    expect(second.images[0].renditions).toEqual(first.images[0].renditions);
    for (const [index, rendition] of second.images[0].renditions.entries())
      expect((await bytesAt(rendition.url)).equals(firstBytes[index])).toBe(true);
    expect(await encodes(service.http)).toBe(encoded);

    // Other output options: another output, made for them (no conditional request from the renditions' row).
    fixtures.resetCounts();
    const plain = await imports.run(ALICE, [url], { format: 'webp' });
    expect(plain.images[0]).toMatchObject({ reused: false });
    expect(fixtures.counts(url)).toMatchObject({ requests: 1, conditional: 0 });
  });

  it('a reuse whose output lost its last image meanwhile is not recorded: the image is made again from a plain GET', async () => {
    const [url] = urlsOf('gone', ['cmyk.jpg']);
    const first = await imports.run(ALICE, [url]);
    fixtures.resetCounts();
    // Hold the conditional GET, then take the output's last reference as a deletion would.
    const release = fixtures.holdImages();
    const second = imports.run(ALICE, [url]);
    await eventually(
      () => fixtures.imageRequests.filter((request) => request.includes('tag=gone')).length === 2,
    );
    const db = new (loadSqliteDriver())(join(service.dataDir, 'pixelmill.sqlite'));
    try {
      db.prepare('UPDATE outputs SET refs = 0 WHERE output_key = ?').run(
        first.images[0].output_url.split('/files/')[1],
      );
    } finally {
      db.close();
    }
    release();
    const { images, status } = await second;

    expect(status).toMatchObject({ status: 'completed', reused_images: 0 });
    expect(images[0]).toMatchObject({ status: 'done', reused: false });
    expect(images[0].output_url).not.toBe(first.images[0].output_url);
    expect(fixtures.counts(url)).toMatchObject({ requests: 2, conditional: 1, notModified: 1 });
    expect((await bytesAt(images[0].output_url)).length).toBe(images[0].output_bytes);
  });
});

describe('re-imports: AUTO_QUALITY_TARGET shapes quality=auto outputs', () => {
  const fixtures = new FixtureServer();
  let dataDir: string;
  let service: TestApp | undefined;

  beforeAll(async () => {
    await fixtures.start();
    dataDir = await mkdtemp(join(tmpdir(), 'pixelmill-reimports-'));
  });
  afterAll(async () => {
    await service?.close();
    await fixtures.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('a process started with another target makes quality=auto images again; a fixed quality is still reused', async () => {
    const auto = fixtures.imageUrl('exif-orientation-6.jpg', 'tag=target-auto');
    const fixed = fixtures.imageUrl('cmyk.jpg', 'tag=target-fixed');
    const importBoth = async (target: string) => {
      service = await startTestApp({ API_KEYS: `alice:${ALICE}`, AUTO_QUALITY_TARGET: target }, { dataDir });
      const imports = new Importer(service.http);
      const made = [
        await imports.run(ALICE, [auto], { quality: 'auto', max_width: '400' }),
        await imports.run(ALICE, [fixed], { quality: '80', max_width: '400' }),
      ];
      await service.close();
      service = undefined;
      return made;
    };
    const [autoBefore] = await importBoth('0.95');
    fixtures.resetCounts();

    const [autoAfter, fixedAfter] = await importBoth('0.995');

    expect(autoAfter.images[0]).toMatchObject({ status: 'done', reused: false });
    expect(fixtures.counts(auto)).toMatchObject({ requests: 1, conditional: 0 });
    expect(autoAfter.images[0].output_url).not.toBe(autoBefore.images[0].output_url);
    expect(autoAfter.images[0].output_quality).toBeGreaterThan(autoBefore.images[0].output_quality);
    expect(fixedAfter.images[0]).toMatchObject({ reused: true, reused_how: 'revalidated' });
  });
});

describe('re-imports: an image taken again that reuses an output', () => {
  const fixtures = new FixtureServer();
  let service: TestApp;

  beforeAll(async () => {
    await fixtures.start();
    service = await startTestApp({ API_KEYS: `alice:${ALICE}`, LEASE_MS: '1000', QUEUE_POLL_MS: '50' });
  });
  afterAll(async () => {
    await service?.close();
    await fixtures.stop();
  });

  it('leaves no output of the attempt that made one and was not recorded', async () => {
    const imports = new Importer(service.http);
    const [made, same] = ['first', 'second'].map((tag) => fixtures.imageUrl('photo.webp', `tag=${tag}`));
    // The first attempt makes and stores its output, then its recording fails (the database down, or
    // the process killed): its lease runs out and the image is taken again.
    let stored!: () => void;
    const storedBeforeRecording = new Promise<void>((done) => (stored = done));
    let fail!: () => void;
    const failing = new Promise<void>((done) => (fail = done));
    vi.spyOn(service.app.get(OutcomeRecorder), 'record').mockImplementationOnce(async () => {
      stored();
      await failing;
      throw new Error('the database is down');
    });
    const retried = imports.run(ALICE, [made]);
    await storedBeforeRecording;
    // Meanwhile another import of the same bytes is recorded: the second attempt reuses its output.
    const other = await imports.run(ALICE, [same]);
    fail();

    const done = await retried;

    expect(done.images[0]).toMatchObject({ status: 'done', reused_how: 'content_match' });
    expect(done.images[0].output_url).toBe(other.images[0].output_url);
    expect(await storedFiles(service.config.storage.dir)).toEqual([
      new URL(other.images[0].output_url).pathname.replace('/files/', ''),
    ]);
  });
});

describe('re-imports: a source behind a redirect', () => {
  const fixtures = new FixtureServer();
  let service: TestApp;

  beforeAll(async () => {
    await fixtures.start();
    service = await startTestApp({ API_KEYS: `alice:${ALICE}`, DOWNLOAD_RETRIES: '0' });
  });
  afterAll(async () => {
    await service?.close();
    await fixtures.stop();
  });

  it('whose redirect now leads to another file is made from that file, not revalidated with the old one’s date', async () => {
    // Files with a Last-Modified and no ETag, as many origins serve them; the newer one first.
    const files = {
      '/new.jpg': { name: 'cmyk.jpg', modified: 'Tue, 01 Sep 2026 00:00:00 GMT' },
      '/old.jpg': { name: 'exif-orientation-6.jpg', modified: 'Fri, 01 May 2026 00:00:00 GMT' },
    };
    let target: keyof typeof files = '/new.jpg';
    const conditional: string[] = [];
    const origin = createServer((req, res) => {
      if (req.url === '/product/main.jpg') return void res.writeHead(302, { Location: target }).end();
      const file = files[req.url as keyof typeof files];
      const since = req.headers['if-modified-since'];
      if (since) conditional.push(req.url!);
      if (since && Date.parse(file.modified) <= Date.parse(since)) return void res.writeHead(304).end();
      void readFile(join(FIXTURES_DIR, file.name)).then((body) =>
        res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Last-Modified': file.modified }).end(body),
      );
    });
    const { base } = await listenOnLoopback(origin);
    try {
      const imports = new Importer(service.http);
      const url = `${base}/product/main.jpg`;
      const first = await imports.run(ALICE, [url]);
      expect(first.images[0]).toMatchObject({ status: 'done', reused: false });

      target = '/old.jpg'; // the product's main image is now another, older file
      const second = await imports.run(ALICE, [url]);

      expect(second.images[0]).toMatchObject({ status: 'done', reused: false });
      expect(second.images[0].output_url).not.toBe(first.images[0].output_url);
      expect(conditional).not.toContain('/old.jpg');
    } finally {
      await closeServer(origin);
    }
  });
});
