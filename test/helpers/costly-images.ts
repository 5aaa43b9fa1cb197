import { randomBytes } from 'node:crypto';
import sharp from 'sharp';

/** A JPEG of random pixels: noise is the costliest input for every encoder (AVIF above all). */
export function noisyJpeg(width: number, height: number): Promise<Buffer> {
  return sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** A flat grey 10000×10000 PNG: exactly the default MAX_IMAGE_PIXELS, a few hundred KB to download. */
export function flatPng(): Promise<Buffer> {
  return sharp({ create: { width: 10_000, height: 10_000, channels: 3, background: '#888' } })
    .png()
    .toBuffer();
}
