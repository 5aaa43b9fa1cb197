import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp, { type JpegOptions } from 'sharp';
import { loadConfig } from '../config/app-config.js';
import { parseHeader } from './image-header.js';
import { ImagePipeline } from './image-pipeline.js';

const FIXTURES = resolve(import.meta.dirname, '../../test/fixtures/images');
const fixture = (name: string) => readFileSync(join(FIXTURES, name));
const images = readdirSync(FIXTURES).filter((name) => !name.endsWith('.md'));
const pipeline = () => new ImagePipeline(loadConfig({ DATA_DIR: '/tmp/pixelmill-unused' }));

/** A JPEG from sharp with the given layout. */
const jpeg = (options: JpegOptions, channels: 1 | 3 = 3) =>
  sharp({ create: { width: 37, height: 21, channels: 3, background: '#c04020' } })
    .toColourspace(channels === 1 ? 'b-w' : 'srgb')
    .jpeg(options)
    .toBuffer();

describe('parseHeader', () => {
  it.each(images)('%s: the facts sharp reads, where it reads a JPEG or a PNG header itself', async (name) => {
    const bytes = fixture(name);
    const parsed = parseHeader(bytes);
    const sharpHeader = await sharpFacts(bytes);
    if (!parsed) return expect(['jpeg', 'png']).not.toContain(sharpHeader?.format);
    if (!sharpHeader) throw new Error(`${name}: a header parsed where sharp reads none`);
    expect(parsed).toMatchObject({
      width: sharpHeader.width,
      height: sharpHeader.height,
      bytesPerSample: sharpHeader.bytesPerSample,
      format: sharpHeader.format,
      interlaced: sharpHeader.interlaced,
    });
    // A PNG's alpha may come from a tRNS chunk, which is not read: the bound is the larger one.
    if (parsed.format === 'jpeg') expect(parsed.channels).toBe(sharpHeader.channels);
    else expect(parsed.channels).toBeGreaterThanOrEqual(sharpHeader.channels);
  });

  it('reads the fixtures catalogs are made of (JPEG, PNG) and leaves the others to sharp', () => {
    expect(parseHeader(fixture('photo-2725x2225.jpg'))).toMatchObject({ width: 2725, height: 2225 });
    expect(parseHeader(fixture('cmyk.jpg'))).toMatchObject({ channels: 4 });
    expect(parseHeader(fixture('bomb-65536x65536.png'))).toMatchObject({ width: 65536, height: 65536 });
    for (const other of ['photo.webp', 'photo.avif', 'animated.gif', 'empty.jpg', 'not-an-image.jpg'])
      expect(parseHeader(fixture(other))).toBeUndefined();
  });

  it.each([
    ['baseline', {}, false],
    ['progressive', { progressive: true }, true],
    ['mozjpeg (progressive by default)', { mozjpeg: true }, true],
  ])('a %s JPEG: its layout, as sharp reads it', async (_name, options, interlaced) => {
    const bytes = await jpeg(options);
    expect(parseHeader(bytes)).toEqual({ ...(await pipeline().header(bytes)), interlaced });
  });

  it.each([
    ['an interlaced PNG', { progressive: true }, {}],
    ['a 16-bit PNG', {}, { depth: 'ushort' }],
    ['a palette PNG', { palette: true }, {}],
  ] as const)('%s: its layout, as sharp reads it', async (_name, options, cast) => {
    const made = sharp({ create: { width: 19, height: 7, channels: 4, background: '#10203080' } });
    const bytes = await ('depth' in cast ? made.toColourspace('rgb16') : made).png(options).toBuffer();
    const facts = await sharpFacts(bytes);
    expect(parseHeader(bytes)).toMatchObject({ ...facts, channels: 4 });
  });

  it('a greyscale JPEG has one band', async () => {
    const bytes = await jpeg({}, 1);
    expect(parseHeader(bytes)).toEqual(await pipeline().header(bytes));
  });

  it('never throws nor reads past the bytes, cut anywhere: a header, or sharp decides', () => {
    for (const name of ['photo-2725x2225.jpg', 'exif-orientation-6.jpg', 'alpha.png', 'corrupt-header.jpg']) {
      const bytes = fixture(name);
      const whole = parseHeader(bytes);
      for (let end = 0; end < Math.min(bytes.length, 40_000); end++) {
        const header = parseHeader(bytes.subarray(0, end));
        if (header) expect(header).toEqual(whole);
      }
    }
  });

  it('gives up on what a frame header cannot follow: a scan first, a segment length under 2, a zero height', () => {
    const soi = [0xff, 0xd8];
    const frame = (height: number) => [0xff, 0xc0, 0, 11, 8, 0, height, 0, 9, 3, 1, 0x22, 0];
    expect(parseHeader(Buffer.from([...soi, ...frame(5)]))).toMatchObject({ width: 9, height: 5 });
    expect(parseHeader(Buffer.from([...soi, 0xff, 0xff, 0xff, ...frame(5)]))).toMatchObject({ height: 5 });
    expect(parseHeader(Buffer.from([...soi, 0xff, 0xda, 0, 8, ...frame(5)]))).toBeUndefined();
    expect(parseHeader(Buffer.from([...soi, 0xff, 0xe0, 0, 1, ...frame(5)]))).toBeUndefined();
    expect(parseHeader(Buffer.from([...soi, ...frame(0)]))).toBeUndefined();
    expect(parseHeader(Buffer.from([...soi, 0x00, ...frame(5)]))).toBeUndefined();
  });
});

/** What sharp reads of a header, whatever its size (the pipeline's own read refuses too many pixels). */
async function sharpFacts(bytes: Buffer) {
  if (bytes.length === 0) return undefined;
  const metadata = await sharp(bytes, { limitInputPixels: false })
    .metadata()
    .catch(() => undefined);
  return (
    metadata && {
      width: metadata.width,
      height: metadata.height,
      channels: metadata.channels,
      bytesPerSample: metadata.depth === 'ushort' ? 2 : 1,
      format: metadata.format,
      interlaced: metadata.isProgressive === true,
    }
  );
}
