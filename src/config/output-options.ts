import type { Rendition } from './output-presets.js';

export const OUTPUT_FORMATS = ['jpeg', 'webp', 'avif'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** `auto`: the smallest encoding whose similarity to the source reaches AUTO_QUALITY_TARGET. */
export type OutputQuality = number | 'auto';

/** How a request's images are written: chosen per request (upload form fields), defaults from configuration. */
export interface OutputOptions {
  format: OutputFormat;
  quality: OutputQuality;
  /** Fit inside these bounds, keeping the aspect ratio and never enlarging; null: no bound. */
  maxWidth: number | null;
  maxHeight: number | null;
  /**
   * Several outputs of each image, in the order asked for (the `renditions` field); absent: the one
   * output above.
   */
  renditions?: Rendition[];
  /**
   * The `refresh` field: every image is downloaded and made again, without looking for an earlier
   * output of its owner's to reuse (the new outputs are remembered). Not an option of the output itself:
   * it is no part of the key outputs are reused by (see optionsKeyOf).
   */
  refresh?: true;
}

/** The largest max_width or max_height accepted (WebP's own limit; larger bounds would mean nothing). */
export const MAX_OUTPUT_SIDE = 16383;
