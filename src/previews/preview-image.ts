import sharp from 'sharp';

/**
 * Previews are looked at in a grid, not zoomed into: a low quality keeps a page of 100 small, and the
 * fastest WebP effort (0) keeps each one cheap (on the 0.27 MP fixture effort 0 was a third faster than
 * the default 4, for a preview 11% larger).
 */
const PREVIEW_WEBP = { quality: 60, effort: 0 };

/**
 * A stored output's preview: a WebP, `size` pixels on its longer side, never enlarged. The output is
 * already upright, sRGB and within the request's bounds, so this only shrinks it; sharp decodes a JPEG
 * (or WebP) output at 1/2, 1/4 or 1/8 of its size when the preview is that much smaller (shrink-on-load),
 * so a 6 MP output costs about what a 0.4 MP one does. `maxPixels` (MAX_IMAGE_PIXELS) still guards the decoder.
 */
export function renderPreview(output: Buffer, size: number, maxPixels: number): Promise<Buffer> {
  return sharp(output, { limitInputPixels: maxPixels, failOn: 'error' })
    .resize({ width: size, height: size, fit: 'inside', withoutEnlargement: true })
    .webp(PREVIEW_WEBP)
    .toBuffer();
}
