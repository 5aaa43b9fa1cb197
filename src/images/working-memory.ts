import type { OutputFormat, OutputOptions } from '../config/output-options.js';
import type { ImageHeader } from './image-pipeline.js';

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
  const output = outputPixels(header, options);
  const encoder =
    output *
    (ENCODER_BYTES_PER_PIXEL[options.format] + (options.quality === 'auto' ? AUTO_BYTES_PER_PIXEL : 0));
  const wholeDecode = WHOLE_IMAGE_DECODERS.has(header.format) || header.interlaced;
  const decoder = wholeDecode
    ? header.width * header.height * header.channels * header.bytesPerSample * 2
    : 0;
  return Math.ceil(encoder + decoder + FIXED_BYTES);
}
