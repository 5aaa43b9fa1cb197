import type { OutputOptions } from '../config/output-options.js';
import type { ImageHeader } from './image-pipeline.js';
import { workingMemoryOf } from './working-memory.js';

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
