import { Injectable } from '@nestjs/common';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { AppConfig } from '../config/app-config.js';
import { ImageError, imageTimeout } from './image-error.js';
import { parseHeader } from './image-header.js';
import type { OutputOptions } from '../config/output-options.js';
import { type EncodedImage, encoder, lumaOf, searchAutoEncoding } from './image-encoding.js';
import { type LumaPlane, ssim } from './ssim.js';

const tooManyPixels = () =>
  new ImageError('too_many_pixels', 'image has more pixels than MAX_IMAGE_PIXELS allows');

/**
 * Maps sharp's errors to our stable codes. Only the messages sharp writes itself, at the start of
 * the error, decide the code: libvips' own messages go through one error buffer shared by every
 * thread, so under concurrency a failure may carry another image's message, or none ("Unknown
 * error"). Whatever else fails to decode is a decode_error.
 */
function classify(error: Error): ImageError {
  const message = error.message ?? '';
  if (message.startsWith('Input image exceeds pixel limit')) return tooManyPixels();
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

/** What a failed pipeline means for the image: its own ImageError, a timeout past the deadline, else sharp's error classified. */
export function failureOf(error: unknown, deadline: number, timeoutMs: number): ImageError {
  if (error instanceof ImageError) return error;
  // sharp's timeout fires at or after the deadline; its message may be another image's (see classify).
  if (Date.now() >= deadline) return imageTimeout(timeoutMs);
  return classify(error as Error);
}

/** sharp's own timeout, in whole seconds (rounded up), for the time left before the deadline. */
export function withinDeadline(image: Sharp, deadline: number, timeoutMs: number): Sharp {
  if (deadline === Infinity) return image;
  const left = deadline - Date.now();
  if (left <= 0) throw imageTimeout(timeoutMs);
  return image.timeout({ seconds: Math.ceil(left / 1000) });
}

/** What an image's header says (read without decoding a pixel): enough to estimate its working memory. */
export interface ImageHeader {
  width: number;
  height: number;
  /** Bands as decoded (3 for RGB, 4 with alpha…) and bytes per band (1, or 2 for 16-bit). */
  channels: number;
  bytesPerSample: number;
  /** sharp's name of the input format (jpeg, png, webp, heif, gif, tiff…). */
  format: string;
  /** Progressive JPEG or interlaced PNG, which decode whole rather than strip by strip. */
  interlaced: boolean;
}

/** Bytes per band of libvips' band formats (uchar, ushort, float…). */
const SAMPLE_BYTES: Record<string, number> = {
  uchar: 1,
  char: 1,
  ushort: 2,
  short: 2,
  uint: 4,
  int: 4,
  float: 4,
};

/**
 * The one sharp pipeline: EXIF orientation applied, first frame only, transparency flattened onto
 * white, converted to sRGB, fitted inside max_width × max_height (never enlarged), written as the
 * request's format with metadata stripped. A fixed quality is one encode (libjpeg-turbo for JPEG,
 * today's output); `auto` searches the quality (see searchQuality), decoding the source again for each
 * encode rather than keeping a raw copy of it (a 100 MP copy is 300 MB; decoding again costs about what
 * copying the pixels in and out did: 1.9 s against 2.0 s of CPU for the 6 MP photo's five encodes),
 * and scores against a reference made from the source at the score's size (see referenceLuma). It makes the output and nothing else: the dashboard's preview is made from the stored
 * output when it is first asked for (PreviewMaker). The pixel limit is checked from the header before
 * any pixel is decoded.
 *
 * A deadline (ms since the epoch) bounds the work: every sharp pipeline gets sharp's `timeout()` with
 * the seconds left, which makes libvips abort its evaluation (decoding, resizing, and JPEG and WebP
 * encoding, which run inside it) and free its thread; `auto` checks it before each encode. libheif's
 * AVIF encoder runs after libvips' evaluation and cannot be stopped: an AVIF encode under way goes on
 * until it ends (ImageAdmission holds its thread and memory until then).
 */
@Injectable()
export class ImagePipeline {
  constructor(private readonly config: AppConfig) {}

  /**
   * The header's facts read in JavaScript (a JPEG's or a PNG's: see parseHeader), or undefined when
   * sharp must read them (`header`). One over MAX_IMAGE_PIXELS is too_many_pixels.
   */
  parsedHeader(input: Buffer): ImageHeader | undefined {
    const header = parseHeader(input);
    if (header && header.width * header.height > this.config.limits.maxImagePixels) throw tooManyPixels();
    return header;
  }

  /** The header's facts, read by sharp; a file sharp does not recognise is not_an_image, one over MAX_IMAGE_PIXELS too_many_pixels. */
  async header(input: Buffer): Promise<ImageHeader> {
    if (input.length === 0) throw new ImageError('not_an_image', 'the downloaded file is empty');
    let metadata: Metadata;
    try {
      metadata = await sharp(input, {
        limitInputPixels: this.config.limits.maxImagePixels,
        pages: 1,
      }).metadata();
    } catch (error) {
      throw classify(error as Error);
    }
    const { width, height } = metadata;
    if (width * height > this.config.limits.maxImagePixels) throw tooManyPixels();
    return {
      width,
      height,
      channels: metadata.channels ?? 3,
      bytesPerSample: SAMPLE_BYTES[metadata.depth ?? 'uchar'] ?? 8,
      format: metadata.format ?? 'unknown',
      interlaced: metadata.isProgressive === true,
    };
  }

  async encode(input: Buffer, options: OutputOptions, deadline = Infinity): Promise<EncodedImage> {
    if (input.length === 0) throw new ImageError('not_an_image', 'the downloaded file is empty');
    try {
      if (options.quality === 'auto') return await this.encodeAuto(input, options, deadline);
      const prepared = this.within(this.prepare(input, options), deadline);
      const { data, info } = await encoder(prepared, options.format, options.quality, false).toBuffer({
        resolveWithObject: true,
      });
      return {
        data,
        format: options.format,
        width: info.width,
        height: info.height,
        quality: options.quality,
        score: null,
      };
    } catch (error) {
      throw failureOf(error, deadline, this.config.workers.imageTimeoutMs);
    }
  }

  /**
   * The similarity score `auto` uses (SSIM of the luma, downscaled to fit 512 px) of an output to its
   * source prepared as the pipeline prepares it (oriented, flattened, resized to the options' bounds).
   */
  async score(source: Buffer, output: Buffer, options: OutputOptions): Promise<number> {
    const [reference, candidate] = [await this.referenceLuma(source, options), await lumaOf(sharp(output))];
    return ssim(reference, candidate);
  }

  /**
   * The prepared source's luma at the score's size, without a full-size raw copy: unbounded, one pipeline
   * scales the source straight to the score's size, decoding it strip by strip (the full-size extract
   * keeps sharp from decoding a JPEG at a reduced size, which would change every score: the reference is
   * the one a full decode gives, pixel for pixel). Bounded, the source is first prepared at the output's
   * size (sharp resizes once per pipeline), a copy no larger than the output.
   */
  private async referenceLuma(
    source: Buffer,
    options: OutputOptions,
    deadline = Infinity,
  ): Promise<LumaPlane> {
    if (options.maxWidth !== null || options.maxHeight !== null) {
      const prepared = this.within(this.prepare(source, options), deadline);
      const { data, info } = await prepared.raw().toBuffer({ resolveWithObject: true });
      const raw = { raw: { width: info.width, height: info.height, channels: info.channels } };
      return lumaOf(this.within(sharp(data, raw), deadline));
    }
    const { autoOrient } = await sharp(source, {
      limitInputPixels: this.config.limits.maxImagePixels,
      pages: 1,
    }).metadata();
    const whole = { left: 0, top: 0, width: autoOrient.width, height: autoOrient.height };
    return lumaOf(this.within(this.prepare(source, options).extract(whole), deadline));
  }

  private within(image: Sharp, deadline: number): Sharp {
    return withinDeadline(image, deadline, this.config.workers.imageTimeoutMs);
  }

  /** Decoding (first frame, within MAX_IMAGE_PIXELS), orientation, white background, sRGB, the bounds. */
  private prepare(input: Buffer, options: OutputOptions): Sharp {
    const prepared = sharp(input, {
      limitInputPixels: this.config.limits.maxImagePixels,
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

  /** The reference once, then the quality bisected: each trial encoded from the source, decoded at the score's size, scored. */
  private async encodeAuto(input: Buffer, options: OutputOptions, deadline: number): Promise<EncodedImage> {
    const reference = await this.referenceLuma(input, options, deadline);
    return searchAutoEncoding(
      options.format,
      this.config.output.autoQualityTarget,
      reference,
      () => this.within(this.prepare(input, options), deadline),
      (image) => this.within(image, deadline),
    );
  }
}
