import { performance } from 'node:perf_hooks';
import { productCsv } from '../test/helpers/csv.js';
import type { FixtureServer } from '../test/helpers/fixture-server.js';
import { log, procCpuMs, round } from './measure.js';
import { table } from './lib/report.js';
import { Service } from './lib/service.js';

/**
 * Phase 12, re-imports: a catalog of distinct small images (two thirds served with an ETag and a
 * Last-Modified, a third without) imported by one client, then the same CSV again with nothing
 * changed, on a fresh embedded service. The second import should revalidate the first two thirds
 * (304s: no body), match the rest by content (a body, no encode), and take a tenth of the time or less.
 */

interface ImportRun {
  /** Upload to `completed`, by the bench's clock (status polled every 50 ms). */
  seconds: number;
  /** CPU of the service process (every thread) over the same span. */
  serviceCpuMs: number;
  /** What the image server was asked and sent. */
  requests: number;
  conditional: number;
  notModified: number;
  bodyBytes: number;
  /** Images encoded (the `process` stage's count at /metrics). */
  encodes: number;
  reusedImages: number;
  status: string;
}

export interface ReimportResult {
  images: number;
  withoutValidators: number;
  first: ImportRun;
  second: ImportRun;
  /** The first import's seconds over the second's. */
  speedup: number;
}

/** One sample of a counter at the service's /metrics; 0 when absent. */
async function counter(service: Service, sample: string): Promise<number> {
  const text = await (await fetch(`${service.base}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(sample));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

const ENCODES = 'pixelmill_image_stage_seconds_count{stage="process"}';

async function importOnce(service: Service, images: FixtureServer, urls: string[]): Promise<ImportRun> {
  images.resetCounts();
  const encodesBefore = await counter(service, ENCODES);
  const cpuBefore = procCpuMs(service.pid) ?? NaN;
  const start = performance.now();
  const { body } = await service.upload(productCsv(urls.map((url) => [url])), 'catalog.csv');
  const done = await service.completion(body.request_id, 600_000, undefined, 50);
  const serviceCpuMs = (procCpuMs(service.pid) ?? NaN) - cpuBefore;
  const sent = urls.map((url) => images.counts(url));
  const sum = (key: keyof (typeof sent)[number]) => sent.reduce((total, counts) => total + counts[key], 0);
  return {
    seconds: round((done.at - start) / 1000, 2),
    serviceCpuMs: round(serviceCpuMs, 0),
    requests: sum('requests'),
    conditional: sum('conditional'),
    notModified: sum('notModified'),
    bodyBytes: sum('bodyBytes'),
    encodes: (await counter(service, ENCODES)) - encodesBefore,
    reusedImages: (done.body as { reused_images?: number }).reused_images ?? 0,
    status: done.body.status,
  };
}

/** `count` distinct images at `/small.jpg` of `images` (served `distinct`), a third without validators. */
export async function reimportPhase(
  images: FixtureServer,
  count: number,
  runTag: string,
): Promise<ReimportResult> {
  const urls = Array.from({ length: count }, (_, n) => images.url(`/small.jpg?catalog=${runTag}&n=${n}`));
  const withoutValidators = urls.filter((_, n) => n % 3 === 2);
  for (const url of withoutValidators) images.withoutValidators(url);
  const service = await Service.start('reimport');
  try {
    log(`service (reimport) pid ${service.pid} at ${service.base}`);
    service.setPhase('reimport-first');
    const first = await importOnce(service, images, urls);
    service.setPhase('reimport-second');
    const second = await importOnce(service, images, urls);
    service.setPhase('between');
    const result = {
      images: count,
      withoutValidators: withoutValidators.length,
      first,
      second,
      speedup: round(first.seconds / second.seconds, 1),
    };
    log(`re-import of ${count} images: ${first.seconds} s, then ${second.seconds} s (${result.speedup}×)`);
    return result;
  } finally {
    await service.stop();
  }
}

export function reimportTargets(
  result: ReimportResult | undefined,
): Array<{ target: string; value: string; ok: boolean | undefined }> {
  if (!result) return [];
  const { second, withoutValidators, images } = result;
  return [
    {
      target: 're-import of an unchanged catalog ≥ 10× faster than its first import',
      value: `${result.speedup}×`,
      ok: result.speedup >= 10 && second.status === 'completed',
    },
    {
      target: 're-import: no encode, no body for a source with validators',
      value: `${second.encodes} encodes, ${second.notModified}/${images - withoutValidators} answered 304`,
      ok: second.encodes === 0 && second.notModified === images - withoutValidators,
    },
  ];
}

export function printReimport(result: ReimportResult): void {
  console.log(
    `\n12. Re-imports (embedded default): ${result.images} distinct small images, ${result.withoutValidators} of them without ETag or Last-Modified, imported twice unchanged`,
  );
  const row = (label: string, run: ImportRun) => [
    label,
    run.seconds,
    round(run.serviceCpuMs / 1000, 2),
    run.requests,
    `${run.conditional} / ${run.notModified}`,
    round(run.bodyBytes / 1024 ** 2, 2),
    run.encodes,
    run.reusedImages,
    run.status,
  ];
  console.log(
    table(
      [
        'import',
        'seconds',
        'svc CPU s',
        'GETs',
        'conditional / 304',
        'body MiB',
        'encodes',
        'reused',
        'status',
      ],
      [row('first', result.first), row('second', result.second)],
    ),
  );
  console.log(`   second import ${result.speedup}× faster`);
}
