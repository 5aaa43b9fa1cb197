import { Injectable } from '@nestjs/common';
import sharp, { type Sharp } from 'sharp';
import { AppConfig } from '../../config/app-config.js';
import type { Rendition } from '../../config/output-presets.js';
import { ImageError } from '../image-error.js';
import { encoder, type EncodedImage, lumaOf, searchAutoEncoding } from '../image-encoding.js';
import { failureOf, withinDeadline } from '../image-pipeline.js';
import { coverCrop, insideSize, preparedSize, type Size } from './rendition-sizes.js';

/** One rendition of an image, encoded. */
export interface EncodedRendition extends EncodedImage {
  rendition: Rendition;
}

/**
 * Takes each rendition as soon as it is encoded (to store it) and resolves when done with it: the next
 * is made only then, so one encoded rendition is held at a time, never all of them.
 */
export type RenditionSink = (made: EncodedRendition) => Promise<void>;

/** The prepared source: 8-bit sRGB pixels, oriented and flattened on white, at the largest size needed. */
interface PreparedPixels {
  data: Buffer;
  raw: { width: number; height: number; channels: 1 | 2 | 3 | 4 };
}

/** The white of `pad`'s canvas (the colour transparency is flattened onto). */
const WHITE = '#ffffff';

/**
 * Every rendition of an image from one decode: the source is decoded (shrunk on load where its format
 * allows), oriented, flattened onto white and converted to sRGB once, into raw pixels at the largest
 * size any rendition needs (see preparedSize); then each rendition, one after the other, is resized
 * from those pixels and encoded: `inside` fitted within its bounds and never enlarged, `pad` exactly
 * its bounds with the image centred on white, `cover` exactly its bounds cropped around the most
 * salient part (sharp's attention strategy). `quality=auto` searches the quality of each as
 * ImagePipeline does, scored against the rendition's own pixels. The deadline bounds it all as it
 * bounds ImagePipeline's work.
 */
@Injectable()
export class RenditionPipeline {
  constructor(private readonly config: AppConfig) {}

  async encode(
    input: Buffer,
    renditions: Rendition[],
    sink: RenditionSink,
    deadline = Infinity,
  ): Promise<void> {
    if (input.length === 0) throw new ImageError('not_an_image', 'the downloaded file is empty');
    const { source, prepared } = await this.classified(
      () => this.prepare(input, renditions, deadline),
      deadline,
    );
    for (const rendition of renditions) {
      const encoded = await this.classified(
        () => this.encodeOne(prepared, source, rendition, deadline),
        deadline,
      );
      await sink({ rendition, ...encoded }); // its failures (storage) are the sink's, passed on as they are
    }
  }

  /** sharp's work, its failure given the image's code (decode_error, image_timeout…). */
  private async classified<T>(work: () => Promise<T>, deadline: number): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw failureOf(error, deadline, this.config.workers.imageTimeoutMs);
    }
  }

  /** Decodes the source once to raw pixels at the largest size its renditions need. */
  private async prepare(
    input: Buffer,
    renditions: Rendition[],
    deadline: number,
  ): Promise<{ source: Size; prepared: PreparedPixels }> {
    const open = () =>
      sharp(input, { limitInputPixels: this.config.limits.maxImagePixels, failOn: 'error', pages: 1 });
    const { autoOrient } = await open().metadata();
    const source = { width: autoOrient.width, height: autoOrient.height };
    const size = preparedSize(source, renditions);
    let image = open().autoOrient().flatten({ background: WHITE }).toColourspace('srgb');
    if (size.width !== source.width || size.height !== source.height)
      image = image.resize({ ...size, fit: 'fill' });
    const { data, info } = await this.within(image, deadline).raw().toBuffer({ resolveWithObject: true });
    return {
      source,
      prepared: { data, raw: { width: info.width, height: info.height, channels: info.channels } },
    };
  }

  /** The rendition's pixels from the prepared ones (not yet encoded). */
  private async resized(
    prepared: PreparedPixels,
    source: Size,
    rendition: Rendition,
    deadline: number,
  ): Promise<Sharp> {
    const image = this.within(sharp(prepared.data, { raw: prepared.raw }), deadline);
    const bounds = { width: rendition.width ?? undefined, height: rendition.height ?? undefined };
    if (rendition.fit === 'pad') return image.resize({ ...bounds, fit: 'contain', background: WHITE });
    if (rendition.fit === 'cover') {
      const attention = { fit: 'cover' as const, position: sharp.strategy.attention };
      const crop = coverCrop(prepared.raw, rendition);
      if (!crop) return image.resize({ ...bounds, ...attention });
      const { data, info } = await image
        .resize({ ...crop, ...attention })
        .raw()
        .toBuffer({ resolveWithObject: true });
      const raw = { width: info.width, height: info.height, channels: info.channels };
      return this.within(sharp(data, { raw }), deadline).resize({ ...bounds, fit: 'fill' });
    }
    const size = insideSize(source, rendition);
    const same = size.width === prepared.raw.width && size.height === prepared.raw.height;
    return same ? image : image.resize({ ...size, fit: 'fill' });
  }

  private async encodeOne(
    prepared: PreparedPixels,
    source: Size,
    rendition: Rendition,
    deadline: number,
  ): Promise<EncodedImage> {
    const { format, quality } = rendition;
    const pixels = await this.resized(prepared, source, rendition, deadline);
    if (quality !== 'auto') {
      const { data, info } = await encoder(pixels, format, quality, false).toBuffer({
        resolveWithObject: true,
      });
      return { data, format, width: info.width, height: info.height, quality, score: null };
    }
    // auto: the rendition's pixels once, the reference made from them and every trial encoded from them.
    const { data, info } = await pixels.raw().toBuffer({ resolveWithObject: true });
    const raw = { width: info.width, height: info.height, channels: info.channels };
    const own = () => this.within(sharp(data, { raw }), deadline);
    const reference = await lumaOf(own());
    return searchAutoEncoding(format, this.config.output.autoQualityTarget, reference, own, (image) =>
      this.within(image, deadline),
    );
  }

  private within(image: Sharp, deadline: number): Sharp {
    return withinDeadline(image, deadline, this.config.workers.imageTimeoutMs);
  }
}
