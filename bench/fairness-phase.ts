import { performance } from 'node:perf_hooks';
import { productCsv } from '../test/helpers/csv.js';
import { log, round } from './measure.js';
import type { Fixture } from './lib/fixtures.js';
import { table } from './lib/report.js';
import { Service } from './lib/service.js';

/** Phase 7, fairness: on the embedded default, a 3-image request uploaded right after a large one. */

export interface FairnessResult {
  largeImages: number;
  smallImages: number;
  /** From the start of the small request's upload to its `completed` (polled every 25 ms). */
  smallSeconds: number;
  smallStatus: string;
  /** How far the large request (uploaded just before) had got when the small one completed. */
  largeProcessedMeanwhile: number;
  largeStatusMeanwhile: string;
}

async function fairness(
  service: Service,
  fixture: Fixture,
  count: number,
  imageBase: string,
  runTag: string,
): Promise<FairnessResult> {
  const urls = (tag: string, images: number) =>
    Array.from({ length: images }, (_, i) => `${imageBase}/${fixture.name}.jpg?fair=${runTag}-${tag}&n=${i}`);
  service.setPhase('fairness');
  const large = await service.upload(productCsv(urls('large', count)), 'fairness-large.csv');
  const start = performance.now();
  const small = await service.upload(productCsv(urls('small', 3)), 'fairness-small.csv');
  const done = await service.completion(small.body.request_id, 120_000, undefined, 25);
  const { body: largeBody } = await service.status(large.body.request_id);
  service.setPhase('between');
  return {
    largeImages: count,
    smallImages: 3,
    smallSeconds: round((done.at - start) / 1000, 2),
    smallStatus: done.body.status,
    largeProcessedMeanwhile: largeBody.processed_images,
    largeStatusMeanwhile: largeBody.status,
  };
}

/** On a fresh service: a small request right behind a large one of `count` images. */
export async function fairnessPhase(
  fixture: Fixture,
  count: number,
  imageBase: string,
  runTag: string,
): Promise<FairnessResult> {
  const service = await Service.start('fairness');
  try {
    log(`service (fairness) pid ${service.pid} at ${service.base}`);
    const result = await fairness(service, fixture, count, imageBase, runTag);
    log(
      `fairness: 3 images behind ${count} completed in ${result.smallSeconds} s; the large request had ${result.largeProcessedMeanwhile} done`,
    );
    return result;
  } finally {
    await service.stop();
  }
}

export function printFairness(f: FairnessResult): void {
  console.log('\n7. Fairness (embedded default, small images)');
  console.log(
    table(
      ['large request', 'small request', 'small: upload → done s', 'large meanwhile'],
      [
        [
          `${f.largeImages} images`,
          `${f.smallImages} images (${f.smallStatus})`,
          f.smallSeconds,
          `${f.largeProcessedMeanwhile}/${f.largeImages} (${round((100 * f.largeProcessedMeanwhile) / f.largeImages, 1)}%)`,
        ],
      ],
    ),
  );
}
