import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { type AppConfig, loadConfig } from '../config/app-config.js';
import { outputKeyOf, thumbnailKeyOf } from '../images/output-key.js';
import { Metrics } from '../metrics/metrics.js';
import { LocalStorage } from '../storage/local-storage.js';
import { PreviewMaker } from './preview-maker.js';
import type { PreviewSources } from './preview-sources.js';

const OUTPUT = readFileSync(
  resolve(import.meta.dirname, '../../test/fixtures/images/exif-orientation-8.jpg'),
);
const imageId = (n: number) => `0c1d2e3f-4a5b-4c6d-8e7f-${String(n).padStart(12, '0')}`;

/** The image rows, as PreviewSources reads them: the output key of each done image; `lookups` counts the look-ups. */
class FakeSources {
  readonly done = new Map<string, string>();
  lookups = 0;
  /** Called before each look-up answers (e.g. to delete the row as a deletion would). */
  beforeAnswer?: (imageId: string, lookup: number) => void;

  async outputKeyOf(id: string): Promise<string | undefined> {
    this.lookups++;
    await new Promise((next) => setTimeout(next, 5));
    this.beforeAnswer?.(id, this.lookups);
    return this.done.get(id);
  }
}

/** Local storage whose reads take a while, counting how many are under way at once (each starts making a preview). */
class CountingStorage extends LocalStorage {
  reading = 0;
  maxReading = 0;

  override async read(key: string): Promise<Buffer | undefined> {
    this.reading++;
    this.maxReading = Math.max(this.maxReading, this.reading);
    try {
      await new Promise((next) => setTimeout(next, 20));
      return await super.read(key);
    } finally {
      this.reading--;
    }
  }
}

describe('PreviewMaker', () => {
  let dir: string;
  let storage: CountingStorage;
  let sources: FakeSources;
  let metrics: Metrics;
  let config: AppConfig;

  const maker = () => new PreviewMaker(storage, sources as unknown as PreviewSources, config, metrics);
  const made = async () =>
    (await metrics.registry.getSingleMetric('pixelmill_previews_made_total')!.get()).values[0].value;
  const stored = async (id: string) => (await storage.open(thumbnailKeyOf(id)))?.body.toArray();
  /** A done image with its output stored. */
  async function doneImage(n: number): Promise<string> {
    const id = imageId(n);
    await storage.put(outputKeyOf(id), OUTPUT);
    sources.done.set(id, outputKeyOf(id));
    return id;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pixelmill-previews-'));
    config = loadConfig({ DATA_DIR: dir, PREVIEW_CONCURRENCY: '2', THUMBNAIL_SIZE: '100' });
    storage = new CountingStorage(config);
    await storage.onModuleInit();
    sources = new FakeSources();
    metrics = new Metrics();
  });

  afterEach(async () => {
    await storage.onApplicationShutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it('makes a done image\u2019s preview on the first request, stores it, and serves it from storage after', async () => {
    const id = await doneImage(1);
    const previews = maker();
    expect(await stored(id)).toBeUndefined();

    const first = await previews.open(id);
    const bytes = Buffer.concat(await first!.body.toArray());
    expect(first).toMatchObject({ contentType: 'image/webp', contentLength: bytes.length });
    expect(await sharp(bytes).metadata()).toMatchObject({ format: 'webp', width: 100, height: 75 });
    expect(Buffer.concat((await stored(id))!)).toEqual(bytes);
    expect(await made()).toBe(1);

    const second = await previews.open(id);
    expect(Buffer.concat(await second!.body.toArray())).toEqual(bytes);
    expect(await made()).toBe(1);
    expect(sources.lookups).toBe(2); // the first request's look-up and re-check; none for the second
  });

  it('makes a preview once for requests that arrive while it is being made', async () => {
    const id = await doneImage(1);
    const previews = maker();
    const answers = await Promise.all(Array.from({ length: 8 }, () => previews.open(id)));
    expect(answers.every((answer) => answer?.contentType === 'image/webp')).toBe(true);
    expect(await made()).toBe(1);
    expect(sources.lookups).toBe(2);
  });

  it('makes at most PREVIEW_CONCURRENCY previews at once; the others wait their turn', async () => {
    const ids = await Promise.all([1, 2, 3, 4, 5, 6].map(doneImage));
    const previews = maker();
    const answers = await Promise.all(ids.map((id) => previews.open(id)));
    expect(answers.every((answer) => answer?.contentType === 'image/webp')).toBe(true);
    expect(await made()).toBe(6);
    expect(storage.maxReading).toBe(2);
  });

  it('has none for an image that is not done (failed, unfinished, unknown): nothing stored', async () => {
    const id = imageId(1);
    await storage.put(outputKeyOf(id), OUTPUT); // a file, but no done row names it
    expect(await maker().open(id)).toBeUndefined();
    expect(await stored(id)).toBeUndefined();
    expect(await made()).toBe(0);
  });

  it('removes the preview it stored when the image was deleted meanwhile', async () => {
    const id = await doneImage(1);
    // The row goes after the first look-up, as a request deletion committing while the preview is made.
    sources.beforeAnswer = (deleted, lookup) => {
      if (lookup === 1) setImmediate(() => sources.done.delete(deleted));
    };
    expect(await maker().open(id)).toBeUndefined();
    expect(await stored(id)).toBeUndefined();
    expect(await made()).toBe(0);
  });

  it('has none when the output is missing from storage', async () => {
    const id = imageId(1);
    sources.done.set(id, outputKeyOf(id));
    expect(await maker().open(id)).toBeUndefined();
    expect(await stored(id)).toBeUndefined();
  });
});
