import { maxEncodesOf, type QualitySearch, searchQuality, type Trial } from './quality-search.js';

/** A fake encoder whose score grows with the quality, counting its encodes. */
function encoderScoring(score: (quality: number) => number) {
  const tried: number[] = [];
  const encode = async (quality: number): Promise<Trial> => {
    tried.push(quality);
    return { quality, data: Buffer.alloc(quality), score: score(quality) };
  };
  return { encode, tried };
}

const JPEG_RANGE = { min: 50, max: 94, step: 2 };
const linear = (quality: number) => 0.9 + quality / 1000; // 0.95 at q50 … 0.994 at q94

describe('searchQuality', () => {
  it('bounds a 50–94 search (step 2) to 5 encodes', () => {
    expect(maxEncodesOf({ ...JPEG_RANGE, target: 0.98 })).toBe(5);
    expect(maxEncodesOf({ min: 1, max: 100, step: 1, target: 0.98 })).toBe(7);
  });

  it.each([
    [0.95, 50],
    [0.9601, 62],
    [0.98, 80],
    [0.9805, 82],
    [0.994, 94],
  ])('target %s: the lowest passing quality is %s, within the bound', async (target, expected) => {
    const search: QualitySearch = { ...JPEG_RANGE, target };
    const { encode, tried } = encoderScoring(linear);
    const { best, encodes } = await searchQuality(search, encode);
    expect(best.quality).toBe(expected);
    expect(best.score).toBeGreaterThanOrEqual(target);
    expect(encodes).toBe(tried.length);
    expect(encodes).toBeLessThanOrEqual(maxEncodesOf(search));
  });

  it('returns the highest quality, with its short score, when nothing reaches the target', async () => {
    const search: QualitySearch = { ...JPEG_RANGE, target: 0.999 };
    const { encode, tried } = encoderScoring(linear);
    const { best } = await searchQuality(search, encode);
    expect(best.quality).toBe(94);
    expect(best.score).toBeLessThan(0.999);
    expect(tried.length).toBeLessThanOrEqual(maxEncodesOf(search));
  });

  it('stops within its bound even when the score is noisy', async () => {
    const search: QualitySearch = { ...JPEG_RANGE, target: 0.97 };
    const noisy = (quality: number) => linear(quality) + ((quality * 37) % 5) / 1000 - 0.002;
    const { encode, tried } = encoderScoring(noisy);
    const { best } = await searchQuality(search, encode);
    expect(best.score).toBeGreaterThanOrEqual(0.97);
    expect(tried.length).toBeLessThanOrEqual(maxEncodesOf(search));
  });
});
