import { imageCost, MAX_IMAGE_COST } from './image-cost.js';

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
});
