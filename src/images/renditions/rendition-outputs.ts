import { Injectable } from '@nestjs/common';
import type { OutputOptions } from '../../config/output-options.js';
import type { Rendition } from '../../config/output-presets.js';
import { Metrics } from '../../metrics/metrics.js';
import { Storage } from '../../storage/storage.js';
import { ImageAdmission } from '../image-admission.js';
import type { ImageResult } from '../outcomes/image-outcome.js';
import { renditionKeyOf } from '../output-key.js';
import type { ClaimedImage } from '../queue/image-queue.js';
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

  async make(
    image: ClaimedImage,
    options: OutputOptions & { renditions: Rendition[] },
    input: Buffer,
  ): Promise<Omit<ImageResult, 'inputBytes'>> {
    const encoded = await this.metrics.timed('process', () =>
      this.admission.encodeRenditions(input, options),
    );
    const renditions: StoredRendition[] = encoded.map(({ rendition, data, format, width, height }) => ({
      spec: rendition.spec,
      key: renditionKeyOf(image.id, rendition),
      format,
      width,
      height,
      bytes: data.length,
    }));
    await this.metrics.timed('store', () =>
      Promise.all(encoded.map(({ data }, index) => this.storage.put(renditions[index].key, data))),
    );
    const [first] = encoded;
    return {
      outputKey: renditions[0].key,
      outputBytes: renditions.reduce((sum, rendition) => sum + rendition.bytes, 0),
      outputQuality: first.quality,
      outputScore: first.score,
      renditions,
    };
  }
}
