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
