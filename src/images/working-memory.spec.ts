import type { OutputOptions } from '../config/output-options.js';
import type { ImageHeader } from './image-pipeline.js';
import { renditionsMemoryOf, workingMemoryOf } from './working-memory.js';

const MiB = 1024 * 1024;
const header = (overrides: Partial<ImageHeader> = {}): ImageHeader => ({
  width: 10_000,
  height: 10_000,
  channels: 3,
  bytesPerSample: 1,
  format: 'png',
  interlaced: false,
  ...overrides,
});
const options = (overrides: Partial<OutputOptions> = {}): OutputOptions => ({
  format: 'jpeg',
  quality: 50,
  maxWidth: null,
  maxHeight: null,
  ...overrides,
});

describe('workingMemoryOf', () => {
  it('counts the encoder\u2019s bytes per output pixel: a 100 MP JPEG about 700 MB, as measured', () => {
    expect(workingMemoryOf(header(), options()) / MiB).toBeCloseTo((100e6 * 7) / MiB + 16, 0);
  });

  it.each([
    ['webp', 'jpeg'],
    ['avif', 'webp'],
  ] as const)('costs more as %s than as %s', (costly, cheaper) => {
    expect(workingMemoryOf(header(), options({ format: costly }))).toBeGreaterThan(
      workingMemoryOf(header(), options({ format: cheaper })),
    );
  });

  it('counts quality=auto\u2019s extra copy', () => {
    expect(workingMemoryOf(header(), options({ quality: 'auto' }))).toBe(
      workingMemoryOf(header(), options()) + 100e6 * 3,
    );
  });

  it('counts the output\u2019s pixels: bounds to a quarter of the sides cost a sixteenth of the encoder', () => {
    const bounded = workingMemoryOf(header(), options({ maxWidth: 2_500, maxHeight: 2_500 }));
    expect(bounded).toBe(Math.ceil((100e6 / 16) * 7 + 16 * MiB));
  });

  it('counts a whole-image decode for WebP, HEIF, GIF and progressive or interlaced inputs only', () => {
    const plain = workingMemoryOf(header({ format: 'jpeg' }), options());
    const extra = 100e6 * 3 * 2;
    expect(workingMemoryOf(header({ format: 'jpeg', interlaced: true }), options())).toBe(plain + extra);
    expect(workingMemoryOf(header({ format: 'webp' }), options())).toBe(plain + extra);
    expect(workingMemoryOf(header({ format: 'heif', channels: 4, bytesPerSample: 2 }), options())).toBe(
      plain + 100e6 * 4 * 2 * 2,
    );
  });
});

describe('renditionsMemoryOf', () => {
  const width = (pixels: number, format: 'jpeg' | 'webp' = 'jpeg') => ({
    spec: `${pixels}w`,
    format,
    quality: 50 as const,
    width: pixels,
    height: null,
    fit: 'inside' as const,
  });

  it('counts the prepared copy at the largest size, beside the costliest rendition’s encoder', () => {
    // 10,000² source: prepared at 5,000² (3 bytes a pixel), the 5,000w JPEG (7 a pixel) the costliest.
    const memory = renditionsMemoryOf(header(), [width(5_000), width(1_000, 'webp')]);
    expect(memory / MiB).toBeCloseTo((25e6 * 3 + 25e6 * 7) / MiB + 16, 0);
  });

  it('costs more than one output of the largest rendition alone: the prepared copy is held too', () => {
    const single = workingMemoryOf(header(), options({ maxWidth: 2_000 }));
    expect(renditionsMemoryOf(header(), [width(2_000), width(500)])).toBeGreaterThan(single);
  });

  it('counts a whole-image decode while the prepared copy is being filled', () => {
    const webp = header({ format: 'webp' });
    // decoded whole: 10,000² × 3 bands × 2; prepared at 100²: small beside it.
    expect(renditionsMemoryOf(webp, [width(100)]) / MiB).toBeCloseTo(
      (100e6 * 3 * 2 + 100 * 100 * 3) / MiB + 16,
      0,
    );
  });

  it('counts a cover that enlarges as its crop at the source\u2019s size and its bounds, never the whole enlarged', () => {
    const thumb = {
      spec: 'thumb',
      format: 'webp' as const,
      quality: 80,
      width: 400,
      height: 400,
      fit: 'cover' as const,
    };
    const line = header({ width: 1, height: 16_000 });
    // Enlarged whole it would be 400 × 6,400,000 pixels (gigabytes); cropped first, a few megabytes.
    expect(renditionsMemoryOf(line, [thumb]) / MiB).toBeLessThan(24);
  });
});
