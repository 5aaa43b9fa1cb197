import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { AppConfig } from '../src/config/app-config.js';
import type { OutputOptions } from '../src/config/output-options.js';
import { ImagePipeline } from '../src/images/image-pipeline.js';
import { log, round } from './measure.js';
import { table } from './lib/report.js';

/**
 * Phase 9, compression: bytes, similarity (the SSIM `quality=auto` uses) and CPU per image of each way
 * of writing the photo fixtures, beside the seed's Pillow q50 output (bytes from the issue: Pillow is
 * not installed here, so its score cannot be measured; sharp's libjpeg-turbo q50, with the same IJG
 * tables and 4:2:0 subsampling, stands in for it).
 */

/** The seed's output bytes (Python Pillow, quality 50), as measured on the seed. */
const PILLOW_Q50_BYTES: Record<string, number> = {
  'photo-2725x2225.jpg': 373_028,
  'photo-3840x2160-gainmap.jpg': 243_350,
};

const SEED: OutputOptions = { format: 'jpeg', quality: 50, maxWidth: null, maxHeight: null };

interface Variant {
  name: string;
  /** In the quick run (CI) too: the rest only in a full run (AVIF alone takes ~10 s per photo). */
  quick: boolean;
  encode: (pipeline: ImagePipeline, source: Buffer) => Promise<{ data: Buffer; quality: number }>;
}

const viaPipeline = (options: Partial<OutputOptions>) => (pipeline: ImagePipeline, source: Buffer) =>
  pipeline.encode(source, { ...SEED, ...options });

/**
 * mozjpeg at a fixed quality, with its default quantisation table (3) or another: not a pipeline setting
 * (a fixed quality keeps libjpeg-turbo), measured for comparison; `auto` uses table 2.
 */
const mozjpeg =
  (quality: number, quantisationTable = 3) =>
  async (_pipeline: ImagePipeline, source: Buffer) => ({
    quality,
    data: await sharp(source)
      .autoOrient()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .jpeg({ quality, mozjpeg: true, quantisationTable })
      .toBuffer(),
  });

const VARIANTS: Variant[] = [
  { name: 'sharp q50 (libjpeg-turbo, the default)', quick: true, encode: viaPipeline({}) },
  { name: 'mozjpeg q50', quick: false, encode: mozjpeg(50) },
  { name: 'mozjpeg q60', quick: true, encode: mozjpeg(60) },
  { name: 'mozjpeg q70', quick: false, encode: mozjpeg(70) },
  { name: 'mozjpeg q80', quick: false, encode: mozjpeg(80) },
  { name: 'mozjpeg q50, table 2', quick: false, encode: mozjpeg(50, 2) },
  { name: 'mozjpeg q60, table 2', quick: false, encode: mozjpeg(60, 2) },
  { name: 'jpeg quality=auto (mozjpeg)', quick: true, encode: viaPipeline({ quality: 'auto' }) },
  { name: 'webp q50', quick: false, encode: viaPipeline({ format: 'webp' }) },
  { name: 'webp q75', quick: false, encode: viaPipeline({ format: 'webp', quality: 75 }) },
  { name: 'webp quality=auto', quick: false, encode: viaPipeline({ format: 'webp', quality: 'auto' }) },
  { name: 'avif q50', quick: false, encode: viaPipeline({ format: 'avif' }) },
];

export interface CompressionRow {
  image: string;
  variant: string;
  bytes: number;
  /** Fewer bytes than the seed's Pillow q50 output, as a fraction (0.25: 25% fewer). */
  savedVsPillow: number;
  quality: number | null;
  score: number | null;
  cpuMs: number | null;
}

export async function compressionPhase(
  config: AppConfig,
  fixturesDir: string,
  quick: boolean,
): Promise<{ target: number; rows: CompressionRow[] }> {
  const pipeline = new ImagePipeline(config);
  const rows: CompressionRow[] = [];
  const images = quick ? ['photo-2725x2225.jpg'] : Object.keys(PILLOW_Q50_BYTES);
  for (const image of images) {
    const source = await readFile(join(fixturesDir, image));
    const pillow = PILLOW_Q50_BYTES[image];
    rows.push({
      image,
      variant: 'Pillow q50 (the seed; figures from the issue)',
      bytes: pillow,
      savedVsPillow: 0,
      quality: 50,
      score: null,
      cpuMs: null,
    });
    for (const variant of VARIANTS.filter((v) => v.quick || !quick)) {
      const before = process.cpuUsage();
      const output = await variant.encode(pipeline, source);
      const cpu = process.cpuUsage(before);
      const score = await pipeline.score(source, output.data, SEED);
      rows.push({
        image,
        variant: variant.name,
        bytes: output.data.length,
        savedVsPillow: round(1 - output.data.length / pillow, 3),
        quality: output.quality,
        score: round(score, 5),
        cpuMs: round((cpu.user + cpu.system) / 1000, 0),
      });
      log(`compression ${image} ${variant.name}: ${output.data.length} bytes, SSIM ${round(score, 5)}`);
    }
  }
  return { target: config.output.autoQualityTarget, rows };
}

export function printCompression(compression: { target: number; rows: CompressionRow[] }): void {
  console.log(
    `\n9. Compression of the photo fixtures (SSIM: luma at ≤512 px, as quality=auto measures it; AUTO_QUALITY_TARGET ${compression.target})`,
  );
  console.log(
    table(
      ['image', 'encoding', 'bytes', 'vs Pillow q50', 'quality', 'SSIM', 'CPU ms'],
      compression.rows.map((r) => [
        r.image,
        r.variant,
        r.bytes,
        r.savedVsPillow === 0
          ? '–'
          : `${r.savedVsPillow > 0 ? '−' : '+'}${round(Math.abs(r.savedVsPillow) * 100, 1)}%`,
        r.quality ?? '–',
        r.score ?? '–',
        r.cpuMs ?? '–',
      ]),
    ),
  );
  console.log(
    "   Pillow's score cannot be measured here (no Pillow); sharp q50 uses the same IJG tables and 4:2:0.",
  );
}
