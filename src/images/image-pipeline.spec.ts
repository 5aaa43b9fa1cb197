import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config/app-config.js';
import type { OutputOptions } from '../config/output-options.js';
import { ImageError } from './image-error.js';
import { AUTO_QUALITIES } from './image-encoding.js';
import { ImagePipeline } from './image-pipeline.js';
import { maxEncodesOf } from './quality-search.js';

const FIXTURES = resolve(import.meta.dirname, '../../test/fixtures/images');
const SEED_OUTPUT: OutputOptions = { format: 'jpeg', quality: 50, maxWidth: null, maxHeight: null };
const fixture = (name: string) => readFileSync(join(FIXTURES, name));

function pipeline(env: Record<string, string> = {}) {
  return new ImagePipeline(loadConfig({ DATA_DIR: '/tmp/pixelmill-unused', ...env }));
}

async function failureOf(input: Buffer, env: Record<string, string> = {}): Promise<ImageError> {
  try {
    await pipeline(env).encode(input, SEED_OUTPUT);
  } catch (error) {
    expect(error).toBeInstanceOf(ImageError);
    return error as ImageError;
  }
  throw new Error('expected the image to fail');
}

describe('ImagePipeline on hostile bytes', () => {
  it('uses MAX_IMAGE_PIXELS, not sharp\u2019s own default: a 6 MP photo fails under a 5 MP limit and passes under 7 MP', async () => {
    const photo = fixture('photo-2725x2225.jpg'); // 6,063,125 pixels, well under sharp's default limit
    expect(await failureOf(photo, { MAX_IMAGE_PIXELS: '5000000' })).toMatchObject({
      code: 'too_many_pixels',
    });
    const jpeg = await pipeline({ MAX_IMAGE_PIXELS: '7000000' }).encode(photo, SEED_OUTPUT);
    expect({ width: jpeg.width, height: jpeg.height }).toEqual({ width: 2725, height: 2225 });
  });

  it.each(['bomb-20000x14000.jpg', 'bomb-65536x65536.png'])(
    '%s: too_many_pixels from the header, no pixel decoded',
    async (name) => {
      const failure = await failureOf(fixture(name));
      expect(failure).toMatchObject({
        code: 'too_many_pixels',
        message: 'image has more pixels than MAX_IMAGE_PIXELS allows',
      });
    },
  );

  it.each([
    ['truncated.jpg', fixture('truncated.jpg')],
    ['truncated.png', fixture('truncated.png')],
    ['corrupt-header.jpg', fixture('corrupt-header.jpg')],
    ['a photo cut in half', fixture('photo-2725x2225.jpg').subarray(0, 400_000)],
    ['a photo missing its last bytes', fixture('photo-2725x2225.jpg').subarray(0, 829_000)],
    ['a PNG cut in half', fixture('alpha.png').subarray(0, 130_000)],
  ])('%s: decode_error, not a grey-padded JPEG (failOn)', async (_name, bytes) => {
    const failure = await failureOf(bytes);
    expect(failure.code).toBe('decode_error');
    expect(failure.message).toMatch(/^the image could not be decoded: /);
    expect(failure.message).not.toContain('\n');
  });

  it.each([
    ['HTML', fixture('not-an-image.jpg')],
    ['an empty body', fixture('empty.jpg')],
    ['JSON', Buffer.from('{"error":"rate limited"}')],
    ['random bytes', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251))],
  ])('%s: not_an_image', async (_name, bytes) => {
    expect(await failureOf(bytes)).toMatchObject({ code: 'not_an_image' });
  });
});

describe('ImagePipeline output options', () => {
  const photo = fixture('photo-2725x2225.jpg');

  it.each([
    ['jpeg', 'jpeg'],
    ['webp', 'webp'],
    ['avif', 'heif'], // sharp reads AVIF through libheif
  ] as const)('writes %s', async (format, decodedAs) => {
    const small = fixture('exif-orientation-6.jpg');
    const output = await pipeline().encode(small, { ...SEED_OUTPUT, format });
    expect(output).toMatchObject({ format, quality: 50, score: null });
    const metadata = await sharp(output.data).metadata();
    expect(metadata.format).toBe(decodedAs);
    if (format === 'avif') expect(metadata.compression).toBe('av1');
    expect({ width: metadata.width, height: metadata.height }).toEqual({
      width: output.width,
      height: output.height,
    });
  });

  it('fits inside max_width × max_height, keeping the aspect ratio, never enlarging', async () => {
    const wide = await pipeline().encode(photo, { ...SEED_OUTPUT, maxWidth: 800 });
    expect(wide.width).toBe(800);
    expect(wide.height).toBe(Math.round((800 * 2225) / 2725));
    const boxed = await pipeline().encode(photo, { ...SEED_OUTPUT, maxWidth: 800, maxHeight: 400 });
    expect(boxed.height).toBe(400);
    expect(boxed.width).toBe(Math.round((400 * 2725) / 2225));
    const small = await pipeline().encode(fixture('cmyk.jpg'), { ...SEED_OUTPUT, maxWidth: 8000 });
    expect({ width: small.width, height: small.height }).toEqual({ width: 500, height: 333 });
  });

  it.each(['photo-2725x2225.jpg', 'photo-3840x2160-gainmap.jpg'])(
    'quality=auto on %s: reaches AUTO_QUALITY_TARGET (measured again), smaller than q50, from a search bounded to 5 encodes',
    async (name) => {
      const source = fixture(name);
      const imagePipeline = pipeline();
      const q50 = await imagePipeline.encode(source, SEED_OUTPUT);
      const auto = await imagePipeline.encode(source, { ...SEED_OUTPUT, quality: 'auto' });
      const target = loadConfig({ DATA_DIR: '/tmp/pixelmill-unused' }).output.autoQualityTarget;
      expect(auto.score).toBeGreaterThanOrEqual(target);
      expect(await imagePipeline.score(source, auto.data, SEED_OUTPUT)).toBeCloseTo(auto.score!, 10);
      expect(auto.data.length).toBeLessThan(q50.data.length);
      expect(auto.quality).toBeGreaterThanOrEqual(AUTO_QUALITIES.jpeg.min);
      expect(maxEncodesOf({ ...AUTO_QUALITIES.jpeg, target })).toBe(5);
    },
  );
});
