import sharp, { type Sharp } from 'sharp';
import type { OutputFormat } from '../config/output-options.js';
import { type QualitySearch, searchQuality, type Trial } from './quality-search.js';
import { type LumaPlane, ssim } from './ssim.js';

/**
 * `quality=auto`: the quality bisected (see searchQuality), each trial encoded from `source()` with the
 * tuned encoder, decoded at the score's size and scored against `reference`.
 */
export async function searchAutoEncoding(
  format: OutputFormat,
  target: number,
  reference: LumaPlane,
  source: () => Sharp,
  within: (image: Sharp) => Sharp,
): Promise<EncodedImage> {
  let size = { width: 0, height: 0 };
  const { min, max, step } = AUTO_QUALITIES[format];
  const { best } = await searchQuality({ min, max, step, target }, async (quality): Promise<Trial> => {
    const { data, info } = await encoder(source(), format, quality, true).toBuffer({
      resolveWithObject: true,
    });
    size = { width: info.width, height: info.height };
    const candidate = await lumaOf(within(sharp(data)));
    return { quality, data, score: ssim(reference, candidate) };
  });
  // Named in one literal, as every object made per image (see docs/performance.md, hidden classes).
  return {
    data: best.data,
    format,
    width: size.width,
    height: size.height,
    quality: best.quality,
    score: best.score,
  };
}

/** An encoded output: its bytes, format, size, the quality it was written at and, for `auto`, its measured similarity. */
export interface EncodedImage {
  data: Buffer;
  format: OutputFormat;
  width: number;
  height: number;
  quality: number;
  /** SSIM of the output to the oriented, resized source (luma, downscaled to SCORE_SIDE); null unless quality was auto. */
  score: number | null;
}

/**
 * The side, in pixels, the similarity is measured at: luma downscaled to fit 512×512 (about the size a
 * catalog page shows a product at; it also keeps a score to a few milliseconds). Calibrated with
 * AUTO_QUALITY_TARGET: see docs/compression.md.
 */
const SCORE_SIDE = 512;

/**
 * The qualities `auto` chooses from, per format (mozjpeg for JPEG): at most 5 encodes each. The floor
 * of 50 keeps smooth, large images (whose artifacts a 512-px score cannot see) at the seed's quality
 * or better: mozjpeg q50 (AUTO_JPEG_TABLE) scores above libjpeg-turbo q50 on both photo fixtures.
 */
export const AUTO_QUALITIES: Record<OutputFormat, Omit<QualitySearch, 'target'>> = {
  jpeg: { min: 50, max: 94, step: 2 },
  webp: { min: 50, max: 94, step: 2 },
  avif: { min: 30, max: 84, step: 2 },
};

/**
 * The quantisation table of `auto`'s mozjpeg encodes: mozjpeg's table 2, tuned for MS-SSIM on the Kodak
 * set. Measured on the photo fixtures by the score `auto` uses, it beats mozjpeg's default (table 3) at
 * every quality: at q50, 242,340 bytes scoring 0.98683 on the 6 MP photo where the default needs q58 and
 * 283,695 bytes for 0.98704 (tables 0-8 compared in docs/compression.md).
 */
const AUTO_JPEG_TABLE = 2;

/** Writes the format at a quality; `tuned` (for auto) uses mozjpeg's encoder for JPEG. */
export function encoder(image: Sharp, format: OutputFormat, quality: number, tuned: boolean): Sharp {
  if (format === 'jpeg')
    return image.jpeg(tuned ? { quality, mozjpeg: true, quantisationTable: AUTO_JPEG_TABLE } : { quality });
  if (format === 'webp') return image.webp({ quality });
  return image.avif({ quality });
}

/** The luma of an image, downscaled to fit SCORE_SIDE (never enlarged). */
export async function lumaOf(image: Sharp): Promise<LumaPlane> {
  const { data, info } = await image
    .resize({ width: SCORE_SIDE, height: SCORE_SIDE, fit: 'inside', withoutEnlargement: true })
    .toColourspace('b-w')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}
