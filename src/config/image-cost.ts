import type { OutputFormat, OutputOptions } from './output-options.js';

/**
 * What an image costs the worker that processes it, relative to the default output (JPEG at a fixed
 * quality), by its request's output options: an owner's share of the workers is counted in these units
 * (see LeaseStore.claim). The CPU of one image, measured on the small (0.27 MP) and photo (6 and 8 MP)
 * fixtures against the default: WebP 1.4–7.6×, `quality=auto` 7–22× (JPEG) and 8–29× (WebP), AVIF
 * 31–186×. A factor is the geometric mean of its ratios rounded down to a power of two (WebP 2, auto 8,
 * AVIF 64), a format's and auto's multiply, and none is above MAX_IMAGE_COST.
 */
const FORMAT_COST: Record<OutputFormat, number> = { jpeg: 1, webp: 2, avif: 16 };

/** `quality=auto` encodes and scores up to 5 candidates. */
const AUTO_QUALITY_COST = 8;

/**
 * The largest cost of one image. An encode runs on one core (0.6–1.0 cores measured), so a costlier one
 * holds its core no harder, only longer: with the default MAX_OWNER_COST_IN_FLIGHT (16 per core),
 * an owner's AVIF images take at most one slot per core of a worker. That setting may not be lower
 * (every image must fit in an owner's budget).
 */
export const MAX_IMAGE_COST = 16;

/**
 * From this cost up (AVIF, `quality=auto`) an image is costly: it may take only COSTLY_IMAGE_THREADS of
 * the image threads, as one such encode holds its thread for seconds to minutes.
 */
const COSTLY_IMAGE_COST = AUTO_QUALITY_COST;

function outputCost(output: Pick<OutputOptions, 'format' | 'quality'>): number {
  const auto = output.quality === 'auto' ? AUTO_QUALITY_COST : 1;
  return FORMAT_COST[output.format] * auto;
}

/**
 * With renditions, the sum of theirs: an upper bound, as they share one download and one decode, and
 * most are smaller than the full-size output the factors were measured on.
 */
/** Whether an image is made in the costly lane (COSTLY_IMAGE_THREADS): one of its outputs is AVIF or `auto`. */
export function isCostly(options: Pick<OutputOptions, 'format' | 'quality' | 'renditions'>): boolean {
  return (options.renditions ?? [options]).some((output) => outputCost(output) >= COSTLY_IMAGE_COST);
}

export function imageCost(options: Pick<OutputOptions, 'format' | 'quality' | 'renditions'>): number {
  const outputs = options.renditions ?? [options];
  return Math.min(
    MAX_IMAGE_COST,
    outputs.reduce((sum, output) => sum + outputCost(output), 0),
  );
}
