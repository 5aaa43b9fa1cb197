import type { Rendition } from '../../config/output-presets.js';

export interface Size {
  width: number;
  height: number;
}

/**
 * The scale of the oriented source at which a rendition's bounds are met: fitted inside them (`inside`,
 * and the image within `pad`'s canvas) or filling them (`cover`). Above 1 means enlarged.
 */
function scaleFor(source: Size, rendition: Rendition): number {
  const x = rendition.width === null ? Infinity : rendition.width / source.width;
  const y = rendition.height === null ? Infinity : rendition.height / source.height;
  return rendition.fit === 'cover' ? Math.max(x, y) : Math.min(x, y);
}

const scaled = (source: Size, scale: number): Size => ({
  width: Math.max(1, Math.round(source.width * scale)),
  height: Math.max(1, Math.round(source.height * scale)),
});

/**
 * The size the source is decoded and prepared at, once for all its renditions: the largest any of them
 * needs, never above the source's own (a rendition that enlarges does so from the prepared pixels).
 */
export function preparedSize(source: Size, renditions: Rendition[]): Size {
  const largest = Math.max(...renditions.map((rendition) => scaleFor(source, rendition)));
  return scaled(source, Math.min(1, largest));
}

/** An `inside` rendition's size, from the source's (so the prepared copy's rounding never shows): never enlarged. */
export function insideSize(source: Size, rendition: Rendition): Size {
  return scaled(source, Math.min(1, scaleFor(source, rendition)));
}

/**
 * For a `cover` that would enlarge (the bounds are larger than the pixels on either side), the largest
 * box of the bounds' shape within the pixels: cropped first at their own size, then enlarged, rather
 * than enlarged whole and then cropped (a 1×16,000 line covering 400×400 was a 400×6,400,000
 * intermediate image: minutes of CPU from a file of a few kilobytes). Undefined when nothing is enlarged.
 */
export function coverCrop(pixels: Size, rendition: Rendition): Size | undefined {
  const { width, height } = rendition;
  if (width === null || height === null) return undefined;
  if (width <= pixels.width && height <= pixels.height) return undefined;
  const wider = pixels.width * height > width * pixels.height;
  return wider
    ? {
        width: Math.max(1, Math.min(pixels.width, Math.round((pixels.height * width) / height))),
        height: pixels.height,
      }
    : {
        width: pixels.width,
        height: Math.max(1, Math.min(pixels.height, Math.round((pixels.width * height) / width))),
      };
}
