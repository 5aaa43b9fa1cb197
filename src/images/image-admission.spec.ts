import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { noisyJpeg } from '../../test/helpers/costly-images.js';
import { loadConfig } from '../config/app-config.js';
import type { OutputOptions } from '../config/output-options.js';
import { ImageAdmission } from './image-admission.js';
import { ImagePipeline } from './image-pipeline.js';
import { RenditionPipeline } from './renditions/rendition-pipeline.js';
import { configureSharp } from './sharp-settings.js';

const FIXTURES = resolve(import.meta.dirname, '../../test/fixtures/images');
const AVIF: OutputOptions = { format: 'avif', quality: 50, maxWidth: null, maxHeight: null };
const JPEG: OutputOptions = { format: 'jpeg', quality: 50, maxWidth: null, maxHeight: null };

/**
 * Two slow AVIF encodes (noise, the costliest input) on two image threads, with real sharp; once
 * `costlyRunning` of them are being made, one cheap JPEG: the order in which the three finish.
 */
async function finishingOrder(env: Record<string, string>, costlyRunning: number): Promise<string[]> {
  const config = loadConfig({ DATA_DIR: '/tmp/pixelmill-unused', IMAGE_THREADS: '2', ...env });
  const pipeline = new ImagePipeline(config);
  const encodes = vi.spyOn(pipeline, 'encode');
  const admission = new ImageAdmission(pipeline, new RenditionPipeline(config), config);
  const noisy = await noisyJpeg(480, 480);
  const cheap = readFileSync(join(FIXTURES, 'exif-orientation-6.jpg'));
  const order: string[] = [];
  const made = (name: string, input: Buffer, options: OutputOptions) =>
    admission.encode(input, options).then(() => order.push(name));
  const costly = [made('avif 1', noisy, AVIF), made('avif 2', noisy, AVIF)];
  await vi.waitFor(() => expect(encodes).toHaveBeenCalledTimes(costlyRunning), { timeout: 10_000 });
  await Promise.all([...costly, made('jpeg', cheap, JPEG)]);
  return order;
}

describe('ImageAdmission: costly outputs and the image threads', () => {
  beforeAll(configureSharp);

  it.each([
    ['the default budget', {} as Record<string, string>],
    // The AVIF's estimate (26 MB) and the JPEG's (19 MB) exceed 40 MiB together; the AVIF is charged its
    // thread's share of the budget (20 MiB), so the JPEG fits beside it.
    ['a budget the AVIF nearly fills', { IMAGE_MEMORY_MB: '40' }],
  ])(
    'keeps a thread and memory for cheap outputs (%s): a JPEG queued behind two AVIF encodes is made first',
    async (_, env) => {
      // The two AVIF images finish in either order (whichever header was read first is made first).
      expect((await finishingOrder(env, 1))[0]).toBe('jpeg');
    },
    60_000,
  );

  it.each([
    ['the threads', {} as Record<string, string>, 2],
    // The second AVIF waits for memory, and the JPEG behind it (first come, first served).
    ['the memory', { IMAGE_MEMORY_MB: '40' }, 1],
  ])(
    'with COSTLY_IMAGE_THREADS = IMAGE_THREADS, the AVIF encodes may take all %s and the JPEG waits',
    async (_, env, running) => {
      const order = await finishingOrder({ COSTLY_IMAGE_THREADS: '2', ...env }, running);
      expect(order.indexOf('jpeg')).toBeGreaterThan(0);
    },
    60_000,
  );
});

describe('ImageAdmission: header reads', () => {
  beforeAll(configureSharp);

  it('reads an image’s header with sharp while every image thread is making another image', async () => {
    const config = loadConfig({ DATA_DIR: '/tmp/pixelmill-unused', IMAGE_THREADS: '1' });
    const pipeline = new ImagePipeline(config);
    const encodes = vi.spyOn(pipeline, 'encode');
    const headers = vi.spyOn(pipeline, 'header');
    const admission = new ImageAdmission(pipeline, new RenditionPipeline(config), config);
    const noisy = await noisyJpeg(480, 480);
    const slow = admission.encode(noisy, AVIF);
    await vi.waitFor(() => expect(encodes).toHaveBeenCalledTimes(1), { timeout: 10_000 });
    let slowDone = false;
    void slow.then(() => (slowDone = true));
    // A WebP: its header is sharp's to read (a JPEG's is read in JavaScript, on no thread at all).
    const cheap = await sharp(readFileSync(join(FIXTURES, 'exif-orientation-6.jpg')))
      .webp()
      .toBuffer();
    const next = admission.encode(cheap, JPEG);
    // The WebP's header is read by sharp (its promise settled) while the AVIF still holds the only image thread.
    await vi.waitFor(() => expect(headers).toHaveBeenCalledTimes(1), { timeout: 10_000 });
    await headers.mock.results[0].value;
    expect(slowDone).toBe(false);
    await Promise.all([slow, next]);
  }, 60_000);
});
