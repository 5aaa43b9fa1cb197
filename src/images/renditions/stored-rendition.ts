import type { OutputFormat } from '../../config/output-options.js';

/** One rendition of a done image as its row keeps it (the `renditions` column, JSON). */
export interface StoredRendition {
  /** As the request asked for it: `800w`, or a preset's name. */
  spec: string;
  /** Its storage key (see renditionKeyOf). */
  key: string;
  format: OutputFormat;
  width: number;
  height: number;
  bytes: number;
}
