/** One channel of 8-bit pixels, row by row. */
export interface LumaPlane {
  data: Uint8Array;
  width: number;
  height: number;
}

const WINDOW = 8;
const STRIDE = 4;
const C1 = (0.01 * 255) ** 2;
const C2 = (0.03 * 255) ** 2;

/**
 * Mean SSIM (Wang et al. 2004) of two planes of the same size, over 8×8 windows every 4 pixels (the
 * uniform window of libjpeg's and dssim's fast variants rather than the 11×11 Gaussian). 1 means
 * identical. Written here because no maintained npm package computes SSIM on raw planes without
 * canvas or native bindings; sharp decodes, converts to luma and downscales, this only sums. Linear
 * in the pixels: 4 multiply-adds per pixel.
 */
export function ssim(a: LumaPlane, b: LumaPlane): number {
  if (a.width !== b.width || a.height !== b.height || a.data.length !== b.data.length) {
    throw new Error(`ssim needs planes of one size (${a.width}×${a.height} vs ${b.width}×${b.height})`);
  }
  const { width, height } = a;
  if (width < WINDOW || height < WINDOW) return equalPlanes(a.data, b.data) ? 1 : 0;
  const n = WINDOW * WINDOW;
  let total = 0;
  let windows = 0;
  for (let y = 0; y + WINDOW <= height; y += STRIDE) {
    for (let x = 0; x + WINDOW <= width; x += STRIDE) {
      let sa = 0;
      let sb = 0;
      let saa = 0;
      let sbb = 0;
      let sab = 0;
      for (let row = 0; row < WINDOW; row++) {
        const offset = (y + row) * width + x;
        for (let column = 0; column < WINDOW; column++) {
          const p = a.data[offset + column];
          const q = b.data[offset + column];
          sa += p;
          sb += q;
          saa += p * p;
          sbb += q * q;
          sab += p * q;
        }
      }
      const ma = sa / n;
      const mb = sb / n;
      const va = saa / n - ma * ma;
      const vb = sbb / n - mb * mb;
      const cov = sab / n - ma * mb;
      total += ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
      windows++;
    }
  }
  return total / windows;
}

function equalPlanes(a: Uint8Array, b: Uint8Array): boolean {
  return a.every((value, index) => value === b[index]);
}
