import { Injectable, Logger } from '@nestjs/common';
import { Readable } from 'node:stream';
import { AppConfig } from '../config/app-config.js';
import { thumbnailKeyOf } from '../images/output-key.js';
import { Metrics } from '../metrics/metrics.js';
import { Storage, type StoredObject } from '../storage/storage.js';
import { ConcurrencyLimit } from '../common/concurrency-limit.js';
import { renderPreview } from './preview-image.js';
import { PreviewSources } from './preview-sources.js';

/**
 * The dashboard's previews, made when first asked for rather than while images are processed (a second
 * sharp pipeline per image halved the small-image throughput): from the stored output (small and
 * upright already), stored beside it under `thumbs/`, served from storage afterwards.
 *
 * - At most PREVIEW_CONCURRENCY previews are read and rendered at once in a process (sharp's work, on
 *   the thread pool the image workers use too), so a page of 100 cold previews waits its turn instead
 *   of crowding the workers and the API; the look-ups and the writes around it are short I/O. Requests
 *   for a preview already being made wait for that one (made once).
 * - Only a done image of an existing request has one; a failed, unfinished or unknown image has none.
 * - A request deleted while its preview is made: the preview is stored, then the image is looked up
 *   again, and removed if it is gone. Deletion removes an image's files after the commit that deletes
 *   its row, so either the second look-up sees no row (and the preview is removed here) or the
 *   deletion had not committed yet and removes the preview itself, which was stored before. Only a
 *   process killed between the two leaves an orphan preview, as a killed removal leaves outputs.
 */
@Injectable()
export class PreviewMaker {
  private readonly logger = new Logger(PreviewMaker.name);
  private readonly limit: ConcurrencyLimit;
  /** Previews being made, by image id. */
  private readonly making = new Map<string, Promise<Buffer | undefined>>();

  constructor(
    private readonly storage: Storage,
    private readonly sources: PreviewSources,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {
    this.limit = new ConcurrencyLimit(config.workers.previewConcurrency);
  }

  /** The image's preview, stored or made now; undefined when the image has none. */
  async open(imageId: string): Promise<StoredObject | undefined> {
    const stored = await this.storage.open(thumbnailKeyOf(imageId));
    if (stored) return stored;
    const made = await this.makeOnce(imageId);
    if (!made) return undefined;
    return { body: Readable.from([made]), contentLength: made.length, contentType: 'image/webp' };
  }

  private makeOnce(imageId: string): Promise<Buffer | undefined> {
    let making = this.making.get(imageId);
    if (!making) {
      making = this.make(imageId).finally(() => this.making.delete(imageId));
      this.making.set(imageId, making);
    }
    return making;
  }

  private async make(imageId: string): Promise<Buffer | undefined> {
    const outputKey = await this.sources.outputKeyOf(imageId);
    if (!outputKey) return undefined;
    const preview = await this.limit.run(async () => {
      const output = await this.storage.read(outputKey);
      return (
        output && renderPreview(output, this.config.output.thumbnailSize, this.config.limits.maxImagePixels)
      );
    });
    if (!preview) {
      this.logger.warn(`image ${imageId}: done, but its output ${outputKey} is not in storage`);
      return undefined;
    }
    const key = thumbnailKeyOf(imageId);
    await this.storage.put(key, preview);
    if (!(await this.sources.outputKeyOf(imageId))) {
      await this.storage.remove(key); // deleted meanwhile (see the class comment)
      return undefined;
    }
    this.metrics.previewMade();
    return preview;
  }
}
