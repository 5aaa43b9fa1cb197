import type { OutputFormat, OutputOptions } from '../config/output-options.js';
import type { Rendition } from '../config/output-presets.js';
import type { ImageHeader } from './image-pipeline.js';
import { insideSize, preparedSize, type Size } from './renditions/rendition-sizes.js';

/**
 * Bytes per output pixel that each encoder holds at its peak, measured (peak RSS of one encode, a flat
 * 100 MP PNG and a noisy 12 MP JPEG, the larger figure, rounded up): libjpeg keeps every DCT coefficient
 * to optimise its Huffman tables (mozjpeg too: 6–6.7), libwebp converts the whole picture (4.8–14.7),
 * libheif's AV1 encoder keeps several copies (23–37).
 */
const ENCODER_BYTES_PER_PIXEL: Record<OutputFormat, number> = { jpeg: 7, webp: 15, avif: 40 };

/**
 * `quality=auto` decodes each trial's output to score it and, with bounds, keeps the source prepared at
 * the output's size as its reference: one 8-bit RGB copy at the output's size, at most.
 */
const AUTO_BYTES_PER_PIXEL = 3;

/** libvips' strip buffers, the decoder's state and the output buffer of an image of any size. */
const FIXED_BYTES = 16 * 1024 * 1024;

/**
 * Inputs whose decoder yields the whole image at once rather than strip by strip: WebP, AVIF/HEIF, GIF,
 * and progressive JPEG or interlaced PNG (whose passes cover the whole image). Measured on a 12 MP
 * photo: +3 bytes a pixel for a progressive JPEG, +7 for a WebP; counted as twice the decoded samples.
 */
const WHOLE_IMAGE_DECODERS = new Set(['webp', 'heif', 'gif']);

/** The output's pixels: the source fitted inside the bounds, never enlarged (as the pipeline resizes). */
function outputPixels(header: ImageHeader, options: OutputOptions): number {
  const scale = Math.min(
    1,
    options.maxWidth === null ? 1 : options.maxWidth / header.width,
    options.maxHeight === null ? 1 : options.maxHeight / header.height,
  );
  // Orientation may swap the sides against the bounds: the larger of the two fits is counted.
  const swapped = Math.min(
    1,
    options.maxWidth === null ? 1 : options.maxWidth / header.height,
    options.maxHeight === null ? 1 : options.maxHeight / header.width,
  );
  return header.width * header.height * Math.max(scale, swapped) ** 2;
}

/**
 * The estimated peak working memory, in bytes, of making one image: the encoder's buffers for the
 * output's pixels, `auto`'s extra copy, a whole-image decode of the input where its format needs one,
 * and a fixed part. An estimate from the header alone, made before any pixel is decoded, to admit
 * images against IMAGE_MEMORY_MB (see ImageAdmission).
 */
export function workingMemoryOf(header: ImageHeader, options: OutputOptions): number {
  const encoder = outputPixels(header, options) * encoderBytesPerPixel(options);
  return Math.ceil(encoder + decoderBytes(header) + FIXED_BYTES);
}

function encoderBytesPerPixel(output: Pick<OutputOptions, 'format' | 'quality'>): number {
  return ENCODER_BYTES_PER_PIXEL[output.format] + (output.quality === 'auto' ? AUTO_BYTES_PER_PIXEL : 0);
}

/** A whole-image decode of the input where its format needs one; else none (libvips' strips, in FIXED_BYTES). */
function decoderBytes(header: ImageHeader): number {
  const wholeDecode = WHOLE_IMAGE_DECODERS.has(header.format) || header.interlaced;
  return wholeDecode ? header.width * header.height * header.channels * header.bytesPerSample * 2 : 0;
}

/** The prepared copy renditions are made from: 8-bit sRGB (RenditionPipeline). */
const PREPARED_BYTES_PER_PIXEL = 3;

const pixelsOf = (size: Size) => size.width * size.height;

/** A rendition's pixels as its encoder (or, for `cover`, its crop) holds them. */
function renditionPixels(source: Size, rendition: Rendition): number {
  if (rendition.fit === 'inside') return pixelsOf(insideSize(source, rendition));
  if (rendition.fit === 'pad') return rendition.width! * rendition.height!;
  // cover: the image filling the bounds, before its crop; one that enlarges is cropped at the source's
  // size first (coverCrop), then enlarged to the bounds.
  const scale = Math.max(rendition.width! / source.width, rendition.height! / source.height);
  if (scale > 1) return pixelsOf(source) + rendition.width! * rendition.height!;
  return source.width * source.height * scale ** 2;
}

/**
 * The estimated peak working memory of making an image's renditions (RenditionPipeline): the prepared
 * copy at the largest size they need, held throughout, beside either the decode that fills it or the
 * costliest rendition's encoder (they are made one after the other), and the fixed part. Orientation
 * may swap the sides: the larger of the two readings is counted.
 */
export function renditionsMemoryOf(header: ImageHeader, renditions: Rendition[]): number {
  const readings = [
    { width: header.width, height: header.height },
    { width: header.height, height: header.width },
  ].map((source) => {
    const prepared = pixelsOf(preparedSize(source, renditions)) * PREPARED_BYTES_PER_PIXEL;
    const encoders = renditions.map(
      (rendition) => renditionPixels(source, rendition) * encoderBytesPerPixel(rendition),
    );
    return prepared + Math.max(decoderBytes(header), ...encoders);
  });
  return Math.ceil(Math.max(...readings) + FIXED_BYTES);
}
