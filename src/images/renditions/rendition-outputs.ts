import { Injectable } from '@nestjs/common';
import type { OutputOptions } from '../../config/output-options.js';
import type { Rendition } from '../../config/output-presets.js';
import { Metrics } from '../../metrics/metrics.js';
import { Storage } from '../../storage/storage.js';
import { ImageAdmission } from '../image-admission.js';
import type { ImageResult } from '../outcomes/image-outcome.js';
import { renditionKeyOf } from '../output-key.js';
import type { ClaimedImage } from '../queue/image-queue.js';
import type { EncodedRendition } from './rendition-pipeline.js';
import type { StoredRendition } from './stored-rendition.js';

/**
 * Makes and stores an image's renditions, each its own object (see renditionKeyOf). The image's row
 * records them all, and the first as its output (`output_url`, `Output Image Urls`, its preview); its
 * output bytes are theirs together (what it takes in storage).
 */
@Injectable()
export class RenditionOutputs {
  constructor(
    private readonly admission: ImageAdmission,
    private readonly storage: Storage,
    private readonly metrics: Metrics,
  ) {}

  /**
   * Each rendition is stored as soon as it is made, one at a time (one encoded rendition in memory). When
   * making them fails (a later rendition, a store, the deadline), no store is left running or started
   * afterwards: the caller's removal of the image's outputs then finds every file that will ever exist.
   */
  async make(
    image: ClaimedImage,
    options: OutputOptions & { renditions: Rendition[] },
    input: Buffer,
  ): Promise<Omit<ImageResult, 'inputBytes'>> {
    const renditions: StoredRendition[] = [];
    let first: Pick<EncodedRendition, 'quality' | 'score'> | undefined;
    let storing: Promise<void> = Promise.resolve();
    let abandoned = false;
    const store = async (made: EncodedRendition) => {
      const key = renditionKeyOf(image.id, made.rendition);
      await this.metrics.timed('store', () => this.storage.put(key, made.data));
      const { rendition, format, width, height, data } = made;
      renditions.push({ spec: rendition.spec, key, format, width, height, bytes: data.length });
      first ??= { quality: made.quality, score: made.score };
    };
    try {
      await this.metrics.timed('process', () =>
        this.admission.encodeRenditions(input, options, (made) => {
          // An encode that ends after the deadline (AVIF cannot be stopped) is not stored.
          if (abandoned) throw new Error('the image was given up');
          return (storing = store(made));
        }),
      );
    } catch (error) {
      abandoned = true;
      await storing.catch(() => undefined);
      throw error;
    }
    return {
      outputKey: renditions[0].key,
      outputBytes: renditions.reduce((sum, rendition) => sum + rendition.bytes, 0),
      outputQuality: first!.quality,
      outputScore: first!.score,
      renditions,
    };
  }
}
