import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { loadConfig } from '../config/app-config.js';
import type { OutputOptions } from '../config/output-options.js';
import { ImagePipeline } from '../images/image-pipeline.js';
import { renderPreview } from './preview-image.js';

const FIXTURES = resolve(import.meta.dirname, '../../test/fixtures/images');
const SEED_OUTPUT: OutputOptions = { format: 'jpeg', quality: 50, maxWidth: null, maxHeight: null };
const config = loadConfig({ DATA_DIR: '/tmp/pixelmill-unused' });
const outputOf = (name: string, options: Partial<OutputOptions> = {}) =>
  new ImagePipeline(config).encode(readFileSync(join(FIXTURES, name)), { ...SEED_OUTPUT, ...options });
const sizeOf = async (image: Buffer) => {
  const { format, width, height } = await sharp(image).metadata();
  return { format, width, height };
};

describe('renderPreview: a stored output made small', () => {
  it.each([
    [320, { format: 'webp', width: 320, height: 261 }],
    [64, { format: 'webp', width: 64, height: 52 }],
  ] as const)('the 6 MP photo at size %i: a WebP, that long on its longer side', async (size, expected) => {
    const output = await outputOf('photo-2725x2225.jpg');
    expect(await sizeOf(await renderPreview(output.data, size, config.limits.maxImagePixels))).toEqual(
      expected,
    );
  });

  it('keeps the output upright (an EXIF-rotated input is upright in its output already)', async () => {
    const output = await outputOf('exif-orientation-6.jpg');
    const preview = await sizeOf(await renderPreview(output.data, 320, config.limits.maxImagePixels));
    expect(preview.width! > preview.height!).toBe(output.width > output.height);
    expect(Math.max(preview.width!, preview.height!)).toBe(320);
  });

  it.each(['webp', 'avif'] as const)('reads a %s output too', async (format) => {
    const output = await outputOf('exif-orientation-8.jpg', { format, maxWidth: 200 });
    expect(await sizeOf(await renderPreview(output.data, 320, config.limits.maxImagePixels))).toMatchObject({
      format: 'webp',
      width: output.width,
    });
  });

  it('never enlarges: an output bounded to 100 px wide gives a 100 px preview', async () => {
    const output = await outputOf('photo-2725x2225.jpg', { maxWidth: 100 });
    expect((await sizeOf(await renderPreview(output.data, 320, config.limits.maxImagePixels))).width).toBe(
      100,
    );
  });

  it('keeps MAX_IMAGE_PIXELS: an output over the limit is refused', async () => {
    const output = await outputOf('photo-2725x2225.jpg');
    await expect(renderPreview(output.data, 320, 1_000_000)).rejects.toThrow(/pixel limit/);
  });
});
