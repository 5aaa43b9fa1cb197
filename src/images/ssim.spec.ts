import { type LumaPlane, ssim } from './ssim.js';

/** A deterministic textured plane: a gradient with a checker pattern on it. */
function plane(width: number, height: number, noise = 0): LumaPlane {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const base = ((x * 3 + y * 2) % 200) + (((x >> 2) + (y >> 2)) % 2) * 40;
      const wobble = noise === 0 ? 0 : ((x * 7919 + y * 104729) % 17) - 8;
      data[y * width + x] = Math.max(0, Math.min(255, base + Math.round((wobble * noise) / 8)));
    }
  }
  return { data, width, height };
}

describe('ssim', () => {
  it('is 1 for identical planes', () => {
    expect(ssim(plane(64, 48), plane(64, 48))).toBe(1);
  });

  it('falls as the distortion grows, and is symmetric', () => {
    const source = plane(64, 48);
    const scores = [2, 8, 32].map((noise) => ssim(source, plane(64, 48, noise)));
    expect(scores[0]).toBeLessThan(1);
    expect(scores[1]).toBeLessThan(scores[0]);
    expect(scores[2]).toBeLessThan(scores[1]);
    expect(ssim(plane(64, 48, 8), source)).toBeCloseTo(scores[1], 12);
  });

  it('compares planes smaller than a window by equality', () => {
    expect(ssim(plane(4, 4), plane(4, 4))).toBe(1);
    expect(ssim(plane(4, 4), plane(4, 4, 32))).toBe(0);
  });

  it('refuses planes of different sizes', () => {
    expect(() => ssim(plane(64, 48), plane(48, 64))).toThrow(/one size/);
  });
});
