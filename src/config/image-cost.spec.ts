import { imageCost, isCostly, MAX_IMAGE_COST } from './image-cost.js';

/** A rendition 400 px wide in the given format and quality. */
const rendition = (format: 'jpeg' | 'webp' | 'avif', quality: number | 'auto') => ({
  spec: `${format}-${quality}`,
  format,
  quality,
  width: 400,
  height: null,
  fit: 'inside' as const,
});

describe('imageCost', () => {
  it.each([
    ['jpeg', 50, 1],
    ['jpeg', 90, 1],
    ['webp', 75, 2],
    ['jpeg', 'auto', 8],
    ['webp', 'auto', 16],
    ['avif', 50, 16],
    ['avif', 'auto', MAX_IMAGE_COST],
  ] as const)('%s at quality %s costs %i', (format, quality, cost) => {
    expect(imageCost({ format, quality })).toBe(cost);
  });

  it('costs renditions their sum, within MAX_IMAGE_COST', () => {
    const jpegAndWebp = [rendition('jpeg', 50), rendition('jpeg', 50), rendition('webp', 80)];
    expect(imageCost({ format: 'avif', quality: 50, renditions: jpegAndWebp })).toBe(4);
    expect(imageCost({ format: 'jpeg', quality: 50, renditions: [rendition('avif', 'auto')] })).toBe(
      MAX_IMAGE_COST,
    );
  });

  it('puts an image in the costly lane when one of its outputs is AVIF or auto, not for many cheap renditions', () => {
    const eightJpegs = Array.from({ length: 8 }, () => rendition('jpeg', 50));
    expect(imageCost({ format: 'jpeg', quality: 50, renditions: eightJpegs })).toBe(8);
    expect(isCostly({ format: 'jpeg', quality: 50, renditions: eightJpegs })).toBe(false);
    expect(
      isCostly({ format: 'jpeg', quality: 50, renditions: [rendition('jpeg', 50), rendition('avif', 50)] }),
    ).toBe(true);
    expect(isCostly({ format: 'jpeg', quality: 'auto' })).toBe(true);
    expect(isCostly({ format: 'webp', quality: 80 })).toBe(false);
  });
});
