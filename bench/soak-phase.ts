import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { productCsv } from '../test/helpers/csv.js';
import type { CeilingResult } from './ceiling-phase.js';
import { adjustedRatio } from './e2e-phase.js';
import { CpuWatch, log, procStatus, round } from './measure.js';
import type { Fixture } from './lib/fixtures.js';
import { type ServiceSummary, summarizeService, table } from './lib/report.js';
import { Service } from './lib/service.js';

/** Phase 3, soak: RSS against images processed over a long run on a fresh service (flat after the first thousand). */

export interface SoakResult {
  images: number;
  seconds: number;
  imagesPerSecond: number;
  ratio: number;
  adjustedRatio: number;
  serviceCpuUtilisation: number;
  otherCpuShare: number;
  rssAfter1000MiB: number;
  rssEndMiB: number;
  rssPeakMiB: number;
  growthMiB: number;
  growthFraction: number;
  slopeMiBPer1000: number;
  curve: Array<{ processed: number; rssMiB: number }>;
}

export function compareSoakWithCeiling(result: SoakResult, ceiling: CeilingResult): void {
  result.ratio = round(result.imagesPerSecond / ceiling.best.imagesPerSecond, 3);
  result.adjustedRatio = adjustedRatio(result.imagesPerSecond, result.otherCpuShare, ceiling);
}

async function soak(
  service: Service,
  fixture: Fixture,
  count: number,
  imageBase: string,
  ceiling: CeilingResult,
  runTag: string,
): Promise<SoakResult> {
  const urls = Array.from(
    { length: count },
    (_, i) => `${imageBase}/${fixture.name}.jpg?soak=${runTag}&n=${i}`,
  );
  service.setPhase('soak');
  const watch = new CpuWatch(service.pid);
  const start = performance.now();
  const accepted = await service.upload(productCsv(urls), 'soak.csv');
  const curve: Array<{ processed: number; rssMiB: number }> = [];
  const done = await service.completion(
    accepted.body.request_id,
    120_000 + (count / ceiling.best.imagesPerSecond) * 20_000,
    (body) => {
      const rss = procStatus(service.pid)?.rssKiB;
      if (rss !== undefined) curve.push({ processed: body.processed_images, rssMiB: round(rss / 1024, 1) });
    },
    500,
  );
  const seconds = (done.at - start) / 1000;
  const cpu = watch.read();
  service.sample();
  service.setPhase('between');
  const after = curve.filter((point) => point.processed >= Math.min(1000, count));
  const first = after[0] ?? curve[0];
  const last = curve[curve.length - 1];
  // least-squares slope of RSS over images processed, after the first thousand
  const n = after.length;
  const mx = after.reduce((s, p) => s + p.processed, 0) / n;
  const my = after.reduce((s, p) => s + p.rssMiB, 0) / n;
  const sxy = after.reduce((s, p) => s + (p.processed - mx) * (p.rssMiB - my), 0);
  const sxx = after.reduce((s, p) => s + (p.processed - mx) ** 2, 0);
  return {
    images: count,
    seconds: round(seconds, 1),
    imagesPerSecond: round(count / seconds, 1),
    ratio: NaN,
    adjustedRatio: NaN,
    serviceCpuUtilisation: round(cpu.serviceMs / 1000 / cpu.seconds / availableParallelism(), 2),
    otherCpuShare: cpu.otherShare,
    rssAfter1000MiB: first.rssMiB,
    rssEndMiB: last.rssMiB,
    rssPeakMiB: Math.max(...after.map((p) => p.rssMiB)),
    growthMiB: round(last.rssMiB - first.rssMiB, 1),
    growthFraction: round((last.rssMiB - first.rssMiB) / first.rssMiB, 3),
    slopeMiBPer1000: n > 2 && sxx > 0 ? round((sxy / sxx) * 1000, 2) : 0,
    curve,
  };
}

/**
 * Memory over a long run, on a fresh service (one that has made photos first already has grown
 * heaps, which would hide growth).
 */
export async function soakPhase(
  fixture: Fixture,
  count: number,
  imageBase: string,
  ceiling: CeilingResult,
  runTag: string,
): Promise<{ soak: SoakResult; soakService: ServiceSummary }> {
  const service = await Service.start('soak');
  try {
    log(`service (soak) pid ${service.pid} at ${service.base}`);
    const result = await soak(service, fixture, count, imageBase, ceiling, runTag);
    log(`soak: ${result.images} images, RSS ${result.rssAfter1000MiB} → ${result.rssEndMiB} MiB`);
    return { soak: result, soakService: summarizeService(service) };
  } finally {
    await service.stop();
  }
}

export function printSoak(soakResult: SoakResult): void {
  console.log('\n3. Memory over a long run (small images, a fresh service)');
  console.log(
    table(
      [
        'images',
        'seconds',
        'images/s',
        'ratio',
        'adj. ratio',
        'svc CPU use',
        "others' CPU",
        'RSS @1000 MiB',
        'RSS end MiB',
        'RSS peak MiB',
        'growth',
        'MiB / 1000 img',
      ],
      [
        [
          soakResult.images,
          soakResult.seconds,
          soakResult.imagesPerSecond,
          soakResult.ratio,
          soakResult.adjustedRatio,
          `${Math.round(soakResult.serviceCpuUtilisation * 100)}%`,
          `${Math.round(soakResult.otherCpuShare * 100)}%`,
          soakResult.rssAfter1000MiB,
          soakResult.rssEndMiB,
          soakResult.rssPeakMiB,
          `${soakResult.growthMiB} MiB`,
          soakResult.slopeMiBPer1000,
        ],
      ],
    ),
  );
}
