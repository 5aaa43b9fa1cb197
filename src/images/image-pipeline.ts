import { Injectable } from '@nestjs/common';
import sharp from 'sharp';
import { AppConfig } from '../config/app-config.js';
import { ImageError } from './image-error.js';

export interface WebJpeg {
  data: Buffer;
  width: number;
  height: number;
  /** A small WebP preview of the same output (THUMBNAIL_SIZE on its longer side, never enlarged). */
  thumbnail: Buffer;
}

/** Previews are looked at in a grid, not zoomed into: a low quality keeps a page of 100 small. */
const THUMBNAIL_QUALITY = 60;

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

/**
 * The one sharp pipeline: EXIF orientation applied, first frame only, transparency flattened
 * onto white, converted to sRGB, JPEG at JPEG_QUALITY with metadata stripped. The pixel limit
 * is checked from the header before any pixel is decoded. The thumbnail is a clone of the same
 * oriented, flattened pipeline, resized and encoded as WebP (a JPEG input is shrunk on load).
 */
@Injectable()
export class ImagePipeline {
  constructor(private readonly config: AppConfig) {}

  async toWebJpeg(input: Buffer): Promise<WebJpeg> {
    if (input.length === 0) throw new ImageError('not_an_image', 'the downloaded file is empty');
    try {
      const web = sharp(input, {
        limitInputPixels: this.config.maxImagePixels,
        failOn: 'error',
        pages: 1,
      })
        .autoOrient()
        .flatten({ background: '#ffffff' })
        .toColourspace('srgb');
      const size = this.config.thumbnailSize;
      const [{ data, info }, thumbnail] = await Promise.all([
        web.clone().jpeg({ quality: this.config.jpegQuality }).toBuffer({ resolveWithObject: true }),
        web
          .clone()
          .resize({ width: size, height: size, fit: 'inside', withoutEnlargement: true })
          .webp({ quality: THUMBNAIL_QUALITY })
          .toBuffer(),
      ]);
      return { data, width: info.width, height: info.height, thumbnail };
    } catch (error) {
      throw classify(error as Error);
    }
  }
}
