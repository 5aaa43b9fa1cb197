import { Injectable } from '@nestjs/common';
import sharp, { type Sharp } from 'sharp';
import { AppConfig } from '../config/app-config.js';
import { ImageError } from './image-error.js';
import type { OutputFormat, OutputOptions } from '../config/output-options.js';
import { type QualitySearch, searchQuality, type Trial } from './quality-search.js';
import { type LumaPlane, ssim } from './ssim.js';

/**
 * Maps sharp's errors to our stable codes. Only the messages sharp writes itself, at the start of
 * the error, decide the code: libvips' own messages go through one error buffer shared by every
 * thread, so under concurrency a failure may carry another image's message, or none ("Unknown
 * error"). Whatever else fails to decode is a decode_error.
 */
function classify(error: Error): ImageError {
  const message = error.message ?? '';
  if (message.startsWith('Input image exceeds pixel limit')) {
    return new ImageError('too_many_pixels', 'image has more pixels than MAX_IMAGE_PIXELS allows');
  }
  if (/^(Input buffer contains unsupported image format|Input Buffer is empty)/.test(message)) {
    return new ImageError('not_an_image', 'the downloaded bytes are not an image');
  }
  const detail = message.split('\n')[0].slice(0, 200);
  const known = detail !== '' && detail !== 'Unknown error';
  return new ImageError(
    'decode_error',
    `the image could not be decoded${known ? `: ${detail}` : ' (corrupt or truncated data)'}`,
  );
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
function encoder(image: Sharp, format: OutputFormat, quality: number, tuned: boolean): Sharp {
  if (format === 'jpeg')
    return image.jpeg(tuned ? { quality, mozjpeg: true, quantisationTable: AUTO_JPEG_TABLE } : { quality });
  if (format === 'webp') return image.webp({ quality });
  return image.avif({ quality });
}

/** The luma of an image, downscaled to fit SCORE_SIDE (never enlarged). */
async function lumaOf(image: Sharp): Promise<LumaPlane> {
  const { data, info } = await image
    .resize({ width: SCORE_SIDE, height: SCORE_SIDE, fit: 'inside', withoutEnlargement: true })
    .toColourspace('b-w')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/**
 * The one sharp pipeline: EXIF orientation applied, first frame only, transparency flattened onto
 * white, converted to sRGB, fitted inside max_width × max_height (never enlarged), written as the
 * request's format with metadata stripped. A fixed quality is one encode (libjpeg-turbo for JPEG,
 * today's output); `auto` decodes once and searches the quality (see searchQuality). It makes the
 * output and nothing else: the dashboard's preview is made from the stored output when it is first
 * asked for (PreviewMaker). The pixel limit is checked from the header before any pixel is decoded.
 */
@Injectable()
export class ImagePipeline {
  constructor(private readonly config: AppConfig) {}

  async encode(input: Buffer, options: OutputOptions): Promise<EncodedImage> {
    if (input.length === 0) throw new ImageError('not_an_image', 'the downloaded file is empty');
    try {
      if (options.quality === 'auto') return await this.encodeAuto(this.prepare(input, options), options);
      const { data, info } = await encoder(
        this.prepare(input, options),
        options.format,
        options.quality,
        false,
      ).toBuffer({ resolveWithObject: true });
      return {
        data,
        format: options.format,
        width: info.width,
        height: info.height,
        quality: options.quality,
        score: null,
      };
    } catch (error) {
      throw classify(error as Error);
    }
  }

  /**
   * The similarity score `auto` uses (SSIM of the luma, downscaled to fit 512 px) of an output to its
   * source prepared as the pipeline prepares it (oriented, flattened, resized to the options' bounds).
   */
  async score(source: Buffer, output: Buffer, options: OutputOptions): Promise<number> {
    const [reference, candidate] = await Promise.all([
      this.pixelsOf(this.prepare(source, options)).then(lumaOf),
      lumaOf(sharp(output)),
    ]);
    return ssim(reference, candidate);
  }

  /** The prepared pixels, decoded (a sharp pipeline resizes once: a later resize would replace the bounds). */
  private async pixelsOf(prepared: Sharp): Promise<Sharp> {
    const { data, info } = await prepared.raw().toBuffer({ resolveWithObject: true });
    return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
  }

  /** Decoding (first frame, within MAX_IMAGE_PIXELS), orientation, white background, sRGB, the bounds. */
  private prepare(input: Buffer, options: OutputOptions): Sharp {
    const prepared = sharp(input, {
      limitInputPixels: this.config.maxImagePixels,
      failOn: 'error',
      pages: 1,
    })
      .autoOrient()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb');
    if (options.maxWidth === null && options.maxHeight === null) return prepared;
    return prepared.resize({
      width: options.maxWidth ?? undefined,
      height: options.maxHeight ?? undefined,
      fit: 'inside',
      withoutEnlargement: true,
    });
  }

  /** Decodes once, then bisects the quality: each trial is encoded from the same pixels, decoded and scored. */
  private async encodeAuto(prepared: Sharp, options: OutputOptions): Promise<EncodedImage> {
    const { format } = options;
    const { data: pixels, info } = await prepared.raw().toBuffer({ resolveWithObject: true });
    const raw = { raw: { width: info.width, height: info.height, channels: info.channels } };
    // The reference is taken from the decoded pixels: lumaOf's resize would replace the bounds' resize.
    const reference = await lumaOf(sharp(pixels, raw));
    const { best } = await searchQuality(
      { ...AUTO_QUALITIES[format], target: this.config.autoQualityTarget },
      async (quality): Promise<Trial> => {
        const data = await encoder(sharp(pixels, raw), format, quality, true).toBuffer();
        return { quality, data, score: ssim(reference, await lumaOf(sharp(data))) };
      },
    );
    return { ...best, format, width: info.width, height: info.height };
  }
}
