import { createHash, webcrypto } from 'node:crypto';
import type { OutputOptions } from '../../config/output-options.js';

const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The key of the output options that shape an output (format, quality, bounds, renditions), under
 * which outputs are reused: the SHA-256 of their JSON with fixed key order. `refresh` is no part of it.
 * A `quality=auto` output (the request's, or a rendition's) is shaped by AUTO_QUALITY_TARGET too, read
 * when the image is made: `autoQualityTarget` is part of such a key (and only of such a key), so a
 * process started with another target makes its outputs again rather than reuse the old target's.
 */
export function optionsKeyOf(options: OutputOptions, autoQualityTarget: number): string {
  const { format, quality, maxWidth, maxHeight, renditions } = options;
  const shaping = renditions?.map(({ spec, format, quality, width, height, fit }) => ({
    spec,
    format,
    quality,
    width,
    height,
    fit,
  }));
  const auto = quality === 'auto' || renditions?.some((rendition) => rendition.quality === 'auto');
  return sha256Hex(
    JSON.stringify({
      format,
      quality,
      maxWidth,
      maxHeight,
      renditions: shaping ?? null,
      ...(auto && { autoQualityTarget }),
    }),
  );
}

/** A source's key: the SHA-256 of its URL as uploaded (a URL may be long; the key is 64 characters). */
export function urlKeyOf(url: string): string {
  return sha256Hex(url);
}

/**
 * Bytes up to this size are hashed on the main thread: ~0.14 ms at SHA-256's ~1.8 GB/s here, where a
 * Web Crypto call costs ~0.1 ms of fixed overhead (its argument checks and a copy of the bytes).
 */
const MAIN_THREAD_HASH_BYTES = 256 * 1024;

/**
 * The SHA-256 of downloaded bytes, hex. Larger inputs go through Web Crypto, whose digest runs on libuv's
 * thread pool, not on the main thread: hashing a 10 MB photo there would hold every other image's work
 * for ~6 ms.
 */
export async function contentSha256Of(bytes: Uint8Array): Promise<string> {
  if (bytes.byteLength <= MAIN_THREAD_HASH_BYTES) return createHash('sha256').update(bytes).digest('hex');
  return Buffer.from(await webcrypto.subtle.digest('SHA-256', bytes)).toString('hex');
}
