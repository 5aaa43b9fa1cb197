import type { OutputFormat } from '../config/output-options.js';

/** The file extension of each format: output keys and URLs end with it (the Content-Type follows it). */
const OUTPUT_EXTENSIONS: Record<OutputFormat, string> = { jpeg: 'jpg', webp: 'webp', avif: 'avif' };

/**
 * The storage key of an image's output: `<first two characters of its id>/<id>.<extension of its
 * format>` (`.jpg`, `.webp`, `.avif`). It names the image alone, so a public output URL opens nothing
 * but that image (the request id, which reads the whole request, is not in it); the two-character
 * folder keeps any one folder to a few thousand files per million images.
 */
export function outputKeyOf(imageId: string, format: OutputFormat = 'jpeg'): string {
  return `${imageId.slice(0, 2)}/${imageId}.${OUTPUT_EXTENSIONS[format]}`;
}

/**
 * The storage key of one rendition of an image: `<first two characters of its id>/<id>-<spec>.<extension
 * of its format>` (`…-800w.jpg`, `…-thumb-400.webp`). Like outputKeyOf it names the image alone; a spec
 * is digits and `w`, or a preset's name (a-z 0-9 -), both safe in a key and a URL.
 */
export function renditionKeyOf(imageId: string, rendition: { spec: string; format: OutputFormat }): string {
  return `${imageId.slice(0, 2)}/${imageId}-${rendition.spec}.${OUTPUT_EXTENSIONS[rendition.format]}`;
}

/**
 * The storage key of an image's WebP preview, made on its first request: `thumbs/<first two characters
 * of its id>/<id>.webp`, served by the API at `PUBLIC_URL/files/<key>` (see previewUrlOf).
 */
export function thumbnailKeyOf(imageId: string): string {
  return `thumbs/${imageId.slice(0, 2)}/${imageId}.webp`;
}

/**
 * Where a client gets an image's preview: always from the API (`PUBLIC_URL/files/thumbs/…`), which makes
 * it on the first request, even when outputs are served from STORAGE_PUBLIC_URL.
 */
export function previewUrlOf(publicUrl: string, imageId: string): string {
  return `${publicUrl}/files/${thumbnailKeyOf(imageId)}`;
}
